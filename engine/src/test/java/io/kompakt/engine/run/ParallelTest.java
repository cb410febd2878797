package io.kompakt.engine.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ParallelTest {
  @Property(tries = 200)
  void everyItemRunsExactlyOnce(@ForAll @IntRange(min = 1, max = 4) int threads, @ForAll @IntRange(min = 0, max = 5000) int n,
                                @ForAll @IntRange(min = 1, max = 64) int grain) {
    try (Parallel p = new Parallel(threads)) {
      for (int round = 0; round < 3; round++) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        p.forRange(n, grain, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "item " + i);
      }
    }
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    float[] want = null;
    for (int threads = 1; threads <= 4; threads++) {
      try (Parallel p = new Parallel(threads)) {
        float[] out = new float[1000];
        p.forRange(out.length, 7, (from, to) -> {
          for (int i = from; i < to; i++) { float acc = 0; for (int k = 0; k < 100; k++) acc += (float) Math.sin(i * k); out[i] = acc; }
        });
        if (want == null) want = out; else assertArrayEquals(want, out);
      }
    }
  }

  @Test
  void aFailingBodyIsRethrownToTheCaller() {
    try (Parallel p = new Parallel(3)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> p.forRange(1000, 1, (from, to) -> { if (from <= 500 && 500 < to) throw new IllegalArgumentException("item 500"); }));
      assertEquals("item 500", e.getMessage());
      int[] sum = new int[1];
      p.forRange(10, 100, (from, to) -> sum[0] += to - from); // still usable (inline: n <= grain)
      assertEquals(10, sum[0]);
    }
  }
}
