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
    MSE,
    /**
     * TensorRT's entropy calibration: the clipping whose quantized histogram (2048 bins) is closest to the seen one in
     * KL divergence ({@link Stats#range}); needs a second pass over the data (the histograms span the first pass's range)
     */
    KL;

    public static Method parse(String s) {
      switch (s.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_')) {
        case "minmax": case "min_max": return MINMAX;
        case "moving_average": case "ema": return MOVING_AVERAGE;
        case "percentile": return PERCENTILE;
        case "mse": return MSE;
        case "kl": case "entropy": return KL;
        default: throw new IllegalArgumentException("calibration method is minmax, moving-average, percentile, mse or kl; got '" + s + "'");
      }
    }
  }

  /**
   * What a calibration run keeps beyond each tensor's min, max and moving averages.
   *
   * @param values a reservoir of values per tensor (PERCENTILE, MSE)
   * @param histograms 2048-bin histograms per tensor, filled in a second pass (KL)
   * @param layerInputMeans each conv / depthwise / dense layer's mean input patch (bias correction)
   */
  public record Needs(boolean values, boolean histograms, boolean layerInputMeans) {
    /** Ranges only: what MINMAX and MOVING_AVERAGE read. */
    public static final Needs RANGES = new Needs(false, false, false);

    /** What {@code method} reads. */
    public static Needs of(Method method) {
      return new Needs(method == Method.PERCENTILE || method == Method.MSE, method == Method.KL, false);
    }

    public Needs withLayerInputMeans(boolean b) { return new Needs(values, histograms, b); }

    /** Passes over the data: 2 with histograms (their span comes from the first), else 1. */
    public int passes() { return histograms ? 2 : 1; }
  }

  /** Bins of the KL method's histograms (TensorRT's count). */
  public static final int HISTOGRAM_BINS = 2048;

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
    /** KL: counts of |x| over [0, max |x|] in HISTOGRAM_BINS bins */
    long[] histogram;
    double top;

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

    /** Starts the histograms of the second pass, spanning the range the first pass saw. */
    void startHistograms() {
      if (samples == 0) return;
      top = Math.max(Math.abs(min), Math.abs(max));
      histogram = new long[HISTOGRAM_BINS];
    }

    /**
     * Counts values into the histograms (after {@link #startHistograms}; values beyond the span go to the end bins).
     * Exact zeros are left out (as NVIDIA's pytorch-quantization flattens its first bin): every quantization holds
     * them exactly, and the half of a ReLU's outputs that are zero would otherwise make the bin holding 0 a spike that
     * any merging of bins smears, pulling the KL choice towards small ranges.
     */
    void addToHistograms(float[] a, int off, int n) {
      if (histogram == null) return;
      int last = HISTOGRAM_BINS - 1;
      double step = top / HISTOGRAM_BINS;
      for (int i = 0; i < n; i++) {
        float v = a[off + i];
        if (Float.isNaN(v) || v == 0) continue;
        histogram[step > 0 ? (int) Math.min(last, Math.abs(v) / step) : 0]++;
      }
    }

    /** The range by {@code method}; {@code percentile} for PERCENTILE, {@code levels} (e.g. 256) for MSE and KL. */
    public double[] range(Method method, double percentile, int levels) { return range(method, percentile, levels, false); }

    /**
     * The range by {@code method}; {@code percentile} for PERCENTILE, {@code levels} (e.g. 256) for MSE and KL;
     * {@code symmetric}: whether the range will be quantized symmetrically (for KL).
     *
     * <p>KL (TensorRT's entropy calibration) on the histogram of |x| over [0, max |x|] ({@value #HISTOGRAM_BINS}
     * bins): for each threshold {@code t} of {@code i} bins, the reference P is the histogram's first {@code i} bins
     * with the counts beyond added to the last of them, Q the same bins without those counts merged into {@code L}
     * levels and spread back evenly over each level's non-empty bins; the threshold with the smallest KL(P || Q) wins
     * (ties: the larger). {@code L} is the number of quantization steps that will cover [0, t]: {@code levels / 2}
     * (128 for 8 bits) when symmetric; affine, {@code levels - 1} (255) times the share of [0, t] in the clipped range
     * [max(min, -t), min(max, t)], so 255 for one-signed tensors (ReLU outputs) and about 128 for balanced ones.
     * Thresholds start at {@code L} bins and at the median |x| (KL cannot see values collapsed onto the threshold, so
     * a threshold below most values would look lossless). The range is [max(min, -t), min(max, t)]. With {@code L}
     * at least the bin count (16-bit activations) the histogram cannot show a quantization loss: [min, max].
     */
    public double[] range(Method method, double percentile, int levels, boolean symmetric) {
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
        case KL: return kl(levels, symmetric);
        default: throw new IllegalArgumentException(String.valueOf(method));
      }
    }

    private double[] kl(int levels, boolean symmetric) {
      if (histogram == null) {
        throw new IllegalStateException("the KL method needs histograms: calibrate with Needs.of(Method.KL) (a second pass)");
      }
      int n = HISTOGRAM_BINS;
      long total = 0;
      for (long c : histogram) total += c;
      if (top == 0 || total == 0 || (symmetric ? levels / 2 : levels - 1) >= n) return new double[] {min, max};
      int median = 0;
      for (long seen = 0; median < n && 2 * (seen + histogram[median]) < total; median++) seen += histogram[median];
      double step = top / n, below = -Math.min(min, 0), above = Math.max(max, 0);
      int best = n;
      double bestKl = Double.POSITIVE_INFINITY;
      for (int i = Math.max(1, median + 1); i <= n; i++) {
        double t = i * step;
        int quantBins = symmetric ? levels / 2
            : (int) Math.round((levels - 1) * t / (Math.min(below, t) + Math.min(above, t)));
        if (i < quantBins) continue;
        double d = klDivergence(histogram, 0, i, quantBins);
        if (d <= bestKl) { bestKl = d; best = i; } // ties: the larger threshold
      }
      double t = best * step;
      return new double[] {Math.max(min, -t), Math.min(max, t)};
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

  /**
   * KL(P || Q) of the histogram window {@code [a, b)} against its quantization to {@code levels} levels (TensorRT's
   * entropy calibration, as MXNet's {@code _get_optimal_threshold} writes it): P is the window with the counts outside
   * it added to its first and last bins; Q merges the window's own counts into {@code levels} equal groups of bins and
   * spreads each group's total evenly over its bins where P is not zero. Both are smoothed (empty bins get 1e-4 of a
   * count, taken from the others) and normalized.
   */
  static double klDivergence(long[] h, int a, int b, int levels) {
    int n = b - a;
    if (n < levels || n <= 0) throw new IllegalArgumentException("window of " + n + " bins for " + levels + " levels");
    double[] p = new double[n], q = new double[n];
    double left = 0, right = 0;
    for (int k = 0; k < a; k++) left += h[k];
    for (int k = b; k < h.length; k++) right += h[k];
    for (int k = 0; k < n; k++) p[k] = h[a + k];
    p[0] += left;
    p[n - 1] += right;
    for (int j = 0; j < levels; j++) {
      int s = (int) ((long) j * n / levels), e = (int) ((long) (j + 1) * n / levels);
      double total = 0;
      int nonzero = 0;
      for (int k = s; k < e; k++) {
        total += h[a + k];
        if (p[k] != 0) nonzero++;
      }
      if (nonzero > 0) for (int k = s; k < e; k++) if (p[k] != 0) q[k] = total / nonzero;
    }
    if (!smooth(p) || !smooth(q)) return Double.POSITIVE_INFINITY;
    double sp = 0, sq = 0;
    for (int k = 0; k < n; k++) { sp += p[k]; sq += q[k]; }
    double d = 0;
    for (int k = 0; k < n; k++) {
      if (p[k] <= 0) continue;
      double pk = p[k] / sp, qk = q[k] / sq;
      d += pk * Math.log(pk / qk);
    }
    return d;
  }

  /** MXNet's {@code _smooth_distribution}: zeros get eps, the non-zero bins give it up evenly; false if all zero. */
  private static boolean smooth(double[] v) {
    final double eps = 1e-4;
    int zeros = 0;
    for (double x : v) if (x == 0) zeros++;
    int nonzeros = v.length - zeros;
    if (nonzeros == 0) return false;
    double take = eps * zeros / nonzeros;
    for (int k = 0; k < v.length; k++) v[k] = v[k] == 0 ? eps : v[k] - take;
    return true;
  }

  private final Stats[] stats;
  private final Model model;
  private final LayerInputMeans inputMeans;

  private Calibrator(Model model, Stats[] stats, LayerInputMeans inputMeans) {
    this.model = model;
    this.stats = stats;
    this.inputMeans = inputMeans;
  }

  /** Statistics of tensor {@code index} of the main subgraph, or null if it is not a float activation. */
  public Stats stats(int index) { return stats[index]; }

  public Model model() { return model; }

  /** Whether the run kept each layer's mean input ({@link Needs#layerInputMeans}). */
  public boolean hasLayerInputMeans() { return inputMeans != null; }

  /**
   * The mean input of conv-like op {@code op} of the main subgraph over the calibration data: for CONV_2D and
   * DEPTHWISE_CONV_2D the mean input patch {@code [KH][KW][C]} under the filter (padding as zeros), for
   * FULLY_CONNECTED the mean input row; null for other ops or without {@link Needs#layerInputMeans}.
   */
  public double[] layerInputMean(int op) { return inputMeans == null ? null : inputMeans.mean(op); }

  /**
   * Runs {@code model} on every sample of {@code source}.
   *
   * @param keepValues whether to keep a reservoir of values per tensor (for PERCENTILE and MSE)
   * @param progress called with the sample index after each sample (a progress bar), or null
   */
  public static Calibrator run(Model model, Source source, boolean keepValues, int threads, IntConsumer progress) throws Exception {
    return run(model, source, new Needs(keepValues, false, false), threads, progress);
  }

  /**
   * Runs {@code model} on every sample of {@code source}, keeping what {@code needs} asks for.
   *
   * @param progress called after each sample of each pass ({@link Needs#passes} x {@code source.count()} calls), or null
   */
  public static Calibrator run(Model model, Source source, Needs needs, int threads, IntConsumer progress) throws Exception {
    Subgraph g = model.mainSubgraph();
    Stats[] stats = new Stats[g.tensors().size()];
    int reservoir = needs.values() ? 8192 : 0;
    for (int i : g.inputs()) if (g.tensor(i).type() == TensorType.FLOAT32) stats[i] = new Stats(reservoir);
    for (Operator op : g.operators()) {
      for (int o : op.outputs()) if (g.tensor(o).type() == TensorType.FLOAT32) stats[o] = new Stats(reservoir);
    }
    LayerInputMeans means = needs.layerInputMeans() ? LayerInputMeans.of(model) : null;
    SplittableRandom rnd = new SplittableRandom(1);
    boolean[] histogramPass = {false};
    Interpreter.Options options = new Interpreter.Options().setNumThreads(threads).setObserver((op, outs) -> {
      for (RuntimeTensor t : outs) {
        Stats s = stats[t.index];
        if (s == null) continue;
        if (histogramPass[0]) {
          s.addToHistograms(t.f32, t.offset, t.size());
        } else {
          s.add(t.f32, t.offset, t.size(), rnd);
          if (means != null) means.observe(t);
        }
      }
    });
    if (source.count() < 1) throw new IllegalArgumentException("calibration needs at least one sample");
    try (Interpreter it = new Interpreter(model, options)) {
      for (int pass = 0; pass < needs.passes(); pass++) {
        histogramPass[0] = pass == 1;
        if (histogramPass[0]) for (Stats s : stats) if (s != null) s.startHistograms();
        for (int n = 0; n < source.count(); n++) {
          source.fill(n, it);
          for (int k = 0; k < it.getInputTensorCount(); k++) {
            RuntimeTensor t = it.getInputTensor(k);
            if (stats[t.index] == null) continue;
            if (histogramPass[0]) {
              stats[t.index].addToHistograms(t.f32, t.offset, t.size());
            } else {
              stats[t.index].add(t.f32, t.offset, t.size(), rnd);
              if (means != null) means.observe(t);
            }
          }
          it.invoke();
          if (progress != null) progress.accept(pass * source.count() + n);
        }
        // outputs of ops folded at prepare (all inputs constant): their values are fixed
        for (int i = 0; i < stats.length; i++) {
          RuntimeTensor t = it.tensor(i);
          if (stats[i] == null || !t.constant || t.f32 == null) continue;
          if (histogramPass[0]) {
            if (stats[i].histogram != null && stats[i].samples == 1) stats[i].addToHistograms(t.f32, t.offset, t.size());
          } else if (stats[i].samples == 0) {
            stats[i].add(t.f32, t.offset, t.size(), rnd);
          }
        }
      }
    }
    return new Calibrator(model, stats, means);
  }
}
