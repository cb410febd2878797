package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The dynamic-range ("hybrid") form of a float model, as the TensorFlow Lite converter makes it with
 * {@code optimizations = [DEFAULT]} and no representative dataset (its MLIR dynamic-range quantizer,
 * {@code prepare_quantize_dynamic_range.cc}): the constant float32 weights of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED (input 1) become int8; activations, biases and every other tensor stay float32, and the ops
 * quantize their inputs on the fly at run time.
 *
 * <ul>
 *   <li>Only weights with at least {@link Options#minElements} elements (the converter's
 *       {@code minimum_elements_for_weights}, default 1024) are quantized; smaller ones stay float.
 *   <li>Symmetric, narrow range: per channel (or per tensor), {@code a = max(|min|, |max|)} over the channel's values
 *       with the range widened to include 0, a range under 1e-6 widened to +-5e-7 (ExpandVerySmallRange);
 *       {@code scale = 2a / 254} in double (written as float), zero point 0, and
 *       {@code q = clamp(round(x / scale), -127, 127)} rounding halves away from zero (the quant dialect's
 *       UniformQuantizedValueConverter). The legacy (TOCO-era) quantizer computed the scale in float; the two can differ
 *       in a scale's last bit or a tie.
 *   <li>Per channel along the output channels: dimension 0 of CONV_2D's OHWI filter, dimension 3 of
 *       DEPTHWISE_CONV_2D's [1, H, W, C] filter. FULLY_CONNECTED weights get one scale by default, as converters
 *       gave them before per-channel dense layers; the latest converter quantizes them per unit (dimension 0) unless
 *       {@code _experimental_disable_per_channel_quantization_for_dense_layers} is set: {@link Options#latestConverter()}.
 *   <li>FULLY_CONNECTED gets {@code asymmetric_quantize_inputs = true}, as the converter sets it on every op whose
 *       weights it dynamic-range quantizes (CONV_2D and DEPTHWISE_CONV_2D have no such option: TFLite quantizes their
 *       inputs asymmetrically per channel and symmetrically per tensor).
 * </ul>
 *
 * <p>A weights tensor also used elsewhere (another op, another input, a graph output) keeps its float form for those
 * uses; the quantized copy serves the quantized ops. Float weights that end up unused are removed with their buffers.
 */
public final class DynamicRangeQuantizer {
  private DynamicRangeQuantizer() {}

  /**
   * The converter's settings.
   *
   * @param minElements weights with fewer elements stay float (the converter's {@code minimum_elements_for_weights})
   * @param perChannel per-channel scales for CONV_2D and DEPTHWISE_CONV_2D (the converter's {@code !disable_per_channel})
   * @param perChannelDense per-unit scales for FULLY_CONNECTED too (with {@code perChannel})
   * @param asymmetricInputs the FULLY_CONNECTED option {@code asymmetric_quantize_inputs}
   */
  public record Options(int minElements, boolean perChannel, boolean perChannelDense, boolean asymmetricInputs) {
    /**
     * Kompakt's default: the converter's, with per-tensor dense layers. 1024 elements, per-channel convolutions,
     * asymmetric FULLY_CONNECTED inputs. Per-tensor dense weights run correctly in every TFLite release; per-channel
     * ones need a TFLite whose hybrid FULLY_CONNECTED reads per-channel scales (older ones, such as the
     * WebAssembly build of {@code @tensorflow/tfjs-tflite} 0.0.1-alpha.10, multiply by the tensor's unset single
     * scale, 0, and output the bias alone).
     */
    public static Options defaults() { return new Options(1024, true, false, true); }

    /** As the latest TFLite converter: {@link #defaults()} with per-channel dense layers. */
    public static Options latestConverter() { return new Options(1024, true, true, true); }

    public Options withMinElements(int n) { return new Options(n, perChannel, perChannelDense, asymmetricInputs); }

    public Options withPerChannel(boolean b) { return new Options(minElements, b, perChannelDense, asymmetricInputs); }

    public Options withPerChannelDense(boolean b) { return new Options(minElements, perChannel, b, asymmetricInputs); }

    public Options withAsymmetricInputs(boolean b) { return new Options(minElements, perChannel, perChannelDense, b); }
  }

  /** What changed: weights quantized, weights left float for being small, float bytes before and int8 bytes after. */
  public record Report(int quantized, int skippedSmall, long floatBytes, long int8Bytes) {}

  /** The range under which a channel's range is widened (the converter's kNearZeroTolerance). */
  static final double NEAR_ZERO = 1.0e-6;

  /** Quantizes {@code m} in place with {@link Options#defaults()}. */
  public static Report quantize(EditableModel m) { return quantize(m, Options.defaults()); }

  /** Quantizes {@code m} in place. */
  public static Report quantize(EditableModel m, Options options) {
    int quantized = 0, small = 0;
    long floatBytes = 0, int8Bytes = 0;
    for (EditableModel.Subgraph g : m.subgraphs) {
      Map<EditableModel.Tensor, Integer> uses = new IdentityHashMap<>();
      for (EditableModel.Operator op : g.operators) {
        for (EditableModel.Tensor t : op.inputs) if (t != null) uses.merge(t, 1, Integer::sum);
      }
      Set<EditableModel.Tensor> graphIo = Collections.newSetFromMap(new IdentityHashMap<>());
      graphIo.addAll(g.inputs);
      graphIo.addAll(g.outputs);
      // one quantized tensor per (float tensor, axis)
      Map<EditableModel.Tensor, Map<Integer, EditableModel.Tensor>> made = new IdentityHashMap<>();
      for (EditableModel.Operator op : g.operators) {
        int axis = axis(op.opCode.name(), options);
        if (axis == NOT_QUANTIZABLE || op.inputs.size() < 2) continue;
        EditableModel.Tensor w = op.inputs.get(1);
        if (w == null || w.type != TensorType.FLOAT32 || w.buffer == null || w.buffer.size() == 0 || w.sparsity != null
            || w.isVariable || graphIo.contains(w) || (axis >= 0 && w.shape.length <= axis)) {
          continue;
        }
        if (op.opCode.name().equals("FULLY_CONNECTED") && op.options != null
            && !op.options.getEnumName("weights_format").equals("DEFAULT")) {
          continue;
        }
        if (w.elementCount() < options.minElements()) {
          small++;
          continue;
        }
        Map<Integer, EditableModel.Tensor> byAxis = made.computeIfAbsent(w, k -> new HashMap<>());
        EditableModel.Tensor q = byAxis.get(axis);
        if (q == null) {
          boolean onlyUse = uses.getOrDefault(w, 0) == 1;
          q = onlyUse ? w : copyOf(w, g);
          float[] values = w.floats();
          QuantizedWeights qw = quantizeWeights(values, w.shape, axis);
          q.type = TensorType.INT8;
          q.quantization = qw.quantization();
          q.buffer = m.addBuffer(ByteBuffer.wrap(qw.values()));
          byAxis.put(axis, q);
          quantized++;
          floatBytes += 4L * values.length;
          int8Bytes += values.length;
        }
        op.inputs.set(1, q);
        if (op.opCode.name().equals("FULLY_CONNECTED")) {
          op.options = op.options == null ? FlatTable.of("FullyConnectedOptions") : op.options.copy();
          op.options.set("asymmetric_quantize_inputs", options.asymmetricInputs());
        }
      }
      // float weights whose every use moved to a quantized copy
      Set<EditableModel.Tensor> used = Collections.newSetFromMap(new IdentityHashMap<>());
      for (EditableModel.Operator op : g.operators) {
        for (EditableModel.Tensor t : op.inputs) if (t != null) used.add(t);
        used.addAll(op.outputs);
        used.addAll(op.intermediates);
      }
      used.addAll(graphIo);
      g.tensors.removeIf(t -> made.containsKey(t) && !used.contains(t));
    }
    m.removeUnusedBuffers();
    return new Report(quantized, small, floatBytes, int8Bytes);
  }

  /** Quantizes a loaded model's copy with {@link Options#defaults()}. */
  public static EditableModel quantized(Model model) {
    EditableModel m = EditableModel.from(model);
    quantize(m);
    return m;
  }

  private static final int NOT_QUANTIZABLE = -2;
  private static final int PER_TENSOR = -1;

  /** The quantization axis of an op's weights: a dimension, {@link #PER_TENSOR}, or {@link #NOT_QUANTIZABLE}. */
  private static int axis(String op, Options o) {
    switch (op) {
      case "CONV_2D": return o.perChannel() ? 0 : PER_TENSOR;
      case "DEPTHWISE_CONV_2D": return o.perChannel() ? 3 : PER_TENSOR;
      case "FULLY_CONNECTED": return o.perChannel() && o.perChannelDense() ? 0 : PER_TENSOR;
      default: return NOT_QUANTIZABLE;
    }
  }

  /** int8 values and their quantization. */
  public record QuantizedWeights(byte[] values, Quantization quantization) {}

  /**
   * Symmetric narrow-range int8 quantization of float weights, per channel along {@code axis} or per tensor
   * ({@code axis < 0}), as the converter computes it (see the class comment).
   */
  public static QuantizedWeights quantizeWeights(float[] values, int[] shape, int axis) {
    int channels = axis < 0 ? 1 : shape[axis];
    int inner = 1;
    if (axis >= 0) for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    double[] absMax = new double[channels];
    for (int i = 0; i < values.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      absMax[c] = Math.max(absMax[c], Math.abs((double) values[i])); // the range includes 0, then is made symmetric
    }
    double[] scale = new double[channels];
    float[] scaleF = new float[channels];
    for (int c = 0; c < channels; c++) {
      double max = absMax[c], min = -max;
      if (!(max - min > NEAR_ZERO)) { // ExpandVerySmallRange
        min = Math.min(min, -NEAR_ZERO / 2);
        max = Math.max(max, NEAR_ZERO / 2);
      }
      scale[c] = (max - min) / 254.0; // qmax - qmin of the narrow int8 range [-127, 127]
      scaleF[c] = (float) scale[c];
    }
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = axis < 0 ? 0 : (i / inner) % channels;
      double r = roundHalfAway(values[i] / scale[c]); // zero point 0
      q[i] = (byte) Math.max(-127, Math.min(127, r));
    }
    Quantization quant = axis < 0 ? Quantization.perTensor(scaleF[0], 0)
        : Quantization.perChannel(scaleF, new long[channels], axis);
    return new QuantizedWeights(q, quant);
  }

  /** {@code std::round}: halves away from zero. */
  static double roundHalfAway(double v) {
    double a = Math.abs(v), r = Math.floor(a);
    if (a - r >= 0.5) r += 1.0; // a - floor(a) is exact
    return Math.copySign(r, v);
  }

  private static EditableModel.Tensor copyOf(EditableModel.Tensor w, EditableModel.Subgraph g) {
    EditableModel.Tensor c = new EditableModel.Tensor(w.name + "_int8", w.type, w.shape);
    c.shapeSignature = w.shapeSignature.clone();
    return g.add(c);
  }
}
