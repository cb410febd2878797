package io.kompakt.ops.common;

/**
 * Per-channel requantization of raw integer sums held as floats (from the exact float kernels of {@link IntAsFloat}):
 * {@code clamp(MultiplyByQuantizedMultiplier(sum + bias[c], multiplier[c], shift[c]) + outZp)}, bit-identical to
 * {@link QuantMath}. The vector path ({@link RequantizeVector}) is the same arithmetic in int lanes; this class keeps
 * the per-channel constants both paths use.
 *
 * <p>The identity behind the vector path: for {@code m >= 0}, gemmlowp's
 * {@code SaturatingRoundingDoublingHighMul(x, m)} (nudge by {@code +-2^30}, divide by 2^31 truncating) equals
 * {@code floor((x * m + 2^30) / 2^31)} (for negative products, truncating {@code (p + 1 - 2^30) / 2^31} is flooring
 * {@code (p + 2^30) / 2^31}), and that product is assembled from 16-bit halves without 64-bit lanes.
 */
public final class Requantizer {
  final int channels, outZp, actMin, actMax;
  final int[] bias, multiplier, shift, leftShift, rightShift, mulHigh, mulLow, mask, threshold;
  private final boolean vector;
  /**
   * The vector path's constants, per channel: bias, left shift, high and low multiplier halves, mask, threshold, right
   * shift (the arrays above); and, where the channel count is not a multiple of the int lanes and the least common
   * multiple {@link #period} of the two is at most {@value #MAX_PERIOD}, the same repeated over the period plus one
   * vector ({@code flat}), so that pixels are requantized as one run of whole vectors (8 channels, as in MobileNet V1
   * 0.25, would otherwise go all scalar with 16 lanes). {@code period} is 0 where the per-pixel loop serves.
   */
  final int[][] flat;
  final int period;
  static final int MAX_PERIOD = 4096;
  /** Every shift within [-31, 31]: the precomputed shifts and masks apply (else QuantMath per value). */
  private final boolean inRange;

  /**
   * @param vector use the Vector API path; requires {@link VectorSupport#available()}
   * @param bias   per channel from {@code bOff}, or null
   */
  public Requantizer(int channels, int[] bias, int bOff, int[] multiplier, int[] shift, int outZp, int actMin, int actMax,
                     boolean vector) {
    this.channels = channels;
    int n = channels + Math.max(16, VectorSupport.floatLanes()); // room for whole vectors
    this.bias = new int[n];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, channels);
    this.multiplier = multiplier.clone();
    this.shift = shift.clone();
    this.leftShift = new int[n];
    this.rightShift = new int[n];
    this.mulHigh = new int[n];
    this.mulLow = new int[n];
    this.mask = new int[n];
    this.threshold = new int[n];
    boolean nonNegative = true, inRange = true;
    for (int c = 0; c < channels; c++) {
      int m = multiplier[c], s = shift[c];
      if (m < 0) nonNegative = false;
      if (s > 31 || s < -31) inRange = false;
      leftShift[c] = Math.max(s, 0);
      rightShift[c] = Math.max(-s, 0);
      mulHigh[c] = m >>> 16;
      mulLow[c] = m & 0xFFFF;
      mask[c] = (int) ((1L << rightShift[c]) - 1);
      threshold[c] = mask[c] >> 1;
    }
    this.inRange = inRange;
    this.outZp = outZp;
    this.actMin = actMin;
    this.actMax = actMax;
    // 4 int lanes (128-bit vectors, e.g. a Raspberry Pi 4's NEON) or 8 and more: see RequantizeVector.NARROW
    this.vector = vector && nonNegative && inRange && vectorLanesSuffice();
    int[][] perChannel = {this.bias, leftShift, mulHigh, mulLow, mask, threshold, rightShift};
    int lanes = this.vector ? RequantizeVector.LANES : 0;
    long lcm = lanes == 0 ? 0 : (long) channels / gcd(channels, lanes) * lanes;
    if (lanes > 0 && channels % lanes != 0 && lcm <= MAX_PERIOD) {
      period = (int) lcm;
      flat = new int[perChannel.length][period + lanes];
      for (int a = 0; a < perChannel.length; a++) {
        for (int j = 0; j < period + lanes; j++) flat[a][j] = perChannel[a][(j % period) % channels];
      }
    } else {
      period = 0;
      flat = null;
    }
  }

  private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

  /** The Vector API is available with 4 int lanes or 8 and more. */
  static boolean vectorLanesSuffice() {
    return VectorSupport.available() && (RequantizeVector.LANES == 4 || RequantizeVector.LANES >= 8);
  }

  /** Whether the Vector API path runs (it was chosen and the allocation guard has not switched it off). */
  public boolean vector() { return vector && GUARD.ok(); }

  /** Watches {@link RequantizeVector} for boxing (JDK 17): see {@link AllocationGuard}. */
  static final AllocationGuard GUARD = new AllocationGuard("vector requantization");

  /** Whether the allocation guard switched the vector requantization off (the JIT boxed its vectors). */
  public static boolean vectorSwitchedOff() { return GUARD.switchedOff(); }

  /** Requantizes pixels [from, to) of raw sums {@code b} (channels innermost) into {@code out} from {@code outOff}. */
  public void run(float[] b, int fromPixel, int toPixel, byte[] out, int outOff) {
    run(b, fromPixel, toPixel, out, outOff, null);
  }

  /**
   * As {@link #run(float[], int, int, byte[], int)}, and where {@code values} is not null also writes each output's
   * integer value minus the output zero point, as a float, to {@code values[p * channels + c]} (for the next integer
   * kernel, see {@link io.kompakt.engine.run.SharedScratch.Handoff}).
   */
  public void run(float[] b, int fromPixel, int toPixel, byte[] out, int outOff, float[] values) {
    if (vector && GUARD.ok()) {
      long mark = GUARD.enter((long) (toPixel - fromPixel) * channels);
      RequantizeVector.run(this, b, fromPixel, toPixel, out, outOff, values);
      GUARD.exit(mark);
      return;
    }
    for (int p = fromPixel; p < toPixel; p++) scalar(b, p * channels, 0, channels, out, outOff + p * channels, values);
  }

  /**
   * Channels [c0, c1) of the pixel whose sums start at {@code b[base]}, into {@code out[o + c]} (and, if not null,
   * {@code values[base + c]}).
   */
  void scalar(float[] b, int base, int c0, int c1, byte[] out, int o, float[] values) {
    if (inRange) {
      // QuantMath.multiplyByQuantizedMultiplier with the per-channel shifts and masks precomputed
      for (int c = c0; c < c1; c++) {
        int high = QuantMath.saturatingRoundingDoublingHighMul(((int) b[base + c] + bias[c]) << leftShift[c], multiplier[c]);
        int v = Math.min(Math.max(QuantMath.roundingDivideByPOT(high, rightShift[c], mask[c]) + outZp, actMin), actMax);
        out[o + c] = (byte) v;
        if (values != null) values[base + c] = v - outZp;
      }
      return;
    }
    for (int c = c0; c < c1; c++) {
      int acc = (int) b[base + c] + bias[c];
      int v = Math.min(Math.max(QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + outZp, actMin), actMax);
      out[o + c] = (byte) v;
      if (values != null) values[base + c] = v - outZp;
    }
  }
}
