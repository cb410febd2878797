package io.kompakt.engine.model;

import java.util.Arrays;

/**
 * A tensor's quantization as stored: {@code real = scale * (q - zeroPoint)}, per tensor (one scale) or per
 * channel along {@code quantizedDimension}. Arrays are as in the file (empty when absent).
 *
 * @param details a custom or block-wise quantization table (QuantizationDetails union), or null
 */
public record Quantization(float[] scale, long[] zeroPoint, float[] min, float[] max, int quantizedDimension,
                           FlatTable details) {
  /** No quantization. */
  public static final Quantization NONE = new Quantization(new float[0], new long[0], new float[0], new float[0], 0, null);

  /** Per-tensor affine quantization. */
  public static Quantization perTensor(float scale, long zeroPoint) {
    return new Quantization(new float[] {scale}, new long[] {zeroPoint}, new float[0], new float[0], 0, null);
  }

  /** Per-channel quantization along {@code dimension}. */
  public static Quantization perChannel(float[] scales, long[] zeroPoints, int dimension) {
    return new Quantization(scales.clone(), zeroPoints.clone(), new float[0], new float[0], dimension, null);
  }

  /** Whether scales and zero points are present (TFLite ignores quantization lacking either). */
  public boolean isQuantized() { return scale.length > 0 && zeroPoint.length == scale.length; }

  /** Whether there is more than one scale. */
  public boolean isPerChannel() { return scale.length > 1; }

  /** Whether nothing at all is stored. */
  public boolean isEmpty() {
    return scale.length == 0 && zeroPoint.length == 0 && min.length == 0 && max.length == 0 && details == null;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Quantization)) return false;
    Quantization q = (Quantization) o;
    return Arrays.equals(scale, q.scale) && Arrays.equals(zeroPoint, q.zeroPoint) && Arrays.equals(min, q.min)
        && Arrays.equals(max, q.max) && quantizedDimension == q.quantizedDimension
        && java.util.Objects.equals(details, q.details);
  }

  @Override
  public int hashCode() { return Arrays.hashCode(scale) * 31 + Arrays.hashCode(zeroPoint); }

  @Override
  public String toString() {
    if (isEmpty()) return "none";
    StringBuilder sb = new StringBuilder();
    if (scale.length == 1 && zeroPoint.length == 1) {
      sb.append("scale=").append(scale[0]).append(" zero_point=").append(zeroPoint[0]);
    } else if (scale.length > 0) {
      sb.append(scale.length).append(" scales along dim ").append(quantizedDimension);
      sb.append(" (").append(range(scale)).append(')');
    }
    if (min.length > 0) sb.append(sb.length() > 0 ? " " : "").append("min=").append(Arrays.toString(min));
    if (max.length > 0) sb.append(" max=").append(Arrays.toString(max));
    if (details != null) sb.append(" details=").append(details.typeName());
    return sb.toString();
  }

  private static String range(float[] v) {
    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
    for (float x : v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    return lo + " .. " + hi;
  }
}
