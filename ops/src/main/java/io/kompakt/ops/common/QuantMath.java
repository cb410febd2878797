package io.kompakt.ops.common;

/**
 * TFLite's fixed-point arithmetic, in one place: every integer kernel, the quantizer and the tests use it.
 * Follows {@code tensorflow/lite/kernels/internal/common.h} and {@code quantization_util.cc} exactly
 * (gemmlowp's rounding-doubling high multiply and rounding right shift).
 */
public final class QuantMath {
  private QuantMath() {}

  /** A real multiplier as TFLite stores it: {@code real ≈ multiplier * 2^(shift - 31)}, multiplier in [2^30, 2^31). */
  public record Multiplier(int multiplier, int shift) {
    /** {@code x * real}, rounded as TFLite does. */
    public int apply(int x) { return multiplyByQuantizedMultiplier(x, multiplier, shift); }

    /** {@code x * real} for 64-bit accumulators (16x8 kernels), rounded as TFLite does. */
    public int apply(long x) { return multiplyByQuantizedMultiplier(x, multiplier, shift); }
  }

  /** TFLite's QuantizeMultiplier: frexp, round half away from zero to 31 bits, normalise, flush tiny values to 0. */
  public static Multiplier quantizeMultiplier(double real) {
    if (real == 0.0) return new Multiplier(0, 0);
    if (Double.isNaN(real) || Double.isInfinite(real)) throw new IllegalArgumentException("multiplier " + real);
    int shift = Math.getExponent(real) + 1; // frexp: real = q * 2^shift with |q| in [0.5, 1)
    double q = real / Math.pow(2, shift);
    while (Math.abs(q) < 0.5) { q *= 2; shift--; } // subnormal inputs
    long qFixed = Math.round(Math.abs(q) * (1L << 31)) * (q < 0 ? -1 : 1); // |x| rounded half away from zero
    if (qFixed == (1L << 31)) { qFixed /= 2; shift++; }
    if (shift < -31) { shift = 0; qFixed = 0; }
    if (shift > 30) { shift = 30; qFixed = (1L << 31) - 1; }
    return new Multiplier((int) qFixed, shift);
  }

  /** TFLite's QuantizeMultiplierSmallerThanOneExp: for 0 < real < 1, the shift as a left shift (always <= 0). */
  public static Multiplier quantizeMultiplierSmallerThanOne(double real) {
    if (!(real > 0 && real < 1)) throw new IllegalArgumentException("multiplier " + real + " is not in (0, 1)");
    return quantizeMultiplier(real);
  }

  /** gemmlowp SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31 rounding) / 2^32, saturating INT_MIN * INT_MIN. */
  public static int saturatingRoundingDoublingHighMul(int a, int b) {
    if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) return Integer.MAX_VALUE;
    long ab = (long) a * (long) b;
    long nudge = ab >= 0 ? (1L << 30) : (1 - (1L << 30));
    return (int) ((ab + nudge) / (1L << 31)); // division truncates toward zero, as C++
  }

  /** gemmlowp RoundingDivideByPOT: x / 2^exponent, rounding half away from zero. */
  public static int roundingDivideByPOT(int x, int exponent) {
    if (exponent < 0 || exponent > 31) throw new IllegalArgumentException("exponent " + exponent);
    int mask = (int) ((1L << exponent) - 1);
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
  }

  /** TFLite's MultiplyByQuantizedMultiplier for 32-bit accumulators. */
  public static int multiplyByQuantizedMultiplier(int x, int multiplier, int shift) {
    int leftShift = shift > 0 ? shift : 0;
    int rightShift = shift > 0 ? 0 : -shift;
    return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier), rightShift);
  }

  /**
   * TFLite's MultiplyByQuantizedMultiplier for 64-bit accumulators (16x8 conv, fully connected): the multiplier
   * reduced to 16 bits, one rounding shift.
   */
  public static int multiplyByQuantizedMultiplier(long x, int multiplier, int shift) {
    if (multiplier < 0 || shift < -31 || shift >= 8) throw new IllegalArgumentException("multiplier " + multiplier + " shift " + shift);
    long reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    int totalShift = 15 - shift;
    long v = x * reduced + (1L << (totalShift - 1));
    return (int) (v >> totalShift);
  }

  /** TFLite's CalculateActivationRangeQuantized: the fused activation's clamp in the output's quantized domain. */
  public static int[] activationRange(String activation, float scale, int zeroPoint, int qmin, int qmax) {
    switch (activation) {
      case "NONE": return new int[] {qmin, qmax};
      case "RELU": return new int[] {Math.max(qmin, quantize(0f, scale, zeroPoint)), qmax};
      case "RELU6": return new int[] {Math.max(qmin, quantize(0f, scale, zeroPoint)), Math.min(qmax, quantize(6f, scale, zeroPoint))};
      case "RELU_N1_TO_1": return new int[] {Math.max(qmin, quantize(-1f, scale, zeroPoint)), Math.min(qmax, quantize(1f, scale, zeroPoint))};
      default: throw new IllegalArgumentException("fused activation " + activation + " has no quantized range");
    }
  }

  /** zero_point + round(value / scale) in float, as TFLite's Quantize helper of the activation range does. */
  public static int quantize(float value, float scale, int zeroPoint) {
    float scaled = value / scale;
    return zeroPoint + (int) roundHalfAwayFromZero(scaled);
  }

  /** std::round for floats: half away from zero. */
  public static float roundHalfAwayFromZero(float v) {
    if (Float.isNaN(v) || Float.isInfinite(v) || Math.abs(v) >= 0x1p23f) return v; // already whole
    return Math.copySign((float) Math.round(Math.abs(v)), v); // Math.round is exact half-up since Java 7
  }

  /** The range of an integer tensor type: {min, max}. */
  public static int[] typeRange(io.kompakt.engine.model.TensorType t) {
    switch (t) {
      case INT8: return new int[] {-128, 127};
      case UINT8: return new int[] {0, 255};
      case INT16: return new int[] {-32768, 32767};
      case INT32: return new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
      default: throw new IllegalArgumentException(t + " is not an integer type");
    }
  }
}
