package io.kompakt.train;

import java.util.Arrays;

/**
 * Quantization-aware training: the forward pass sees the weights and activations as the int8 model will hold them
 * (quantized, then dequantized), the backward pass lets the gradient through unchanged (the straight-through
 * estimator), except where an activation was clipped to its range, and the optimizer updates float master weights.
 *
 * <ul>
 *   <li>weights as Kompakt's post-training quantizer stores them: symmetric int8 in [-127, 127], one scale per output
 *       channel for CONV_2D (dimension 0) and DEPTHWISE_CONV_2D (dimension 3), one per tensor for FULLY_CONNECTED;
 *   <li>activations (every op's output but a final SOFTMAX's) asymmetric int8 over a range that contains 0, the range
 *       an exponential moving average (decay {@value #DECAY}) of each batch's min and max, as TensorFlow's QAT keeps
 *       it; the first batch only measures.
 * </ul>
 * After training, {@code kompakt quantize} (calibrated) writes the int8 model.
 */
public final class FakeQuant {
  /** Decay of the moving averages of the activation ranges. */
  public static final double DECAY = 0.99;

  private final TrainGraph graph;
  private final float[][] master, channelMax;
  private final double[] lo, hi;
  /** Per tensor, the int8 grid of its current range ({@link #activationParams}), set after each batch. */
  private final float[] scale;
  private final int[] zeroPoint;
  private final boolean[] seen;
  private boolean ready;

  FakeQuant(TrainGraph graph) {
    this.graph = graph;
    master = new float[graph.params().size()][];
    channelMax = new float[master.length][];
    for (int i = 0; i < master.length; i++) {
      Param p = graph.params().get(i);
      if (!p.isWeight) continue;
      master[i] = p.values.clone();
      channelMax[i] = new float[channels(p)];
    }
    int n = graph.tensorCount();
    lo = new double[n];
    hi = new double[n];
    scale = new float[n];
    zeroPoint = new int[n];
    seen = new boolean[n];
  }

  /** Whether activations are quantized yet (after the first batch). */
  public boolean ready() { return ready; }

  /** The moving-average range of tensor {@code t}, or null before it was measured. */
  public double[] range(int t) { return seen[t] ? new double[] {lo[t], hi[t]} : null; }

  // ---- weights ----

  /** Before a step: keep the float weights as masters and give the forward pass their quantized values. */
  void quantizeWeights() {
    for (int i = 0; i < master.length; i++) {
      if (master[i] == null) continue;
      Param p = graph.params().get(i);
      System.arraycopy(p.values, 0, master[i], 0, p.values.length);
      weightsPerChannel(master[i], p.values, channelMax[i], p.op.equals("DEPTHWISE_CONV_2D"));
    }
    graph.refresh();
  }

  /** After the backward pass: the optimizer updates the float masters (straight-through: the same gradient). */
  void restoreWeights() {
    for (int i = 0; i < master.length; i++) {
      if (master[i] != null) System.arraycopy(master[i], 0, graph.params().get(i).values, 0, master[i].length);
    }
  }

  /** Weight scales the quantizer uses: per output channel for convolutions, one for a dense layer. */
  static int channels(Param p) {
    switch (p.op) {
      case "CONV_2D": return p.shape[0];
      case "DEPTHWISE_CONV_2D": return p.shape[p.shape.length - 1];
      default: return 1;
    }
  }

  /**
   * {@code dst = s * clamp(round(src / s), -127, 127)} with {@code s = max|src| / 127} per channel ({@code max.length}
   * channels: blocks of consecutive values, or channel innermost); a channel of zeros stays zero.
   */
  static void weightsPerChannel(float[] src, float[] dst, float[] max, boolean channelInnermost) {
    int channels = max.length, per = src.length / channels;
    Arrays.fill(max, 0f);
    for (int i = 0; i < src.length; i++) {
      int c = channelInnermost ? i % channels : i / per;
      max[c] = Math.max(max[c], Math.abs(src[i]));
    }
    for (int i = 0; i < src.length; i++) {
      int c = channelInnermost ? i % channels : i / per;
      float s = max[c] / 127f;
      dst[i] = s == 0f ? 0f : s * Math.max(-127, Math.min(127, Math.round(src[i] / s)));
    }
  }

  // ---- activations ----

  /** Scale and zero point of int8 over [min, max] widened to contain 0 (TensorFlow's nudged range). */
  static double[] activationParams(double min, double max) {
    min = Math.min(min, 0);
    max = Math.max(max, 0);
    if (max - min < 1e-12) return new double[] {1e-12, 0};
    double scale = (max - min) / 255;
    double zp = Math.max(-128, Math.min(127, Math.round(-128 - min / scale)));
    return new double[] {scale, zp};
  }

  /**
   * After a node's forward pass: records the output's range in {@code ws} and, once the ranges exist, replaces the
   * output by its quantized value.
   */
  void activation(Workspace ws, int t) {
    float[] x = ws.act[t];
    float mn = Float.POSITIVE_INFINITY, mx = Float.NEGATIVE_INFINITY;
    for (float v : x) {
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
    }
    ws.qatMin[t] = Math.min(ws.qatMin[t], mn);
    ws.qatMax[t] = Math.max(ws.qatMax[t], mx);
    if (!ready || !seen[t]) return;
    float scale = this.scale[t];
    int zp = zeroPoint[t];
    for (int i = 0; i < x.length; i++) {
      int q = Math.max(-128, Math.min(127, Math.round(x[i] / scale) + zp));
      x[i] = (q - zp) * scale;
    }
  }

  /** Before a node's backward pass: no gradient through outputs clipped at the ends of their range. */
  void clipGradient(Workspace ws, int t) {
    if (!ready || !seen[t] || ws.grad[t] == null) return;
    float scale = this.scale[t];
    int zp = zeroPoint[t];
    float low = (-128 - zp) * scale, high = (127 - zp) * scale;
    float[] x = ws.act[t], g = ws.grad[t];
    for (int i = 0; i < x.length; i++) if (x[i] <= low && low < 0 || x[i] >= high && high > 0) g[i] = 0f;
  }

  /** Start of a step: clears each workspace's batch ranges. */
  void startBatch(Workspace[] ws) {
    for (Workspace w : ws) {
      Arrays.fill(w.qatMin, Float.POSITIVE_INFINITY);
      Arrays.fill(w.qatMax, Float.NEGATIVE_INFINITY);
    }
  }

  /** End of a step: folds the batch's ranges into the moving averages. */
  void endBatch(Workspace[] ws) {
    for (int t = 0; t < lo.length; t++) {
      double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
      for (Workspace w : ws) {
        mn = Math.min(mn, w.qatMin[t]);
        mx = Math.max(mx, w.qatMax[t]);
      }
      if (mn > mx) continue; // not an op output
      if (!seen[t]) {
        lo[t] = mn;
        hi[t] = mx;
        seen[t] = true;
      } else {
        lo[t] = DECAY * lo[t] + (1 - DECAY) * mn;
        hi[t] = DECAY * hi[t] + (1 - DECAY) * mx;
      }
      double[] p = activationParams(lo[t], hi[t]);
      scale[t] = (float) p[0];
      zeroPoint[t] = (int) p[1];
    }
    ready = true;
  }
}
