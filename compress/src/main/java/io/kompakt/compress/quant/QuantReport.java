package io.kompakt.compress.quant;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * How far a quantized model is from its float original on a dataset: per layer (each float op output, matched by
 * tensor name with the quantized model's tensor, dequantized) the signal-to-quantization-noise ratio
 * {@code 10 log10(sum x^2 / sum (x - x')^2)} in dB and the largest absolute error, so the layer that hurts shows;
 * top-1 agreement of output 0; accuracy against labels where given. When a preparation changed the float function
 * (equalisation with RELU6 replaced), the outputs are compared with the original float model instead.
 */
public final class QuantReport {
  private QuantReport() {}

  /** One layer: the op (index and type in the float model), its output tensor, SNR in dB, max |error|, max |x|. */
  public record Layer(int op, String opName, String tensor, double snrDb, double maxAbsError, double maxAbs) {}

  /**
   * The comparison.
   *
   * @param top1Agree samples whose output-0 argmax is the same in both models
   * @param floatCorrect samples whose float argmax equals the label ({@code -1} without labels); likewise quantCorrect
   */
  public record Result(List<Layer> layers, int samples, int top1Agree, int floatCorrect, int quantCorrect) {
    public double agreement() { return samples == 0 ? Double.NaN : (double) top1Agree / samples; }

    public double floatAccuracy() { return floatCorrect < 0 || samples == 0 ? Double.NaN : (double) floatCorrect / samples; }

    public double quantAccuracy() { return quantCorrect < 0 || samples == 0 ? Double.NaN : (double) quantCorrect / samples; }

    /** The SNR of the model's first output (the last layer producing it). */
    public double outputSnrDb() { return layers.isEmpty() ? Double.NaN : layers.get(layers.size() - 1).snrDb(); }

    /** The layer with the lowest SNR. */
    public Layer worst() {
      Layer w = null;
      for (Layer l : layers) if (w == null || l.snrDb() < w.snrDb()) w = l;
      return w;
    }
  }

  /**
   * Runs both models on every sample of {@code source} ({@code labels[i]} the class of sample i, or null).
   */
  public static Result compare(Model floatModel, Model quantModel, Calibrator.Source source, int[] labels, int threads,
      IntConsumer progress) throws Exception {
    return compare(floatModel, quantModel, null, source, labels, threads, progress);
  }

  /**
   * As {@link #compare(Model, Model, Calibrator.Source, int[], int, IntConsumer)}, with the model outputs (top-1
   * agreement, float accuracy, the SNR of the output layers) measured against {@code original} when it is not null:
   * the float model before a preparation that changed its function (RELU6 replaced by RELU for equalisation), with
   * the same inputs and outputs. Inner layers are still compared with {@code floatModel}, the graph that was quantized.
   */
  public static Result compare(Model floatModel, Model quantModel, Model original, Calibrator.Source source, int[] labels,
      int threads, IntConsumer progress) throws Exception {
    Subgraph fg = floatModel.mainSubgraph(), qg = quantModel.mainSubgraph();
    Map<String, Integer> floatByName = new HashMap<>();
    List<int[]> layerOps = new ArrayList<>(); // {op, tensor}
    for (Operator op : fg.operators()) {
      for (int t : op.outputs()) {
        if (fg.tensor(t).type() != TensorType.FLOAT32) continue;
        floatByName.putIfAbsent(fg.tensor(t).name(), t);
        layerOps.add(new int[] {op.index(), t});
      }
    }
    int nt = fg.tensors().size();
    float[][] values = new float[nt][];
    double[] signal = new double[nt], noise = new double[nt], maxErr = new double[nt], maxAbs = new double[nt];
    boolean[] matched = new boolean[nt];
    Interpreter.Options fo = new Interpreter.Options().setNumThreads(threads).setObserver((op, outs) -> {
      for (RuntimeTensor t : outs) {
        if (t.type != TensorType.FLOAT32) continue;
        if (values[t.index] == null || values[t.index].length != t.size()) values[t.index] = new float[t.size()];
        System.arraycopy(t.f32, t.offset, values[t.index], 0, t.size());
      }
    });
    Interpreter.Options qo = new Interpreter.Options().setNumThreads(threads).setObserver((op, outs) -> {
      for (RuntimeTensor t : outs) {
        Integer f = floatByName.get(t.name);
        if (f == null || values[f] == null || values[f].length != t.size()) continue;
        matched[f] = true;
        float[] ref = values[f];
        double scale = t.scale();
        long zp = t.zeroPoint();
        boolean isFloat = t.type == TensorType.FLOAT32;
        for (int i = 0; i < ref.length; i++) {
          double q = isFloat ? t.f32[t.offset + i] : scale * (t.getLong(i) - zp);
          double d = ref[i] - q;
          signal[f] += (double) ref[i] * ref[i];
          noise[f] += d * d;
          maxErr[f] = Math.max(maxErr[f], Math.abs(d));
          maxAbs[f] = Math.max(maxAbs[f], Math.abs(ref[i]));
        }
      }
    });
    int agree = 0, fc = 0, qc = 0;
    if (original != null && original.mainSubgraph().outputs().length != fg.outputs().length) {
      throw new IllegalArgumentException("the original model has " + original.mainSubgraph().outputs().length + " outputs, the float model "
          + fg.outputs().length);
    }
    try (Interpreter fi = new Interpreter(floatModel, fo); Interpreter qi = new Interpreter(quantModel, qo);
         Interpreter oi = original == null ? null : new Interpreter(original, new Interpreter.Options().setNumThreads(threads))) {
      for (int n = 0; n < source.count(); n++) {
        source.fill(n, fi);
        fi.invoke();
        Interpreter ref = fi;
        if (oi != null) { // the original's outputs stand in for the float model's
          source.fill(n, oi);
          oi.invoke();
          ref = oi;
          for (int k = 0; k < fg.outputs().length; k++) {
            RuntimeTensor t = oi.getOutputTensor(k);
            float[] v = values[fg.outputs()[k]];
            if (t.type != TensorType.FLOAT32 || v == null || v.length != t.size()) {
              throw new IllegalArgumentException("output " + k + " of the original model is not the float model's " + Arrays.toString(t.shape));
            }
            System.arraycopy(t.f32, t.offset, v, 0, v.length);
          }
        }
        source.fill(n, qi);
        qi.invoke();
        int a = argmax(ref.getOutputTensor(0)), b = argmax(qi.getOutputTensor(0));
        if (a == b) agree++;
        if (labels != null) {
          if (a == labels[n]) fc++;
          if (b == labels[n]) qc++;
        }
        if (progress != null) progress.accept(n);
      }
    }
    List<Layer> layers = new ArrayList<>();
    for (int[] lt : layerOps) {
      int t = lt[1];
      if (!matched[t]) continue;
      double snr = noise[t] == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal[t] / noise[t]);
      layers.add(new Layer(lt[0], fg.operators().get(lt[0]).name(), fg.tensor(t).name(), snr, maxErr[t], maxAbs[t]));
    }
    // the graph output last, whatever op order
    int out0 = fg.outputs()[0];
    layers.sort((x, y) -> Boolean.compare(fg.tensor(out0).name().equals(x.tensor()), fg.tensor(out0).name().equals(y.tensor())));
    return new Result(layers, source.count(), agree, labels == null ? -1 : fc, labels == null ? -1 : qc);
  }

  /** Index of the largest element (the lowest index among ties), dequantization not needed: it is monotonic. */
  static int argmax(RuntimeTensor t) {
    int best = 0;
    double bv = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < t.size(); i++) {
      double v = t.get(i);
      if (v > bv) { bv = v; best = i; }
    }
    return best;
  }
}
