package io.kompakt.ops.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.ops.common.QuantMath;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The quantized softmax's final division where a flat row makes its exponent exceed 31. */
class SoftmaxFlatRowTest {
  @Test
  void divisionBeyondThirtyOneBitsIsTheExactRoundedQuotient() {
    SplittableRandom r = new SplittableRandom(5);
    for (int k = 0; k < 10000; k++) {
      int x = r.nextInt();
      int e = r.nextInt(0, 40);
      double exact = x / Math.pow(2, e);
      double a = Math.abs(exact), f = Math.floor(a);
      double rounded = Math.copySign(a - f >= 0.5 ? f + 1 : f, exact); // halves away from zero
      int got = SoftmaxQuantizedReference.divideByPOT(x, e);
      assertEquals((int) rounded, got, x + " / 2^" + e);
      if (e <= 31) assertEquals(QuantMath.roundingDivideByPOT(x, e), got);
    }
    assertEquals(-1, SoftmaxQuantizedReference.divideByPOT(Integer.MIN_VALUE, 32));
    assertEquals(0, SoftmaxQuantizedReference.divideByPOT(Integer.MAX_VALUE, 33));
  }
}
