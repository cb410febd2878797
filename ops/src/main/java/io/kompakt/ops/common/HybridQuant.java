package io.kompakt.ops.common;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * The on-the-fly input quantization of TensorFlow Lite's hybrid (dynamic-range) kernels: float32 activations,
 * int8 constant weights. Each batch row of the input is quantized to int8 with a scale of its own, as TFLite's
 * {@code tensor_utils} (portable build) does it:
 *
 * <ul>
 *   <li><b>Symmetric</b> ({@code SymmetricQuantizeFloats}): {@code range = max(|min|, |max|)} in float; a row of
 *       zeros gives all-zero values and scale 1; else {@code scale = range / 127} and
 *       {@code q = clamp(round(x * (127 / range)), -127, 127)}, every operation in float, round half away from
 *       zero ({@code std::round}). Zero point 0.
 *   <li><b>Asymmetric</b> ({@code AsymmetricQuantizeFloats}): {@code rmin = min(0, min)}, {@code rmax = max(0, max)}
 *       in double; equal (a row of zeros) gives zeros, scale 1, zero point 0; else {@code scale = (rmax - rmin) / 255}
 *       (double, stored as float), the zero point {@code -128 - rmin / scale} or {@code 127 - rmax / scale}, whichever
 *       has the smaller error {@code |qmin| + |rmin / scale|} versus {@code |qmax| + |rmax / scale|}, nudged into
 *       [-128, 127] and rounded half away from zero; then {@code q = clamp(round(zp + x * (1f / scale)), -128, 127)}
 *       with {@code zp + x * inv} summed in float.
 * </ul>
 *
 * <p>The hybrid op then accumulates {@code sum(w * (q - zp))} in int32 and rescales in float by the row's scale
 * times the weights' scale; the op classes ({@code FullyConnectedHybridReference}, {@code Conv2dHybridReference},
 * {@code DepthwiseConv2dHybridReference}) say in which order TFLite rounds the products.
 */
public final class HybridQuant {
  private HybridQuant() {}

  /**
   * Quantizes {@code rows} rows of {@code rowSize} floats from {@code x[off]} into {@code q[0..]}, one scale (and,
   * when asymmetric, one zero point) per row into {@code scales[0..rows)} / {@code zeroPoints[0..rows)}.
   */
  public static void quantizeRows(float[] x, int off, int rows, int rowSize, byte[] q, float[] scales, int[] zeroPoints,
                                  boolean asymmetric) {
    for (int r = 0; r < rows; r++) {
      if (asymmetric) {
        asymmetric(x, off + r * rowSize, rowSize, q, r * rowSize, scales, zeroPoints, r);
      } else {
        scales[r] = symmetric(x, off + r * rowSize, rowSize, q, r * rowSize);
        zeroPoints[r] = 0;
      }
    }
  }

  /** TFLite's SymmetricQuantizeFloats of one row; returns the row's scale. */
  public static float symmetric(float[] x, int off, int n, byte[] q, int qOff) {
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      float v = x[off + i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    float range = Math.max(Math.abs(min), Math.abs(max));
    if (range == 0f || n == 0) {
      java.util.Arrays.fill(q, qOff, qOff + n, (byte) 0);
      return 1f;
    }
    float inv = 127f / range;
    for (int i = 0; i < n; i++) {
      int v = roundHalfAway(x[off + i] * inv);
      q[qOff + i] = (byte) Math.min(127, Math.max(-127, v));
    }
    return range / 127f;
  }

  /** TFLite's AsymmetricQuantizeFloats of one row: scale into {@code scales[i]}, zero point into {@code zeroPoints[i]}. */
  public static void asymmetric(float[] x, int off, int n, byte[] q, int qOff, float[] scales, int[] zeroPoints, int i) {
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    for (int k = 0; k < n; k++) {
      float v = x[off + k];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    double rmin = n == 0 ? 0 : Math.min(0.0, min), rmax = n == 0 ? 0 : Math.max(0.0, max);
    if (rmin == rmax) {
      java.util.Arrays.fill(q, qOff, qOff + n, (byte) 0);
      scales[i] = 1f;
      zeroPoints[i] = 0;
      return;
    }
    double scale = (rmax - rmin) / 255.0;
    double fromMin = -128.0 - rmin / scale, fromMax = 127.0 - rmax / scale;
    double errorMin = 128.0 + Math.abs(rmin / scale), errorMax = 127.0 + Math.abs(rmax / scale);
    double zpDouble = errorMin < errorMax ? fromMin : fromMax;
    int zp = zpDouble <= -128.0 ? -128 : zpDouble >= 127.0 ? 127 : (int) roundHalfAway(zpDouble);
    float s = (float) scale;
    float inv = 1f / s;
    for (int k = 0; k < n; k++) {
      int v = roundHalfAway(zp + x[off + k] * inv);
      q[qOff + k] = (byte) Math.min(127, Math.max(-128, v));
    }
    scales[i] = s;
    zeroPoints[i] = zp;
  }

  /** {@code std::round} of a float as an int: halves away from zero. */
  public static int roundHalfAway(float v) {
    return (int) roundHalfAway((double) v);
  }

  /** C's {@code round} of a double: halves away from zero. */
  public static double roundHalfAway(double v) {
    double a = Math.abs(v), r = Math.floor(a);
    if (a - r >= 0.5) r += 1.0; // a - floor(a) is exact, so halves are seen as halves
    return Math.copySign(r, v);
  }

  /** Whether {@code x[off .. off + n)} are all zero (TFLite's IsZeroVector: +0 and -0). */
  public static boolean allZero(float[] x, int off, int n) {
    for (int i = 0; i < n; i++) if (x[off + i] != 0f) return false;
    return true;
  }

  /**
   * The checks every hybrid op makes of its weights: int8 (uint8 weights with float input are refused), quantized
   * with zero points 0 (TFLite's hybrid kernels ignore the weights' zero points; Kompakt refuses rather than compute
   * something else), and either one scale or {@code channels} scales along {@code dimension}.
   *
   * @return the scales, one per channel ({@code channels} long) or one
   */
  public static float[] weightScales(OpContext ctx, RuntimeTensor weights, int channels, int dimension) {
    ctx.require(weights.type == TensorType.INT8, "hybrid (dynamic-range) quantization, float input with "
        + weights.type.lowerName() + " weights " + weights + ", is supported with int8 weights only");
    Quantization q = weights.quantization;
    ctx.require(q.isQuantized(), "hybrid weights " + weights + " have no quantization scale");
    for (long zp : q.zeroPoint()) {
      ctx.require(zp == 0, "hybrid weights " + weights + " have a zero point " + zp + "; TFLite's hybrid kernels take "
          + "symmetric weights (zero point 0) only");
    }
    float[] s = q.scale();
    if (s.length > 1) {
      ctx.require(s.length == channels && q.quantizedDimension() == dimension, "hybrid weights " + weights + " have "
          + s.length + " scales along dimension " + q.quantizedDimension() + "; expected 1, or " + channels
          + " along dimension " + dimension);
    }
    return s.clone();
  }

  /** The scale of channel {@code c}: per channel, or the one scale. */
  public static float scale(float[] scales, int c) { return scales.length == 1 ? scales[0] : scales[c]; }
}
