package io.kompakt.measure.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
  @Test
  void handComputedExample() {
    // true:  0 0 0 1 1 2 (and one unlabelled image, left out)
    // pred:  0 0 1 1 2 2
    int[] labels = {0, 0, 0, 1, 1, 2, -1};
    int[][] top = {{0, 1}, {0, 2}, {1, 0}, {1, 2}, {2, 0}, {2, 1}, {1, 0}};
    ClassificationMetrics m = ClassificationMetrics.of(labels, top, List.of("a", "b", "c"));
    assertEquals(6, m.images());
    assertEquals(4.0 / 6, m.top1(), 1e-12);
    assertEquals(5.0 / 6, m.top5(), 1e-12); // image 4 (true 1) has top {2, 0}
    assertArrayEquals(new int[] {2, 1, 0}, m.confusion()[0]);
    assertArrayEquals(new int[] {0, 1, 1}, m.confusion()[1]);
    assertArrayEquals(new int[] {0, 0, 1}, m.confusion()[2]);
    var a = m.perClass().get(0);
    assertEquals(1.0, a.precision(), 1e-12);
    assertEquals(2.0 / 3, a.recall(), 1e-12);
    assertEquals(0.8, a.f1(), 1e-12);
    var b = m.perClass().get(1);
    assertEquals(0.5, b.precision(), 1e-12);
    assertEquals(0.5, b.recall(), 1e-12);
    var c = m.perClass().get(2);
    assertEquals(0.5, c.precision(), 1e-12);
    assertEquals(1.0, c.recall(), 1e-12);
    assertEquals(2.0 / 3, c.f1(), 1e-12);
    assertEquals((0.8 + 0.5 + 2.0 / 3) / 3, m.macroF1(), 1e-12);
    assertEquals("c", c.name());
    assertTrue(m.confusionText().contains("   a\n") || m.confusionText().contains("a\n"));
    assertEquals(6.0 / 7, ClassificationMetrics.agreement(top, new int[][] {{0}, {0}, {1}, {1}, {2}, {2}, {0}}), 1e-12);
  }

  @Test
  void classWithoutPredictionsOrImagesIsZeroNotNaN() {
    ClassificationMetrics m = ClassificationMetrics.of(new int[] {0, 0}, new int[][] {{0}, {2}}, List.of());
    assertEquals(3, m.confusion().length);
    assertEquals(0, m.perClass().get(1).precision());
    assertEquals(0, m.perClass().get(2).recall());
    assertEquals(0.5, m.top1());
    assertEquals(2.0 / 3, m.macroF1(), 1e-12); // only class 0 has images: p 1, r 0.5
    assertTrue(Double.isNaN(ClassificationMetrics.of(new int[] {-1}, new int[][] {{0}}, List.of()).top1()));
    assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.of(new int[] {0}, new int[0][], List.of()));
  }

  /** Top-1 is the support-weighted mean of the per-class recalls, and no more than top-5; every ratio in [0, 1]. */
  @Property(tries = 200)
  void invariants(@ForAll @IntRange(min = 1, max = 60) int n, @ForAll @IntRange(min = 2, max = 12) int classes, @ForAll long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    int[] labels = new int[n];
    int[][] top = new int[n][];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(classes);
      int k = Math.min(5, classes);
      java.util.List<Integer> perm = new java.util.ArrayList<>();
      for (int c = 0; c < classes; c++) perm.add(c);
      java.util.Collections.shuffle(perm, new java.util.Random(r.nextLong()));
      if (r.nextInt(3) == 0) java.util.Collections.swap(perm, 0, perm.indexOf(labels[i]));
      top[i] = perm.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
    }
    ClassificationMetrics m = ClassificationMetrics.of(labels, top, List.of());
    double weighted = 0;
    int total = 0;
    for (var c : m.perClass()) {
      weighted += c.recall() * c.support();
      total += c.support();
      for (double v : new double[] {c.precision(), c.recall(), c.f1()}) assertTrue(v >= 0 && v <= 1);
    }
    assertEquals(n, total);
    assertEquals(m.top1(), weighted / n, 1e-12);
    assertTrue(m.top1() <= m.top5());
    assertEquals(1.0, ClassificationMetrics.agreement(top, top));
  }
}
