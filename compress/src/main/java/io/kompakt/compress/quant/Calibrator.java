package io.kompakt.compress.quant;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Runs a float model over a representative dataset and records the range of every float activation (graph
 * inputs and every op output), through {@link Interpreter.Options#setObserver}. Ranges are then read with one
 * of the {@link Method}s.
 */
public final class Calibrator {

  /** How a tensor's range is taken from what calibration saw. */
  public enum Method {
    /** the smallest and largest value seen (the converter's choice) */
    MINMAX,
    /** an exponential moving average (decay 0.9) of each sample's min and max, as quantization-aware training keeps */
    MOVING_AVERAGE,
    /** the {@code percentile}-th and {@code (100 - percentile)}-th percentiles of the values (outliers clipped) */
    PERCENTILE,
    /** the clipping of the min/max range (from 30% to 100% of it) whose int8 quantization error is smallest */
    MSE;

    public static Method parse(String s) {
      switch (s.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
        case "minmax": case "min_max": return MINMAX;
        case "moving_average": case "ema": return MOVING_AVERAGE;
        case "percentile": return PERCENTILE;
        case "mse": return MSE;
        default: throw new IllegalArgumentException("calibration method is minmax, moving-average, percentile or mse; got '" + s + "'");
      }
    }
  }

  /** Inputs for calibration: {@code count()} samples; {@code fill(i, interpreter)} writes sample i into its inputs. */
  public interface Source {
    int count();

    void fill(int index, Interpreter interpreter) throws Exception;
  }

  /**
   * Writes float values into an input tensor: as they are into a float input, quantized with the tensor's scale and
   * zero point (halves away from zero, saturating) into an integer one.
   */
  public static void setInput(RuntimeTensor t, float[] values) {
    int n = t.size();
    if (values.length != n) throw new IllegalArgumentException("input " + t + " has " + n + " elements; got " + values.length);
    if (t.type == TensorType.FLOAT32) {
      System.arraycopy(values, 0, t.f32, t.offset, n);
      return;
    }
    ScaleChooser.Params p = new ScaleChooser.Params(t.scale(), t.zeroPoint());
    long qmin, qmax;
    switch (t.type) {
      case INT8: qmin = -128; qmax = 127; break;
      case UINT8: qmin = 0; qmax = 255; break;
      case INT16: qmin = -32768; qmax = 32767; break;
      default: throw new IllegalArgumentException("input " + t + ": cannot write floats into " + t.type.lowerName());
    }
    if (!(p.scale() > 0)) throw new IllegalArgumentException("input " + t + " has no quantization scale");
    for (int i = 0; i < n; i++) {
      long q = p.quantize(values[i], qmin, qmax);
      if (t.type == TensorType.INT16) t.i16[t.offset + i] = (short) q; else t.i8[t.offset + i] = (byte) q;
    }
  }

  /** {@code count} samples of every input uniform in {@code [lo, hi)}, the same for a seed on every call. */
  public static Source random(int count, long seed, float lo, float hi) {
    return new Source() {
      @Override
      public int count() { return count; }

      @Override
      public void fill(int index, Interpreter it) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
        for (int k = 0; k < it.getInputTensorCount(); k++) {
          RuntimeTensor t = it.getInputTensor(k);
          float[] v = new float[t.size()];
          for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
          setInput(t, v);
        }
      }
    };
  }

  /** Values seen for one tensor. */
  public static final class Stats {
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    double emaMin, emaMax;
    int samples;
    long seen;
    final float[] reservoir;
    int filled;

    Stats(int reservoirSize) { reservoir = new float[reservoirSize]; }

    public double min() { return min; }

    public double max() { return max; }

    public int samples() { return samples; }

    void add(float[] a, int off, int n, SplittableRandom rnd) {
      double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        float v = a[off + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (Double.isNaN(lo) || Double.isNaN(hi) || n == 0) return;
      min = Math.min(min, lo);
      max = Math.max(max, hi);
      if (samples == 0) { emaMin = lo; emaMax = hi; } else { emaMin = 0.9 * emaMin + 0.1 * lo; emaMax = 0.9 * emaMax + 0.1 * hi; }
      samples++;
      if (reservoir.length == 0) return;
      int step = Math.max(1, n / reservoir.length); // at most about one reservoir's worth per sample
      for (int i = rnd.nextInt(step); i < n; i += step) {
        seen++;
        if (filled < reservoir.length) reservoir[filled++] = a[off + i];
        else {
          long j = rnd.nextLong(seen);
          if (j < reservoir.length) reservoir[(int) j] = a[off + i];
        }
      }
    }

    /** The range by {@code method}; {@code percentile} for PERCENTILE, {@code levels} (e.g. 256) for MSE. */
    public double[] range(Method method, double percentile, int levels) {
      if (samples == 0) throw new IllegalStateException("no values seen");
      switch (method) {
        case MINMAX: return new double[] {min, max};
        case MOVING_AVERAGE: return new double[] {emaMin, emaMax};
        case PERCENTILE: {
          float[] v = sorted();
          if (v.length == 0) return new double[] {min, max};
          double q = Math.max(0, Math.min(100, percentile)) / 100.0;
          return new double[] {v[(int) Math.floor((1 - q) * (v.length - 1))], v[(int) Math.ceil(q * (v.length - 1))]};
        }
        case MSE: return mse(levels);
        default: throw new IllegalArgumentException(String.valueOf(method));
      }
    }

    private float[] sorted() {
      float[] v = Arrays.copyOf(reservoir, filled);
      Arrays.sort(v);
      return v;
    }

    /** The clipped range minimising the mean squared quantization error over the reservoir. */
    private double[] mse(int levels) {
      float[] v = Arrays.copyOf(reservoir, filled);
      if (v.length == 0) return new double[] {min, max};
      double lo = Math.min(min, 0), hi = Math.max(max, 0);
      double best = Double.POSITIVE_INFINITY;
      double[] bestRange = {min, max};
      for (int k = 0; k <= 70; k++) {
        double f = 1.0 - k * 0.01;
        double a = lo * f, b = hi * f;
        ScaleChooser.Params p = ScaleChooser.affine(a, b, 0, levels - 1, false);
        double err = 0;
        for (float x : v) {
          double d = x - p.dequantize(p.quantize(x, 0, levels - 1));
          err += d * d;
        }
        if (err < best) { best = err; bestRange = new double[] {Math.max(a, min), Math.min(b, max)}; }
      }
      return bestRange;
    }
  }

  private final Stats[] stats;
  private final Model model;

  private Calibrator(Model model, Stats[] stats) {
    this.model = model;
    this.stats = stats;
  }

  /** Statistics of tensor {@code index} of the main subgraph, or null if it is not a float activation. */
  public Stats stats(int index) { return stats[index]; }

  public Model model() { return model; }

  /**
   * Runs {@code model} on every sample of {@code source}.
   *
   * @param keepValues whether to keep a reservoir of values per tensor (for PERCENTILE and MSE)
   * @param progress called with the sample index after each sample (a progress bar), or null
   */
  public static Calibrator run(Model model, Source source, boolean keepValues, int threads, IntConsumer progress) throws Exception {
    Subgraph g = model.mainSubgraph();
    Stats[] stats = new Stats[g.tensors().size()];
    int reservoir = keepValues ? 8192 : 0;
    for (int i : g.inputs()) if (g.tensor(i).type() == TensorType.FLOAT32) stats[i] = new Stats(reservoir);
    for (Operator op : g.operators()) {
      for (int o : op.outputs()) if (g.tensor(o).type() == TensorType.FLOAT32) stats[o] = new Stats(reservoir);
    }
    SplittableRandom rnd = new SplittableRandom(1);
    Interpreter.Options options = new Interpreter.Options().setNumThreads(threads).setObserver((op, outs) -> {
      for (RuntimeTensor t : outs) {
        Stats s = stats[t.index];
        if (s != null) s.add(t.f32, t.offset, t.size(), rnd);
      }
    });
    if (source.count() < 1) throw new IllegalArgumentException("calibration needs at least one sample");
    try (Interpreter it = new Interpreter(model, options)) {
      for (int n = 0; n < source.count(); n++) {
        source.fill(n, it);
        for (int k = 0; k < it.getInputTensorCount(); k++) {
          RuntimeTensor t = it.getInputTensor(k);
          if (stats[t.index] != null) stats[t.index].add(t.f32, t.offset, t.size(), rnd);
        }
        it.invoke();
        if (progress != null) progress.accept(n);
      }
      // outputs of ops folded at prepare (all inputs constant): their values are fixed
      for (int i = 0; i < stats.length; i++) {
        RuntimeTensor t = it.tensor(i);
        if (stats[i] != null && stats[i].samples == 0 && t.constant && t.f32 != null) stats[i].add(t.f32, t.offset, t.size(), rnd);
      }
    }
    return new Calibrator(model, stats);
  }
}
