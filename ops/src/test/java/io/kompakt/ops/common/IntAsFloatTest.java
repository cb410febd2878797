package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The exactness bound of {@link IntAsFloat}: float weights only where every channel's sums stay below 2^24. */
class IntAsFloatTest {
  @Test
  void largestDistanceFromTheZeroPoint() {
    assertEquals(128, IntAsFloat.maxAbs(false, 0));
    assertEquals(255, IntAsFloat.maxAbs(false, -128));
    assertEquals(255, IntAsFloat.maxAbs(false, 127));
    assertEquals(255, IntAsFloat.maxAbs(true, 0));
    assertEquals(128, IntAsFloat.maxAbs(true, 128));
  }

  /** int8 input with zero point -128 (maxA 255): sum |w| of 65,793 stays below 2^24, one more does not. */
  @Test
  void theBoundIsCheckedPerChannel() {
    int depth = 65_793 / 127 + 1; // enough weights of 127 to pass the bound
    byte[] w = new byte[2 * depth];
    // channel 0: sum |w| = 65,793 exactly (255 * 65,793 = 16,777,215 < 2^24)
    int left = 65_793;
    for (int i = 0; i < depth; i++) {
      int v = Math.min(127, left);
      w[i] = (byte) v;
      left -= v;
    }
    assertEquals(0, left);
    Arrays.fill(w, depth, 2 * depth, (byte) 1);
    float[] f = IntAsFloat.exactWeights(w, 0, w.length, 2, false, false, 0, false, -128);
    assertNotNull(f, "at the bound minus one");
    assertEquals(w[5], f[5]);
    assertEquals(1f, f[depth]);
    w[depth - 1]++; // channel 0 now reaches 255 * 65,794 > 2^24
    assertNull(IntAsFloat.exactWeights(w, 0, w.length, 2, false, false, 0, false, -128), "beyond the bound");
    // the same weights against an input of zero point 0 (maxA 128) are exact
    assertNotNull(IntAsFloat.exactWeights(w, 0, w.length, 2, false, false, 0, false, 0));
  }

  /** Weights minus their zero point, channel innermost (depthwise) or outermost (conv, dense). */
  @Test
  void weightsAreShiftedByTheirZeroPoint() {
    byte[] w = {(byte) 130, (byte) 120, (byte) 128, (byte) 255};
    assertArrayEquals(new float[] {2, -8, 0, 127}, IntAsFloat.exactWeights(w, 0, 4, 2, true, true, 128, true, 128));
    assertArrayEquals(new float[] {2, -8, 0, 127}, IntAsFloat.exactWeights(w, 0, 4, 2, false, true, 128, true, 128));
    assertThrows(IllegalArgumentException.class, () -> IntAsFloat.exactWeights(w, 0, 3, 2, false, true, 128, true, 128));
  }
}
