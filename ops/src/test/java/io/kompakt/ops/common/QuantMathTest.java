package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** TFLite's fixed-point primitives against their definitions in exact (BigInteger / double) arithmetic. */
class QuantMathTest {
  @Test
  void knownMultipliers() {
    assertEquals(new QuantMath.Multiplier(1 << 30, 0), QuantMath.quantizeMultiplier(0.5));
    assertEquals(new QuantMath.Multiplier(1 << 30, 1), QuantMath.quantizeMultiplier(1.0));
    assertEquals(new QuantMath.Multiplier(1 << 30, -1), QuantMath.quantizeMultiplier(0.25));
    assertEquals(new QuantMath.Multiplier(0, 0), QuantMath.quantizeMultiplier(0));
    assertEquals(new QuantMath.Multiplier(0, 0), QuantMath.quantizeMultiplier(1e-12), "below 2^-32: flushed");
  }

  @Property(tries = 2000)
  void multiplierRepresentsTheRealValue(@ForAll @DoubleRange(min = -20, max = 10) double log2) {
    double real = Math.pow(2, log2);
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier(real);
    assertTrue(m.multiplier() >= (1 << 30), "normalised");
    double back = m.multiplier() * Math.pow(2, m.shift() - 31);
    assertTrue(Math.abs(back - real) <= real * Math.pow(2, -30), real + " -> " + back);
  }

  @Property(tries = 5000)
  void highMulIsRoundedDoublingProduct(@ForAll int a, @ForAll int b) {
    int got = QuantMath.saturatingRoundingDoublingHighMul(a, b);
    if (a == Integer.MIN_VALUE && b == Integer.MIN_VALUE) {
      assertEquals(Integer.MAX_VALUE, got);
      return;
    }
    // (2ab + 2^31 * sign-aware nudge) / 2^32 truncated toward zero, computed exactly
    BigInteger ab = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
    BigInteger nudge = ab.signum() >= 0 ? BigInteger.ONE.shiftLeft(30) : BigInteger.ONE.subtract(BigInteger.ONE.shiftLeft(30));
    BigInteger q = ab.add(nudge).divide(BigInteger.ONE.shiftLeft(31)); // BigInteger.divide truncates toward zero
    assertEquals(q.intValueExact(), got);
  }

  @Property(tries = 5000)
  void roundingDivideRoundsHalfAwayFromZero(@ForAll int x, @ForAll @IntRange(min = 0, max = 30) int e) {
    double exact = x / Math.pow(2, e);
    double want = Math.signum(exact) * Math.floor(Math.abs(exact) + 0.5);
    assertEquals((int) want, QuantMath.roundingDivideByPOT(x, e));
  }

  @Test
  void sixtyFourBitVariantMatchesTflite() {
    // multiplier 0.5 (2^30, shift 0): reduced to 2^14; total shift 15: (x * 2^14 + 2^14) >> 15 = round-half-up of x/2
    QuantMath.Multiplier half = QuantMath.quantizeMultiplier(0.5);
    assertEquals(3, half.apply(5L));
    assertEquals(-2, half.apply(-5L)); // floor((-5*2^14 + 2^14) / 2^15) = floor(-2) = -2
    assertEquals(50, half.apply(100L));
  }

  @Test
  void activationRanges() {
    assertEquals(-128, QuantMath.activationRange("NONE", 0.1f, 0, -128, 127)[0]);
    int[] relu6 = QuantMath.activationRange("RELU6", 6f / 255, -128, -128, 127);
    assertEquals(-128, relu6[0]);
    assertEquals(127, relu6[1]);
    int[] relu = QuantMath.activationRange("RELU", 0.05f, 10, -128, 127);
    assertEquals(10, relu[0]);
  }

  @Test
  void quantizeSaturatesInsteadOfWrapping() {
    // 6 / 1e-12 is far beyond int32: TFLite's cast is undefined there; Kompakt saturates (an RELU6 bound stays the top)
    assertEquals(Integer.MAX_VALUE, QuantMath.quantize(6f, 1e-12f, 255));
    assertEquals(Integer.MIN_VALUE, QuantMath.quantize(-6f, 1e-12f, -128));
    assertEquals(255, QuantMath.activationRange("RELU6", 1e-12f, 255, 0, 255)[1]);
  }

  @Test
  void roundHalfAwayFromZero() {
    assertEquals(3f, QuantMath.roundHalfAwayFromZero(2.5f));
    assertEquals(-3f, QuantMath.roundHalfAwayFromZero(-2.5f));
    assertEquals(0f, QuantMath.roundHalfAwayFromZero(0.49999997f));
    assertEquals(-2f, QuantMath.roundHalfAwayFromZero(-1.5f));
  }
}
