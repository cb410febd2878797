package io.kompakt.ops.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** TFLite's DecreasingPartialArgSort, equal values included. */
class PartialSortTest {
  private static final float Q = 0.25f, H = 0.5f, T = 0.75f;

  private static int[] sort(float[] v, int k) {
    int[] idx = new int[v.length];
    PartialSort.decreasingPartialArgSort(v, 0, v.length, k, idx);
    return Arrays.copyOf(idx, k);
  }

  /**
   * Orders observed from real TFLite (its WebAssembly build, libc++): a TFLite_Detection_PostProcess op with one
   * anchor, 16 classes and max_classes_per_detection k reports the classes in this order.
   */
  @Test
  void reproducesTheOrdersTfliteGivesEqualScores() {
    float[] allEqual = new float[16];
    Arrays.fill(allEqual, H);
    float[] a = {Q, Q, H, Q, T, T, H, H, T, Q, T, Q, T, T, Q, H};
    float[] b = {T, T, Q, H, T, H, T, T, Q, T, Q, H, H, T, Q, Q};
    float[] c = {T, H, T, T, H, H, H, H, T, T, H, H, T, T, H, H};
    assertArrayEquals(new int[] {11, 9, 5, 13, 8, 4, 10, 2, 12, 6, 14, 0, 1, 3, 7, 15}, sort(allEqual, 16));
    assertArrayEquals(new int[] {5, 4, 8, 12, 10, 13, 2, 6, 7, 15, 14, 11, 9, 0, 1, 3}, sort(a, 16));
    assertArrayEquals(new int[] {0, 9, 1, 13, 4, 6, 7, 5, 11, 12, 3, 2, 14, 10, 8, 15}, sort(b, 16));
    assertArrayEquals(new int[] {13, 9, 8, 12, 2, 0, 3, 14, 5, 11, 6, 4, 10, 1, 7, 15}, sort(c, 16));
    assertArrayEquals(new int[] {5, 4, 2, 6, 0, 1, 3}, sort(allEqual, 7));
    assertArrayEquals(new int[] {5, 4, 13, 12, 10, 8, 2}, sort(a, 7));
    assertArrayEquals(new int[] {0, 4, 9, 6, 13, 7, 1}, sort(b, 7));
    assertArrayEquals(new int[] {2, 0, 12, 9, 13, 8, 3}, sort(c, 7));
    assertArrayEquals(new int[] {0, 1}, sort(allEqual, 2));
    assertArrayEquals(new int[] {5, 4}, sort(a, 2));
    assertArrayEquals(new int[] {0, 1}, sort(b, 2));
    assertArrayEquals(new int[] {2, 0}, sort(c, 2));
  }

  @Test
  void oneElementIsTheFirstMaximum() {
    assertEquals(1, sort(new float[] {0.1f, 0.9f, 0.3f, 0.9f}, 1)[0]);
    assertEquals(0, sort(new float[] {0.5f, 0.5f}, 1)[0]);
  }

  @Property(tries = 500)
  void theFirstKAreTheLargestInDecreasingOrderAndIdxIsAPermutation(
      @ForAll @Size(min = 1, max = 40) float[] values, @ForAll @IntRange(min = 0, max = 40) int k,
      @ForAll @FloatRange(min = 0, max = 1) float tieLevel) {
    // snap values to a few levels so that many are equal
    float[] v = values.clone();
    for (int i = 0; i < v.length; i++) v[i] = Float.isFinite(v[i]) ? Math.round(Math.abs(v[i]) % 4 * tieLevel * 2) / 2f : 0f;
    int n = v.length, kk = Math.min(k, n);
    int[] idx = new int[n];
    PartialSort.decreasingPartialArgSort(v, 0, n, kk, idx);
    if (kk == 1) {
      assertEquals(PartialSort.argMax(v, 0, n), idx[0]);
      return;
    }
    int[] seen = idx.clone();
    Arrays.sort(seen);
    for (int i = 0; i < n; i++) assertEquals(i, seen[i], "not a permutation");
    for (int i = 1; i < kk; i++) assertTrue(v[idx[i - 1]] >= v[idx[i]], "not decreasing");
    for (int i = kk; i < n && kk > 0; i++) assertTrue(v[idx[i]] <= v[idx[kk - 1]], "a larger value was left out");
  }
}
