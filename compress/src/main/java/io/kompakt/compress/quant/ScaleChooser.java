package io.kompakt.compress.quant;

/**
 * Scale and zero point for a real range, as TFLite's converter chooses them (the MLIR quantizer's
 * {@code fakeQuantAttrsToType} / {@code getNudgedScaleAndZeroPoint}):
 *
 * <ul>
 *   <li>affine: the range is widened to include 0; {@code scale = (max - min) / (qmax - qmin)}; the zero point is
 *       {@code qmin - min / scale} or {@code qmax - max / scale}, whichever has the smaller error, rounded and
 *       clamped to [qmin, qmax] (so real 0 is exactly representable). A range of width under double epsilon (all
 *       zeros) gets scale 1 and zero point qmin.
 *   <li>symmetric: {@code scale = max(|min|, |max|) / qmax} (narrow range, as for int16 activations and int8
 *       weights), zero point 0, or the middle of the range for unsigned types (128 for uint8).
 *   <li>power of two (an option, for shift-only hardware): the scale is rounded <i>up</i> to the next power of two,
 *       so the calibrated range stays covered, and the zero point is chosen again for that scale.
 * </ul>
 */
public final class ScaleChooser {
  private ScaleChooser() {}

  /** A scale and zero point. */
  public record Params(double scale, long zeroPoint) {
    /** {@code clamp(round(x / scale) + zeroPoint, qmin, qmax)} with halves away from zero. */
    public long quantize(double x, long qmin, long qmax) {
      double r = roundHalfAway(x / scale) + zeroPoint;
      return (long) Math.max(qmin, Math.min(qmax, r));
    }

    public double dequantize(long q) { return scale * (q - zeroPoint); }
  }

  /** Affine parameters for {@code [min, max]} on the integer range {@code [qmin, qmax]}. */
  public static Params affine(double min, double max, long qmin, long qmax, boolean powerOfTwo) {
    check(min, max);
    min = Math.min(min, 0);
    max = Math.max(max, 0);
    if (Math.abs(max - min) < Math.ulp(1.0)) return new Params(1.0, qmin);
    double scale = (max - min) / (double) (qmax - qmin);
    if (powerOfTwo) scale = nextPowerOfTwo(scale);
    double zpFromMin = qmin - min / scale, zpFromMax = qmax - max / scale;
    double errMin = Math.abs((double) qmin) + Math.abs(min / scale), errMax = Math.abs((double) qmax) + Math.abs(max / scale);
    double zp = errMin < errMax ? zpFromMin : zpFromMax;
    if (powerOfTwo) {
      // with a rounded-up scale both ends can fit: keep the zero point that puts the range inside [qmin, qmax]
      double lo = qmax - max / scale, hi = qmin - min / scale; // any zp in [lo, hi] covers the range
      zp = Math.max(lo, Math.min(hi, zp));
    }
    long nudged = zp < qmin ? qmin : zp > qmax ? qmax : (long) roundHalfAway(zp);
    return new Params(scale, nudged);
  }

  /** Symmetric parameters: zero point in the middle ({@code (qmin + qmax + 1) / 2} for unsigned, 0 for signed). */
  public static Params symmetric(double min, double max, long qmin, long qmax, boolean powerOfTwo) {
    check(min, max);
    double a = Math.max(Math.abs(min), Math.abs(max));
    long zp = qmin >= 0 ? (qmin + qmax + 1) / 2 : 0;
    long half = Math.min(qmax - zp, zp - qmin);
    if (a < Math.ulp(1.0)) return new Params(1.0, zp);
    double scale = a / half;
    if (powerOfTwo) scale = nextPowerOfTwo(scale);
    return new Params(scale, zp);
  }

  /** The smallest power of two at least {@code s} (s > 0). */
  public static double nextPowerOfTwo(double s) {
    if (!(s > 0) || Double.isInfinite(s)) throw new IllegalArgumentException("scale must be positive and finite: " + s);
    int e = Math.getExponent(s);
    double p = Math.scalb(1.0, e);
    return p >= s ? p : Math.scalb(1.0, e + 1);
  }

  /** {@code std::round}: halves away from zero. */
  public static double roundHalfAway(double v) {
    double a = Math.abs(v), r = Math.floor(a);
    if (a - r >= 0.5) r += 1.0;
    return Math.copySign(r, v);
  }

  private static void check(double min, double max) {
    if (Double.isNaN(min) || Double.isNaN(max) || Double.isInfinite(min) || Double.isInfinite(max)) {
      throw new IllegalArgumentException("range [" + min + ", " + max + "] is not finite (NaN or infinite values in calibration?)");
    }
    if (min > max) throw new IllegalArgumentException("range min " + min + " > max " + max);
  }
}
