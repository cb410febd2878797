package io.kompakt.ops.common;

/** Output sizes and padding as TFLite computes them (ComputePaddingHeightWidth, ComputeOutSize). */
public final class Padding {
  private Padding() {}

  /** Effective size of a dilated filter. */
  public static int effectiveFilter(int filter, int dilation) { return (filter - 1) * dilation + 1; }

  /** Output size along one dimension: SAME ceil(in/stride), VALID ceil((in - eff + 1)/stride). */
  public static int outSize(boolean same, int in, int filter, int stride, int dilation) {
    int eff = effectiveFilter(filter, dilation);
    return same ? (in + stride - 1) / stride : (in - eff + stride) / stride;
  }

  /** Padding before the first element along one dimension (the extra unit, if odd, goes after). */
  public static int padBefore(boolean same, int in, int filter, int stride, int dilation, int out) {
    if (!same) return 0;
    int eff = effectiveFilter(filter, dilation);
    int total = Math.max((out - 1) * stride + eff - in, 0);
    return total / 2;
  }
}
