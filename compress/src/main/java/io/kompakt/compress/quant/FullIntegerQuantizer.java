package io.kompakt.compress.quant;

import io.kompakt.compress.DynamicRangeQuantizer;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Post-training full-integer quantization of a float model, in the tensor and op layout TFLite's converter writes
 * ({@code optimizations=[DEFAULT]} with a representative dataset):
 *
 * <ul>
 *   <li>every float activation becomes int8 (uint8, int16) with one scale and zero point from its calibrated range
 *       ({@link ScaleChooser}); ops TFLite runs with equal input and output parameters (RESHAPE, pools, CONCATENATION,
 *       PAD, ...) get one set for all their tensors (the union of the ranges); SOFTMAX and LOGISTIC outputs are fixed to
 *       scale 1/256 and zero point -128 (uint8: 0; int16: 1/32768, 0), TANH to 1/128, 0 (uint8: 128);
 *   <li>CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weights: int8, symmetric, narrow range [-127, 127], per channel
 *       (output channels: dimension 0 of OHWI filters, 3 of depthwise filters; dense layers per tensor unless
 *       {@link Options#perChannelDense}); uint8 (legacy): per tensor, affine over [0, 255];
 *   <li>biases: int32 (int64 for 16x8) with {@code scale = input scale x weight scale} per channel and zero point 0;
 *   <li>other float constants (an ADD's or MUL's operand): per tensor, as activations;
 *   <li>model I/O: with float I/O a QUANTIZE op follows each input and a DEQUANTIZE op precedes each output (the
 *       converter's default), the I/O tensors keep their names; with integer I/O the inputs and outputs are integer
 *       themselves (a QUANTIZE converts between uint8 I/O and int8 insides, as the converter does).
 * </ul>
 *
 * <p>The steps: {@link #prepare} the float graph (batch norms folded, standalone activations fused, optionally
 * cross-layer equalisation), calibrate the prepared model ({@link Calibrator#run(Model, Calibrator.Source,
 * Calibrator.Needs, int, java.util.function.IntConsumer)} with {@link Options#calibrationNeeds()}), then
 * {@link #quantize} it; with {@link Options#biasCorrection} each layer's bias absorbs the mean output error of its
 * quantized weights on the calibration data.
 */
public final class FullIntegerQuantizer {
  private FullIntegerQuantizer() {}

  /** The integer types inside the model. */
  public enum Scheme {
    /** int8 activations, int8 per-channel weights, int32 biases (TFLite's default full-integer form) */
    INT8(TensorType.INT8, -128, 127),
    /** uint8 activations and per-tensor weights, int32 biases (the legacy quantized form) */
    UINT8(TensorType.UINT8, 0, 255),
    /** int16 symmetric activations, int8 per-channel weights, int64 biases */
    INT16X8(TensorType.INT16, -32767, 32767);

    final TensorType type;
    final long qmin, qmax;

    Scheme(TensorType type, long qmin, long qmax) {
      this.type = type;
      this.qmin = qmin;
      this.qmax = qmax;
    }

    public TensorType activationType() { return type; }

    public static Scheme parse(String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "int8": return INT8;
        case "uint8": return UINT8;
        case "16x8": case "int16x8": case "int16": return INT16X8;
        default: throw new IllegalArgumentException("scheme is int8, uint8 or 16x8; got '" + s + "'");
      }
    }
  }

  /** Settings. */
  public static final class Options {
    Scheme scheme = Scheme.INT8;
    TensorType io = TensorType.FLOAT32;
    Calibrator.Method method = Calibrator.Method.MINMAX;
    double percentile = 99.99;
    boolean symmetric;
    boolean powerOfTwo;
    boolean perChannel = true;
    boolean perChannelDense;
    boolean biasCorrection;
    boolean foldBatchNorm = true;
    boolean fuseActivations = true;
    boolean equalize;
    boolean equalizeRelu6;

    public Options scheme(Scheme s) { scheme = s; return this; }

    /** Model input and output type: FLOAT32 (default), INT8, UINT8 or INT16 (16x8 only). */
    public Options io(TensorType t) { io = t; return this; }

    public Options method(Calibrator.Method m) { method = m; return this; }

    public Options percentile(double p) {
      if (!(p > 50 && p <= 100)) throw new IllegalArgumentException("percentile must be in (50, 100]: " + p);
      percentile = p;
      return this;
    }

    /** Symmetric activations (zero point 0, or 128 for uint8). 16x8 activations are always symmetric. */
    public Options symmetric(boolean b) { symmetric = b; return this; }

    /** Every scale a power of two (rounded up). */
    public Options powerOfTwo(boolean b) { powerOfTwo = b; return this; }

    public Options perChannel(boolean b) { perChannel = b; return this; }

    /** Per-unit FULLY_CONNECTED weights (the latest converter; older TFLite releases read one scale). */
    public Options perChannelDense(boolean b) { perChannelDense = b; return this; }

    /**
     * Empirical bias correction (Nagel et al. 2019): each conv / depthwise / dense bias minus the mean output error
     * its quantized weights cause on the calibration data. Calibrate with {@link #calibrationNeeds()}.
     */
    public Options biasCorrection(boolean b) { biasCorrection = b; return this; }

    /** {@link #prepare}: fold unfused batch normalizations (default true). */
    public Options foldBatchNorm(boolean b) { foldBatchNorm = b; return this; }

    /** {@link #prepare}: fuse standalone RELU / RELU6 / RELU_N1_TO_1 into the op before them (default true). */
    public Options fuseActivations(boolean b) { fuseActivations = b; return this; }

    /** {@link #prepare}: cross-layer equalisation ({@link CrossLayerEqualizer}; default false). */
    public Options equalize(boolean b) { equalize = b; return this; }

    /** With {@link #equalize}: equalise RELU6 layers too, replacing RELU6 by RELU (changes the float model). */
    public Options equalizeRelu6(boolean b) { equalizeRelu6 = b; return this; }

    public Scheme scheme() { return scheme; }

    public TensorType io() { return io; }

    public Calibrator.Method method() { return method; }

    public boolean biasCorrection() { return biasCorrection; }

    /** What the calibration run must keep for these options. */
    public Calibrator.Needs calibrationNeeds() { return Calibrator.Needs.of(method).withLayerInputMeans(biasCorrection); }

    /** Whether activations are quantized symmetrically (16x8 always). */
    boolean symmetricActivations() { return scheme == Scheme.INT16X8 || symmetric; }
  }

  /**
   * What {@link #prepare} did to the float graph.
   *
   * @param batchNorms the folded batch normalizations ({@link BatchNormFolder})
   * @param fused the fused activations ({@link ActivationFuser})
   * @param equalized the equalised pairs, or null without {@link Options#equalize}
   */
  public record Preparation(List<String> batchNorms, List<String> fused, CrossLayerEqualizer.Report equalized) {
    /** Whether the graph changed at all. */
    public boolean changed() { return !batchNorms.isEmpty() || !fused.isEmpty() || (equalized != null && equalized.count() > 0); }

    /** Whether the float function changed (RELU6 replaced by RELU for equalisation): compare against the original. */
    public boolean changesFloatModel() { return equalized != null && equalized.changesFloatModel(); }
  }

  /**
   * The graph passes that run on the float model before calibration, in this order: batch-norm folding, activation
   * fusion, cross-layer equalisation, as {@code o} asks. Calibrate and quantize the result.
   */
  public static Preparation prepare(EditableModel m, Options o) {
    if (o.equalizeRelu6 && !o.equalize) throw new IllegalArgumentException("equalizing RELU6 layers needs cross-layer equalisation on");
    List<String> bn = o.foldBatchNorm ? BatchNormFolder.fold(m).folded() : List.of();
    List<String> fused = o.fuseActivations ? ActivationFuser.fuse(m).fused() : List.of();
    CrossLayerEqualizer.Report eq = o.equalize
        ? CrossLayerEqualizer.equalize(m, new CrossLayerEqualizer.Options().replaceRelu6(o.equalizeRelu6)) : null;
    return new Preparation(bn, fused, eq);
  }

  /**
   * A quantized model and notes on it (one line per bias-corrected layer).
   */
  public record Result(EditableModel model, List<String> notes) {}

  /** Ops the quantizer knows the integer form of (each has an integer kernel in Kompakt and TFLite). */
  static final Set<String> SUPPORTED = Set.of("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D",
      "MAX_POOL_2D", "MEAN", "RESHAPE", "SQUEEZE", "SOFTMAX", "LOGISTIC", "TANH", "ADD", "SUB", "MUL", "CONCATENATION",
      "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "PAD", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR");

  /** Ops whose (quantized) inputs 0..k and outputs share one scale and zero point. */
  private static boolean sameScale(String op) {
    switch (op) {
      case "RESHAPE": case "SQUEEZE": case "MAX_POOL_2D": case "AVERAGE_POOL_2D": case "PAD": case "CONCATENATION":
      case "RESIZE_NEAREST_NEIGHBOR": case "TRANSPOSE": return true;
      default: return false;
    }
  }

  /**
   * The quantized form of {@code floatModel} (left unchanged), with the ranges of {@code calibration} (made from the
   * same model).
   *
   * @throws IllegalArgumentException naming the op or tensor when the model is not a float model this quantizer handles
   */
  public static EditableModel quantize(Model floatModel, Calibrator calibration, Options o) {
    return quantizeWithNotes(floatModel, calibration, o).model();
  }

  /** {@link #quantize}, with notes on what bias correction changed. */
  public static Result quantizeWithNotes(Model floatModel, Calibrator calibration, Options o) {
    if (o.biasCorrection && !calibration.hasLayerInputMeans()) {
      throw new IllegalArgumentException("bias correction needs each layer's mean input: calibrate with Options.calibrationNeeds()");
    }
    List<String> notes = new ArrayList<>();
    if (o.scheme == Scheme.INT16X8 && o.io != TensorType.FLOAT32 && o.io != TensorType.INT16) {
      throw new IllegalArgumentException("16x8 models take float32 or int16 inputs and outputs, not " + o.io.lowerName());
    }
    if (o.scheme != Scheme.INT16X8 && o.io == TensorType.INT16) throw new IllegalArgumentException("int16 I/O needs the 16x8 scheme");
    EditableModel m = EditableModel.from(floatModel);
    if (m.subgraphs.size() != 1) throw new IllegalArgumentException("models with " + m.subgraphs.size() + " subgraphs are not supported (control flow)");
    EditableModel.Subgraph g = m.subgraphs.get(0);
    Map<Tensor, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < g.tensors.size(); i++) index.put(g.tensors.get(i), i);
    for (Tensor t : g.inputs) {
      if (t.type != TensorType.FLOAT32) throw new IllegalArgumentException("input " + t + " is not float32: the model is not a float model");
    }
    // which constants are weights / biases of conv-like ops
    Set<Tensor> weightsOrBias = Collections.newSetFromMap(new IdentityHashMap<>());
    for (int k = 0; k < g.operators.size(); k++) {
      Operator op = g.operators.get(k);
      String name = op.opCode.name();
      if (!SUPPORTED.contains(name)) {
        throw new IllegalArgumentException("operator #" + k + " " + name + ": no integer form in Kompakt's quantizer (supported: "
            + String.join(", ", new java.util.TreeSet<>(SUPPORTED)) + ")");
      }
      for (Tensor t : op.outputs) {
        if (t.type != TensorType.FLOAT32) throw new IllegalArgumentException("operator #" + k + " " + name + ": output " + t + " is not float32: the model is not a float model");
      }
      if (GraphEdits.isConvLike(name)) {
        if (op.inputs.size() < 2 || op.inputs.get(1) == null || !GraphEdits.isFloatConstant(op.inputs.get(1))) {
          throw new IllegalArgumentException("operator #" + k + " " + name + ": its weights are not a float32 constant");
        }
        weightsOrBias.add(op.inputs.get(1));
        if (op.inputs.size() > 2 && op.inputs.get(2) != null) {
          if (!GraphEdits.isFloatConstant(op.inputs.get(2))) throw new IllegalArgumentException("operator #" + k + " " + name + ": its bias is not a float32 constant");
          weightsOrBias.add(op.inputs.get(2));
        }
      }
    }
    // the tensors to quantize per tensor: float activations and float constants other than weights and biases
    UnionFind groups = new UnionFind();
    Map<Tensor, double[]> ranges = new IdentityHashMap<>();
    Map<Tensor, ScaleChooser.Params> fixed = new IdentityHashMap<>();
    for (Operator op : g.operators) {
      List<Tensor> all = new ArrayList<>(op.inputs);
      all.addAll(op.outputs);
      for (Tensor t : all) {
        if (t == null || t.type != TensorType.FLOAT32 || weightsOrBias.contains(t) || ranges.containsKey(t)) continue;
        if (t.buffer != null && t.buffer.size() > 0) ranges.put(t, constantRange(t));
        else {
          Calibrator.Stats s = calibration.stats(index.get(t));
          if (s == null || s.samples() == 0) throw new IllegalArgumentException("tensor " + t + " was not seen during calibration");
          ranges.put(t, s.range(o.method, o.percentile, (int) (o.scheme.qmax - o.scheme.qmin + 1), o.symmetricActivations()));
        }
        groups.add(t);
      }
      String name = op.opCode.name();
      if (sameScale(name)) {
        int n = name.equals("CONCATENATION") ? op.inputs.size() : 1;
        for (int i = 0; i < n; i++) if (op.inputs.get(i) != null) groups.union(op.inputs.get(i), op.outputs.get(0));
      }
      ScaleChooser.Params f = fixedOutput(name, o.scheme);
      if (f != null) fixed.put(op.outputs.get(0), f);
    }
    // one set of parameters per group
    Map<Tensor, List<Tensor>> members = new IdentityHashMap<>();
    for (Tensor t : ranges.keySet()) members.computeIfAbsent(groups.find(t), k -> new ArrayList<>()).add(t);
    Map<Tensor, ScaleChooser.Params> params = new IdentityHashMap<>();
    for (List<Tensor> group : members.values()) {
      ScaleChooser.Params p = null;
      double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
      for (Tensor t : group) {
        if (fixed.containsKey(t)) p = fixed.get(t);
        lo = Math.min(lo, ranges.get(t)[0]);
        hi = Math.max(hi, ranges.get(t)[1]);
      }
      if (p == null) p = activationParams(lo, hi, o);
      for (Tensor t : group) params.put(t, p);
    }
    // activations and constants, per tensor
    for (Map.Entry<Tensor, ScaleChooser.Params> e : params.entrySet()) {
      Tensor t = e.getKey();
      ScaleChooser.Params p = e.getValue();
      if (t.buffer != null && t.buffer.size() > 0) {
        float[] v = t.floats();
        Tensor q = new Tensor(t.name, o.scheme.type, t.shape);
        q.shapeSignature = t.shapeSignature.clone();
        q.buffer = m.addBuffer(integers(v, p, o.scheme.type, o.scheme.qmin, o.scheme.qmax));
        q.quantization = Quantization.perTensor((float) p.scale(), p.zeroPoint());
        g.tensors.add(g.tensors.indexOf(t), q);
        replaceInputs(g, t, q);
      } else {
        t.type = o.scheme.type;
        t.quantization = Quantization.perTensor((float) p.scale(), p.zeroPoint());
      }
    }
    // weights and biases
    for (int k = 0; k < g.operators.size(); k++) {
      Operator op = g.operators.get(k);
      String name = op.opCode.name();
      if (!GraphEdits.isConvLike(name)) continue;
      Tensor in = op.inputs.get(0), w = op.inputs.get(1);
      if (!in.quantization.isQuantized()) throw new IllegalArgumentException("operator #" + k + " " + name + ": input " + in + " is not an activation");
      int axis = !o.perChannel || o.scheme == Scheme.UINT8 ? -1
          : name.equals("CONV_2D") ? 0 : name.equals("DEPTHWISE_CONV_2D") ? 3 : o.perChannelDense ? 0 : -1;
      Tensor qw = new Tensor(w.name, o.scheme == Scheme.UINT8 ? TensorType.UINT8 : TensorType.INT8, w.shape);
      qw.shapeSignature = w.shapeSignature.clone();
      float[] wv = w.floats();
      double[] wScales;
      if (o.scheme == Scheme.UINT8) {
        double lo = 0, hi = 0;
        for (float x : wv) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        ScaleChooser.Params p = ScaleChooser.affine(lo, hi, 0, 255, o.powerOfTwo);
        qw.buffer = m.addBuffer(integers(wv, p, TensorType.UINT8, 0, 255));
        qw.quantization = Quantization.perTensor((float) p.scale(), p.zeroPoint());
        wScales = new double[] {(float) p.scale()};
      } else {
        DynamicRangeQuantizer.QuantizedWeights q = o.powerOfTwo ? powerOfTwoWeights(wv, w.shape, axis)
            : DynamicRangeQuantizer.quantizeWeights(wv, w.shape, axis);
        if (op.inputs.size() > 2 && op.inputs.get(2) != null && o.scheme == Scheme.INT8) {
          q = adjustForBias(q, wv, w.shape, axis, op.inputs.get(2).floats(), in.quantization.scale()[0]);
        }
        qw.buffer = m.addBuffer(ByteBuffer.wrap(q.values()));
        qw.quantization = q.quantization();
        float[] s = q.quantization().scale();
        wScales = new double[s.length];
        for (int c = 0; c < s.length; c++) wScales[c] = s[c];
      }
      g.tensors.add(g.tensors.indexOf(w), qw);
      op.inputs.set(1, qw);
      double[] shift = null; // bias correction: the mean output error the quantized weights cause, per channel
      double[] mean = o.biasCorrection ? calibration.layerInputMean(k) : null;
      if (mean != null) {
        float[] deq = io.kompakt.compress.Dequantizer.dequantizedFloats(qw), delta = new float[wv.length];
        for (int i = 0; i < wv.length; i++) delta[i] = deq[i] - wv[i];
        shift = LayerInputMeans.meanOutputChange(name, w.shape, delta, mean);
        if (op.inputs.size() < 3 || op.inputs.get(2) == null) { // a zero bias to correct
          Tensor zero = g.add(new Tensor(op.outputs.get(0).name + "/bias", TensorType.FLOAT32, shift.length));
          zero.buffer = m.addFloats(new float[shift.length]);
          while (op.inputs.size() < 3) op.inputs.add(null);
          op.inputs.set(2, zero);
        }
      }
      if (op.inputs.size() > 2 && op.inputs.get(2) != null) {
        Tensor b = op.inputs.get(2);
        float[] bv = b.floats();
        if (shift != null) {
          double sumShift = 0, maxShift = 0, sumBias = 0;
          for (int c = 0; c < bv.length; c++) {
            sumBias += Math.abs(bv[c]);
            bv[c] = (float) (bv[c] - shift[c]);
            sumShift += Math.abs(shift[c]);
            maxShift = Math.max(maxShift, Math.abs(shift[c]));
          }
          notes.add(String.format(Locale.ROOT, "#%d %s '%s': bias corrected by mean |%.4g| (max %.4g; mean |bias| %.4g)", k, name,
              op.outputs.get(0).name, sumShift / bv.length, maxShift, sumBias / bv.length));
        }
        double inScale = in.quantization.scale()[0];
        float[] bs = new float[wScales.length];
        for (int c = 0; c < bs.length; c++) bs[c] = (float) (inScale * wScales[c]);
        boolean wide = o.scheme == Scheme.INT16X8;
        ByteBuffer data = ByteBuffer.allocate(bv.length * (wide ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bv.length; i++) {
          double s = bs[wScales.length == 1 ? 0 : i % bs.length];
          double r = ScaleChooser.roundHalfAway(bv[i] / s);
          if (wide) data.putLong((long) r);
          else data.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r)));
        }
        data.flip();
        Tensor qb = new Tensor(b.name, wide ? TensorType.INT64 : TensorType.INT32, b.shape);
        qb.shapeSignature = b.shapeSignature.clone();
        qb.buffer = m.addBuffer(data);
        qb.quantization = bs.length == 1 ? Quantization.perTensor(bs[0], 0) : Quantization.perChannel(bs, new long[bs.length], 0);
        g.tensors.add(g.tensors.indexOf(b), qb);
        op.inputs.set(2, qb);
      }
    }
    rewireIo(g, o);
    for (Operator op : g.operators) op.opCode = OpCode.builtin(op.opCode.builtinCode(), version(op, o.scheme));
    GraphEdits.removeUnusedTensors(g);
    m.removeUnusedBuffers();
    return new Result(m, notes);
  }

  /** The output parameters TFLite's integer kernels require, or null. */
  static ScaleChooser.Params fixedOutput(String op, Scheme s) {
    switch (op) {
      case "SOFTMAX": case "LOGISTIC":
        return s == Scheme.INT8 ? new ScaleChooser.Params(1.0 / 256, -128) : s == Scheme.UINT8
            ? new ScaleChooser.Params(1.0 / 256, 0) : new ScaleChooser.Params(1.0 / 32768, 0);
      case "TANH":
        return s == Scheme.INT8 ? new ScaleChooser.Params(1.0 / 128, 0) : s == Scheme.UINT8
            ? new ScaleChooser.Params(1.0 / 128, 128) : new ScaleChooser.Params(1.0 / 32768, 0);
      default: return null;
    }
  }

  static ScaleChooser.Params activationParams(double lo, double hi, Options o) {
    if (o.scheme == Scheme.INT16X8 || o.symmetric) return ScaleChooser.symmetric(lo, hi, o.scheme.qmin, o.scheme.qmax, o.powerOfTwo);
    return ScaleChooser.affine(lo, hi, o.scheme.qmin, o.scheme.qmax, o.powerOfTwo);
  }

  /**
   * The converter's {@code AdjustWeightsForBiasScale}: a channel whose weights are tiny (a dead channel gets a scale
   * near 4e-9) but whose bias is not would have a bias beyond int32 at {@code input scale x weight scale}; its weight
   * scale is raised to {@code |bias| / (input scale x 2^30)} and its weights quantized again.
   */
  static DynamicRangeQuantizer.QuantizedWeights adjustForBias(DynamicRangeQuantizer.QuantizedWeights q, float[] values,
      int[] shape, int axis, float[] bias, double inScale) {
    float[] s = q.quantization().scale().clone();
    boolean changed = false;
    double limit = 0.5 * Integer.MAX_VALUE;
    for (int c = 0; c < bias.length; c++) {
      int k = s.length == 1 ? 0 : c;
      if (k >= s.length) break;
      if (Math.abs(bias[c]) / (inScale * s[k]) > limit) {
        s[k] = (float) (Math.abs(bias[c]) / (inScale * limit));
        changed = true;
      }
    }
    if (!changed) return q;
    int channels = s.length, inner = 1;
    if (axis >= 0) for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    byte[] v = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      v[i] = (byte) Math.max(-127, Math.min(127, ScaleChooser.roundHalfAway(values[i] / (double) s[c])));
    }
    Quantization quant = axis < 0 ? Quantization.perTensor(s[0], 0) : Quantization.perChannel(s, new long[channels], axis);
    return new DynamicRangeQuantizer.QuantizedWeights(v, quant);
  }

  /** Symmetric int8 weights with power-of-two scales (rounded up from the converter's). */
  static DynamicRangeQuantizer.QuantizedWeights powerOfTwoWeights(float[] values, int[] shape, int axis) {
    DynamicRangeQuantizer.QuantizedWeights base = DynamicRangeQuantizer.quantizeWeights(values, shape, axis);
    float[] s = base.quantization().scale().clone();
    for (int c = 0; c < s.length; c++) s[c] = (float) ScaleChooser.nextPowerOfTwo(s[c]);
    int channels = s.length, inner = 1;
    if (axis >= 0) for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      q[i] = (byte) Math.max(-127, Math.min(127, ScaleChooser.roundHalfAway(values[i] / (double) s[c])));
    }
    Quantization quant = axis < 0 ? Quantization.perTensor(s[0], 0) : Quantization.perChannel(s, new long[channels], axis);
    return new DynamicRangeQuantizer.QuantizedWeights(q, quant);
  }

  private static void rewireIo(EditableModel.Subgraph g, Options o) {
    TensorType act = o.scheme.type;
    List<Operator> head = new ArrayList<>(), tail = new ArrayList<>();
    for (int i = 0; i < g.inputs.size(); i++) {
      Tensor x = g.inputs.get(i);
      if (x.type != act || o.io == act) continue;
      Tensor inner = copy(x, x.name + "_" + act.lowerName());
      g.tensors.add(g.tensors.indexOf(x) + 1, inner);
      replaceInputs(g, x, inner);
      ioForm(x, o.io);
      head.add(op("QUANTIZE", x, inner));
    }
    for (int i = 0; i < g.outputs.size(); i++) {
      Tensor y = g.outputs.get(i);
      if (y.type != act || o.io == act) continue;
      Tensor inner = copy(y, y.name + "_" + act.lowerName());
      g.tensors.add(g.tensors.indexOf(y), inner);
      replaceInputs(g, y, inner);
      for (Operator op : g.operators) op.outputs.replaceAll(t -> t == y ? inner : t);
      ioForm(y, o.io);
      tail.add(op(o.io == TensorType.FLOAT32 ? "DEQUANTIZE" : "QUANTIZE", inner, y));
    }
    g.operators.addAll(0, head);
    g.operators.addAll(tail);
  }

  /** Turns an integer tensor into its I/O form: float, or the other 8-bit type with the zero point shifted by 128. */
  private static void ioForm(Tensor t, TensorType io) {
    if (io == TensorType.FLOAT32) {
      t.type = TensorType.FLOAT32;
      t.quantization = Quantization.NONE;
      return;
    }
    long shift = io == TensorType.UINT8 ? 128 : -128; // int8 -> uint8 or back
    t.quantization = Quantization.perTensor(t.quantization.scale()[0], t.quantization.zeroPoint()[0] + shift);
    t.type = io;
  }

  private static Tensor copy(Tensor t, String name) {
    Tensor c = new Tensor(name, t.type, t.shape);
    c.shapeSignature = t.shapeSignature.clone();
    c.quantization = t.quantization;
    return c;
  }

  private static Operator op(String code, Tensor in, Tensor out) {
    Operator op = new Operator(OpCode.builtin(code));
    op.inputs.add(in);
    op.outputs.add(out);
    return op;
  }

  private static void replaceInputs(EditableModel.Subgraph g, Tensor from, Tensor to) {
    for (Operator op : g.operators) op.inputs.replaceAll(t -> t == from ? to : t);
  }

  /** The op version the converter gives an op of this type (op_version.cc). */
  static int version(Operator op, Scheme s) {
    String name = op.opCode.name();
    TensorType in = op.inputs.isEmpty() || op.inputs.get(0) == null ? TensorType.FLOAT32 : op.inputs.get(0).type;
    TensorType out = op.outputs.get(0).type;
    boolean i8 = in == TensorType.INT8 || out == TensorType.INT8;
    boolean i16 = in == TensorType.INT16 || out == TensorType.INT16;
    switch (name) {
      case "CONV_2D": return i16 ? 4 : i8 ? 3 : 1;
      case "DEPTHWISE_CONV_2D": return i16 ? 5 : i8 ? 3 : 1;
      case "FULLY_CONNECTED": return i16 ? 7 : i8 ? 4 : 1;
      case "QUANTIZE": return out == TensorType.INT16 ? 3 : in != TensorType.FLOAT32 ? 2 : 1;
      case "DEQUANTIZE": return in == TensorType.INT16 ? 4 : in == TensorType.INT8 ? 2 : 1;
      case "SOFTMAX": case "AVERAGE_POOL_2D": case "MAX_POOL_2D": case "ADD": case "MUL": case "CONCATENATION":
      case "PAD": case "MEAN": case "LOGISTIC": case "TANH": case "RELU": case "RELU6": case "SUB": case "LEAKY_RELU":
      case "RESIZE_BILINEAR": case "RESIZE_NEAREST_NEIGHBOR":
        return i16 ? 3 : i8 ? 2 : 1;
      default: return op.opCode.version();
    }
  }

  /** The value range of a float constant, widened to include 0. */
  private static double[] constantRange(Tensor t) {
    double lo = 0, hi = 0;
    for (float v : t.floats()) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    return new double[] {lo, hi};
  }

  private static ByteBuffer integers(float[] v, ScaleChooser.Params p, TensorType type, long qmin, long qmax) {
    ByteBuffer b = ByteBuffer.allocate((int) type.bytesFor(v.length)).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      long q = p.quantize(x, qmin, qmax);
      if (type == TensorType.INT16) b.putShort((short) q); else b.put((byte) q);
    }
    b.flip();
    return b;
  }

  /** Union-find over tensors by identity. */
  private static final class UnionFind {
    private final Map<Tensor, Tensor> parent = new IdentityHashMap<>();

    void add(Tensor t) { parent.putIfAbsent(t, t); }

    Tensor find(Tensor t) {
      add(t);
      Tensor p = parent.get(t);
      if (p == t) return t;
      Tensor r = find(p);
      parent.put(t, r);
      return r;
    }

    void union(Tensor a, Tensor b) {
      Tensor ra = find(a), rb = find(b);
      if (ra != rb) parent.put(ra, rb);
    }
  }
}
