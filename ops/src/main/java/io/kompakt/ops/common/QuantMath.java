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
    // (TFLite caps the shift at 30 only when built with TFLITE_SINGLE_ROUNDING; its default double rounding does not)
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
    // gemmlowp: (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31 truncated toward zero. For ab < 0, with y = -ab, that is
    // -floor((y - 1 + 2^30) / 2^31) = -ceil((y - 2^30) / 2^31) = floor((ab + 2^30) / 2^31): one formula for both
    // signs, without branches (they mispredict on real data and dominated requantization)
    return (int) (((long) a * (long) b + (1L << 30)) >> 31);
  }

  /** gemmlowp RoundingDivideByPOT: x / 2^exponent, rounding half away from zero. */
  public static int roundingDivideByPOT(int x, int exponent) {
    if (exponent < 0 || exponent > 31) throw new IllegalArgumentException("exponent " + exponent);
    return roundingDivideByPOT(x, exponent, (int) ((1L << exponent) - 1));
  }

  /** {@link #roundingDivideByPOT(int, int)} with its mask {@code 2^exponent - 1} given (precomputed per channel). */
  static int roundingDivideByPOT(int x, int exponent, int mask) {
    int remainder = x & mask;
    int threshold = (mask >> 1) + (x >>> 31);
    // remainder > threshold, branch-free: both lie in [0, 2^31), so their difference cannot overflow
    return (x >> exponent) + ((threshold - remainder) >>> 31);
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
    // saturating where TFLite's int32 cast would overflow (undefined in C++; only degenerate scales get there)
    long q = zeroPoint + (long) roundHalfAwayFromZero(scaled);
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
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

  // ---- Added for the integer kernels of arith, activation, pool, reduce, shape, quant and resize (one block) ----

  /** Element {@code i} of an int8, uint8 (unsigned), int16 or int32 tensor, relative to its offset. */
  public static int load(io.kompakt.engine.run.RuntimeTensor t, int i) {
    switch (t.type) {
      case INT8: return t.i8[t.offset + i];
      case UINT8: return t.i8[t.offset + i] & 0xFF;
      case INT16: return t.i16[t.offset + i];
      case INT32: return t.i32[t.offset + i];
      default: throw new IllegalArgumentException(t + " is not an int8, uint8, int16 or int32 tensor");
    }
  }

  /** Stores {@code v} (already in the type's range) as element {@code i} of an int8, uint8, int16 or int32 tensor. */
  public static void store(io.kompakt.engine.run.RuntimeTensor t, int i, int v) {
    switch (t.type) {
      case INT8: case UINT8: t.i8[t.offset + i] = (byte) v; break;
      case INT16: t.i16[t.offset + i] = (short) v; break;
      case INT32: t.i32[t.offset + i] = v; break;
      default: throw new IllegalArgumentException(t + " is not an int8, uint8, int16 or int32 tensor");
    }
  }

  /** Whether the type is one of the quantized activation types int8, uint8, int16. */
  public static boolean isQuantizedType(io.kompakt.engine.model.TensorType t) {
    return t == io.kompakt.engine.model.TensorType.INT8 || t == io.kompakt.engine.model.TensorType.UINT8
        || t == io.kompakt.engine.model.TensorType.INT16;
  }

  /**
   * TFLite's CheckedLog2: log2(x) rounded (in float, as TFLite computes it with logf) when x is within 1e-3 (in
   * the exponent) of a power of two, else null.
   */
  public static Integer checkedLog2(float x) {
    float log2 = (float) Math.log(x) * (1.0f / (float) Math.log(2.0));
    float rounded = roundHalfAwayFromZero(log2);
    return Math.abs(log2 - rounded) < 1e-3f ? Integer.valueOf((int) rounded) : null;
  }

  /** TFLite's DownScaleInt32ToInt16Multiplier: a Q31 multiplier rounded to Q15, saturating at 32767. */
  public static int downScaleToInt16Multiplier(int multiplier) {
    if (multiplier < 0) throw new IllegalArgumentException("multiplier " + multiplier);
    if (multiplier >= Integer.MAX_VALUE - (1 << 15)) return Short.MAX_VALUE;
    return (multiplier + (1 << 15)) >> 16;
  }

  /** TFLite's CalculateInputRadius: floor((2^intBits - 1) * 2^(totalBits - intBits) / 2^leftShift), in double. */
  public static int calculateInputRadius(int inputIntegerBits, int inputLeftShift, int totalSignedBits) {
    double max = 1.0 * ((1 << inputIntegerBits) - 1) * (double) (1L << (totalSignedBits - inputIntegerBits))
        / (double) (1L << inputLeftShift);
    return (int) Math.floor(max);
  }

  /** gemmlowp SaturatingRoundingDoublingHighMul on int16 values (int16 wrap of the result, as the C++ cast). */
  public static int saturatingRoundingDoublingHighMul16(int a, int b) {
    if (a == Short.MIN_VALUE && b == Short.MIN_VALUE) return Short.MAX_VALUE;
    int ab = a * b;
    int nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (short) ((ab + nudge) / (1 << 15));
  }

  /** gemmlowp RoundingDivideByPOT on an int16 value, with int16 wrapping as the C++ template does. */
  public static int roundingDivideByPOT16(int x, int exponent) {
    if (exponent < 0 || exponent > 31) throw new IllegalArgumentException("exponent " + exponent);
    short mask = (short) ((1L << exponent) - 1);
    short remainder = (short) (x & mask);
    short threshold = (short) ((mask >> 1) + (x < 0 ? 1 : 0));
    return (short) ((x >> exponent) + (remainder > threshold ? 1 : 0));
  }

  /** gemmlowp SaturatingRoundingMultiplyByPOT on int32: a saturating left shift, or a rounding right shift. */
  public static int saturatingRoundingMultiplyByPOT(int x, int exponent) {
    if (exponent == 0) return x;
    if (exponent < 0) return roundingDivideByPOT(x, -exponent);
    int threshold = (1 << (31 - exponent)) - 1;
    if (x > threshold) return Integer.MAX_VALUE;
    if (x < -threshold) return Integer.MIN_VALUE;
    return x << exponent;
  }

  /** TFLite's MultiplyByQuantizedMultiplierGreaterThanOne: the high product of {@code x * 2^leftShift}, no rounding shift. */
  public static int multiplyByQuantizedMultiplierGreaterThanOne(int x, int multiplier, int leftShift) {
    return saturatingRoundingDoublingHighMul(x * (1 << leftShift), multiplier);
  }

  /** gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for a in [-1/4, 0), Q0.31 in and out. */
  static int expOnIntervalNegativeQuarterTo0(int a) {
    final int constantTerm = 1895147668; // exp(-1/8)
    final int oneThird = 715827883;
    int x = a + (1 << 28); // a + 1/8
    int x2 = saturatingRoundingDoublingHighMul(x, x);
    int x3 = saturatingRoundingDoublingHighMul(x2, x);
    int x4 = saturatingRoundingDoublingHighMul(x2, x2);
    int x4Over4 = roundingDivideByPOT(x4, 2);
    int poly = roundingDivideByPOT(saturatingRoundingDoublingHighMul(x4Over4 + x3, oneThird) + x2, 1);
    return constantTerm + saturatingRoundingDoublingHighMul(constantTerm, x + poly);
  }

  /**
   * gemmlowp exp_on_negative_values: exp(a) for a <= 0 given with {@code integerBits} integer bits (raw int32),
   * the result in Q0.31.
   */
  /** exp(-2^e) for e = -2 .. 4 in Q0.31: gemmlowp's barrel-shifter constants (a constant: no allocation per call). */
  private static final int[] EXP_BARREL_MULTIPLIERS = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};

  public static int expOnNegativeValues(int a, int integerBits) {
    int fractionalBits = 31 - integerBits;
    int oneQuarter = 1 << (fractionalBits - 2);
    int mask = oneQuarter - 1;
    int aModQuarterMinusQuarter = (a & mask) - oneQuarter;
    int result = expOnIntervalNegativeQuarterTo0(saturatingRoundingMultiplyByPOT(aModQuarterMinusQuarter, integerBits));
    int remainder = aModQuarterMinusQuarter - a;
    int[] multipliers = EXP_BARREL_MULTIPLIERS;
    for (int e = -2; e <= 4; e++) {
      if (integerBits > e) {
        int shift = fractionalBits + e;
        if ((remainder & (1 << shift)) != 0) result = saturatingRoundingDoublingHighMul(result, multipliers[e + 2]);
      }
    }
    if (integerBits > 5) {
      int clamp = -(1 << (36 - integerBits)); // -32 in the input's format
      if (a < clamp) result = 0;
    }
    if (a == 0) result = Integer.MAX_VALUE;
    return result;
  }

  /** gemmlowp RoundingHalfSum on int32: (a + b) / 2 rounded half away from zero. */
  static int roundingHalfSum(int a, int b) {
    long sum = (long) a + (long) b;
    long sign = sum >= 0 ? 1 : -1;
    return (int) ((sum + sign) / 2);
  }

  /** gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + x) for x in (0, 1), Q0.31 in and out (Newton-Raphson). */
  public static int oneOverOnePlusXForXIn01(int a) {
    int halfDenominator = roundingHalfSum(a, Integer.MAX_VALUE); // Q0.31
    final int c48Over17 = 1515870810; // Q2.29
    final int cNeg32Over17 = -1010580540; // Q2.29
    int x = c48Over17 + saturatingRoundingDoublingHighMul(halfDenominator, cNeg32Over17);
    final int oneQ2 = 1 << 29;
    for (int i = 0; i < 3; i++) {
      int halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x);
      int oneMinus = oneQ2 - halfDenominatorTimesX;
      x = x + saturatingRoundingMultiplyByPOT(saturatingRoundingDoublingHighMul(x, oneMinus), 2);
    }
    return saturatingRoundingMultiplyByPOT(x, 1); // ExactMulByPot<-1> then Rescale<0> from 1 integer bit
  }

  /**
   * TFLite's GetReciprocal: for a positive {@code x} with {@code integerDigits} integer bits, a Q0.31 scale and
   * {@code numBitsOverUnit[0]} such that 1/x = scale * 2^-numBitsOverUnit.
   */
  public static int getReciprocal(int x, int integerDigits, int[] numBitsOverUnit) {
    int headroomPlusOne = Integer.numberOfLeadingZeros(x);
    numBitsOverUnit[0] = integerDigits - headroomPlusOne;
    int shiftedSumMinusOne = (int) (((x & 0xFFFFFFFFL) << headroomPlusOne) - (1L << 31));
    return oneOverOnePlusXForXIn01(shiftedSumMinusOne);
  }

  /** TFLite's table of sigmoid(i / 24) in 0.16 fixed point (common.h), used by the int16 LOGISTIC and TANH. */
  public static final int[] SIGMOID_TABLE_UINT16 = {
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
      40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
      46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
      52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
      56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
      59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
      61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
      62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
      63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
      64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
      64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
      65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
      65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
      65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
      65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
      65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
      65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
      65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
      65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
      65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
      65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
      65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
      65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
      65534, 65534, 65535
  };

  /**
   * TFLite's LUTLookup for int16: interpolates a 513-entry table between entry {@code 256 + (v >> 7)} and the next
   * by the low 7 bits, int16 arithmetic as the C++ does.
   */
  public static int lutLookup16(int value, short[] lut) {
    int index = 256 + (value >> 7);
    int offset = value & 0x7f;
    int base = lut[index];
    int slope = (short) (lut[index + 1] - lut[index]);
    int delta = (slope * offset + 64) >> 7;
    return (short) (base + delta);
  }

  /** std::round in double: halves away from zero. */
  public static double roundHalfAwayFromZero(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return v;
    double a = Math.floor(Math.abs(v) + 0.5);
    // floor(|v| + 0.5) is exact except when |v| + 0.5 rounds up (|v| just below a half): correct that case
    if (a - Math.abs(v) > 0.5) a -= 1;
    return Math.copySign(a, v);
  }

  /**
   * TFLite's LUTPopulateInt16 with FloatT = double: a 513-entry int16 table of {@code f} over the int16 input range
   * (input scale and zero point) into the int16 output range, each entry biased to halve the midpoint error.
   */
  public static short[] lutPopulate16(double inputScale, int inputZeroPoint, double outputScale, int outputZeroPoint,
                                      java.util.function.DoubleUnaryOperator f) {
    double inputMin = inputScale * (Short.MIN_VALUE - inputZeroPoint);
    double inputMax = inputScale * (Short.MAX_VALUE - inputZeroPoint);
    double outputMin = outputScale * (Short.MIN_VALUE - outputZeroPoint);
    double outputMax = outputScale * (Short.MAX_VALUE - outputZeroPoint);
    int steps = 512;
    double step = (inputMax - inputMin) / steps;
    double halfStep = step / 2;
    double inv = 65536.0 / (outputMax - outputMin);
    short[] lut = new short[steps + 1];
    for (int i = 0; i < steps; i++) {
      double val = f.applyAsDouble(inputMin + i * step);
      double valMid = f.applyAsDouble(inputMin + i * step + halfStep);
      double valNext = f.applyAsDouble(inputMin + (i + 1) * step);
      double sample = roundHalfAwayFromZero(val * inv);
      double midInterp = roundHalfAwayFromZero((valNext * inv + roundHalfAwayFromZero(val * inv)) / 2);
      double mid = roundHalfAwayFromZero(valMid * inv);
      double bias = roundHalfAwayFromZero((midInterp - mid) / 2);
      lut[i] = (short) Math.min(Math.max(sample - bias, Short.MIN_VALUE), Short.MAX_VALUE);
    }
    lut[steps] = (short) Math.min(Math.max(roundHalfAwayFromZero(f.applyAsDouble(inputMax) * inv), Short.MIN_VALUE), Short.MAX_VALUE);
    return lut;
  }

  /** A function of one float, evaluated in float as the C++ transform is. */
  @FunctionalInterface
  public interface FloatFunction {
    float apply(float x);
  }

  /**
   * TFLite's LUTPopulate for 8-bit types (float arithmetic): for every int8 or uint8 input value q, the output
   * {@code clamp(round(f(inScale * (q - inZp)) / outScale) + outZp)}; indexed by {@code q & 0xFF}.
   */
  public static byte[] lutPopulate8(boolean unsigned, float inputScale, int inputZeroPoint, float outputScale,
                                    int outputZeroPoint, FloatFunction f) {
    float inverseScale = 1 / outputScale;
    int min = unsigned ? 0 : -128, max = unsigned ? 255 : 127;
    byte[] lut = new byte[256];
    for (int v = min; v <= max; v++) {
      float dequantized = inputScale * (v - inputZeroPoint);
      float transformed = f.apply(dequantized);
      float rescaled = roundHalfAwayFromZero(transformed * inverseScale);
      int quantized = (int) (rescaled + outputZeroPoint);
      lut[v & 0xFF] = (byte) Math.max(Math.min(max, quantized), min);
    }
    return lut;
  }
}
