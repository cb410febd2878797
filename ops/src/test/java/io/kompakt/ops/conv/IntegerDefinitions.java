package io.kompakt.ops.conv;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.common.QuantMath;
import java.util.Random;

/**
 * What the integer conv and fully-connected tests compare against: TFLite's formulas written out plainly (not the
 * kernels' code), and random quantization parameters that reach the ends of the ranges.
 *
 * <p>The definition: {@code acc = sum (x - zpIn) * (w - zpW) + bias} (32-bit wrapping, or 64-bit), then
 * {@code clamp(MultiplyByQuantizedMultiplier(acc, m, s) + zpOut)}, with {@code (m, s) = QuantizeMultiplier(real)}
 * and {@code real = (double) sIn * (double) sW[c] / (double) sOut} for per-channel kernels or
 * {@code (double) (sIn * sW) / (double) sOut} (float product) for the legacy per-tensor ones.
 */
public final class IntegerDefinitions {
  private IntegerDefinitions() {}

  public static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"};

  /** A scale across many binades: 2^[-20, 1] times a random mantissa (float). */
  public static float scale(Random r) {
    return (float) (Math.pow(2, -20 + r.nextInt(22)) * (1 + r.nextDouble()));
  }

  /** A zero point: often an end of the range or 0, otherwise random. */
  public static int zeroPoint(Random r, int lo, int hi) {
    switch (r.nextInt(5)) {
      case 0: return lo;
      case 1: return hi;
      case 2: return Math.max(lo, Math.min(hi, 0));
      default: return lo + r.nextInt(hi - lo + 1);
    }
  }

  /** Random values in [lo, hi], with a bias towards the ends. */
  public static int[] values(Random r, int n, int lo, int hi) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(10);
      v[i] = k == 0 ? lo : k == 1 ? hi : lo + r.nextInt(hi - lo + 1);
    }
    return v;
  }

  public static byte[] bytes(int[] v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
    return b;
  }

  public static short[] shorts(int[] v) {
    short[] s = new short[v.length];
    for (int i = 0; i < v.length; i++) s[i] = (short) v[i];
    return s;
  }

  /** Per-channel quantization with zero points 0. */
  public static Quantization perChannel(float[] scales, int dim) {
    return Quantization.perChannel(scales, new long[scales.length], dim);
  }

  /** The range of a quantized type. */
  public static int[] typeRange(TensorType t) {
    switch (t) {
      case INT8: return new int[] {-128, 127};
      case UINT8: return new int[] {0, 255};
      case INT16: return new int[] {-32768, 32767};
      default: throw new IllegalArgumentException(t.toString());
    }
  }

  /** std::round on a float: half away from zero. */
  static float round(float v) {
    return Math.signum(v) * (float) Math.floor(Math.abs(v) + 0.5f);
  }

  /** CalculateActivationRangeQuantized: zp + round(f / scale) in float, within the type's range. */
  public static int[] clamp(String activation, float scale, int zp, TensorType t) {
    int[] r = typeRange(t);
    int lo = r[0], hi = r[1];
    switch (activation) {
      case "RELU": lo = Math.max(lo, zp + (int) round(0f / scale)); break;
      case "RELU6": lo = Math.max(lo, zp + (int) round(0f / scale)); hi = Math.min(hi, zp + (int) round(6f / scale)); break;
      case "RELU_N1_TO_1": lo = Math.max(lo, zp + (int) round(-1f / scale)); hi = Math.min(hi, zp + (int) round(1f / scale)); break;
      default: break;
    }
    return new int[] {lo, hi};
  }

  /** The per-channel real multiplier, in double throughout. */
  public static QuantMath.Multiplier perChannelMultiplier(float sIn, float sW, float sOut) {
    return QuantMath.quantizeMultiplier((double) sIn * (double) sW / (double) sOut);
  }

  /** The legacy real multiplier: the scales' product rounded to float, then divided in double. */
  public static QuantMath.Multiplier floatProductMultiplier(float sIn, float sW, float sOut) {
    float product = sIn * sW;
    return QuantMath.quantizeMultiplier((double) product / (double) sOut);
  }

  /** Requantizes one accumulator: 32-bit accumulators wrap (as C++ int32_t does in practice) and use the 32-bit rounding. */
  public static int requantize(long acc, boolean wide, QuantMath.Multiplier m, int zpOut, int[] clamp) {
    int v = wide ? QuantMath.multiplyByQuantizedMultiplier(acc, m.multiplier(), m.shift())
        : QuantMath.multiplyByQuantizedMultiplier((int) acc, m.multiplier(), m.shift());
    return Math.min(Math.max(v + zpOut, clamp[0]), clamp[1]);
  }
}
