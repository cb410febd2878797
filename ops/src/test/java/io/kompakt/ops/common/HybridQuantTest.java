package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The per-row input quantizer against {@link HybridDefinitions}, and worked cases (ties, zero rows, zero points). */
class HybridQuantTest {
  @Property(tries = 500)
  void rowsMatchTheDefinition(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 300) int rowSize,
                              @ForAll boolean asymmetric, @ForAll long seed) {
    Random r = new Random(seed);
    float[] x = HybridDefinitions.activations(r, rows, rowSize);
    int off = r.nextInt(3);
    float[] shifted = new float[off + x.length];
    System.arraycopy(x, 0, shifted, off, x.length);
    byte[] q = new byte[x.length];
    float[] scales = new float[rows];
    int[] zps = new int[rows];
    HybridQuant.quantizeRows(shifted, off, rows, rowSize, q, scales, zps, asymmetric);
    for (int b = 0; b < rows; b++) {
      HybridDefinitions.Row want = asymmetric ? HybridDefinitions.asymmetric(x, b * rowSize, rowSize) : HybridDefinitions.symmetric(x, b * rowSize, rowSize);
      assertEquals(want.scale(), scales[b], "row " + b);
      assertEquals(want.zeroPoint(), zps[b], "row " + b);
      for (int i = 0; i < rowSize; i++) assertEquals(want.q()[i], q[b * rowSize + i], "row " + b + " value " + i);
      // and it is a quantization: each value within about half a step of its original
      for (int i = 0; i < rowSize; i++) {
        double back = (q[b * rowSize + i] - zps[b]) * (double) scales[b], v = x[b * rowSize + i];
        assertTrue(Math.abs(back - v) <= scales[b] * 0.5001 + 1e-6 * Math.abs(v), back + " for " + v + " scale " + scales[b]);
      }
    }
  }

  @Test
  void symmetricRoundsHalvesAwayFromZero() {
    float[] x = {127f, 0.5f, -0.5f, 1.5f, -2.5f, -127f, 0f};
    byte[] q = new byte[x.length];
    assertEquals(1f, HybridQuant.symmetric(x, 0, x.length, q, 0));
    assertArrayEquals(new byte[] {127, 1, -1, 2, -3, -127, 0}, q);
  }

  @Test
  void zeroRowsHaveScaleOne() {
    byte[] q = {5, 5, 5};
    assertEquals(1f, HybridQuant.symmetric(new float[] {0f, -0f, 0f}, 0, 3, q, 0));
    assertArrayEquals(new byte[3], q);
    float[] s = new float[1];
    int[] zp = {9};
    q = new byte[] {5, 5, 5};
    HybridQuant.asymmetric(new float[] {0f, -0f, 0f}, 0, 3, q, 0, s, zp, 0);
    assertEquals(1f, s[0]);
    assertEquals(0, zp[0]);
    assertArrayEquals(new byte[3], q);
  }

  /**
   * Asymmetric zero points: an all-positive row takes -128 (its range starts at 0), an all-negative row 127; a row
   * {@code [-255, -127.5]} has scale exactly 1, so {@code 127 - 127.5 = -0.5} is a tie, rounded to -1.
   */
  @Test
  void asymmetricZeroPoints() {
    float[] s = new float[1];
    int[] zp = new int[1];
    byte[] q = new byte[2];
    HybridQuant.asymmetric(new float[] {0.5f, 2f}, 0, 2, q, 0, s, zp, 0);
    assertEquals(-128, zp[0]);
    assertEquals((float) (2.0 / 255), s[0]);
    assertEquals(127, q[1]);
    HybridQuant.asymmetric(new float[] {-255f, -127.5f}, 0, 2, q, 0, s, zp, 0);
    assertEquals(127, zp[0]);
    assertEquals(1f, s[0]);
    assertArrayEquals(new byte[] {-128, -1}, q);
  }

  @Test
  void roundingIsCs() {
    assertEquals(1, HybridQuant.roundHalfAway(0.5f));
    assertEquals(-1, HybridQuant.roundHalfAway(-0.5f));
    assertEquals(0, HybridQuant.roundHalfAway(0.49999997f));
    assertEquals(0.0, HybridQuant.roundHalfAway(0.49999999999999994));
    assertEquals(-3.0, HybridQuant.roundHalfAway(-2.5));
  }
}
