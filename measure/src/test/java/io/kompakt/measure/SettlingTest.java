package io.kompakt.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SettlingTest {
  private static final long MS = 1_000_000L;

  /** The JIT's compilation time the settling sees (set by {@link #feed}). */
  private long compile;

  /** Feeds {@code n} runs of {@code nanos} each, 1 ms apart, with the JIT's compile time {@code compile}; returns the clock. */
  private long feed(LatencyBench.Settling s, long clock, int n, long nanos, long compile) {
    this.compile = compile;
    for (int i = 0; i < n; i++) {
      clock += MS;
      s.add(nanos, clock);
    }
    return clock;
  }

  @Test
  void settlesOnlyWhenTheJitIsQuietAndRunsStopGettingFaster() {
    compile = 10;
    LatencyBench.Settling s = new LatencyBench.Settling(0, () -> compile);
    long t = feed(s, 0, 100, 300 * MS / 1000, 10); // first window: nothing to compare with
    assertFalse(s.settled());
    t = feed(s, t, 100, 300 * MS / 1000, 20); // same speed, but the JIT compiled something
    assertFalse(s.settled());
    t = feed(s, t, 100, 50 * MS / 1000, 20); // quiet, but 6x faster than the window before
    assertFalse(s.settled());
    t = feed(s, t, 100, 49 * MS / 1000, 20); // quiet and no longer getting faster
    assertTrue(s.settled());
    feed(s, t, 100, 49 * MS / 1000, 25); // compiling again
    assertFalse(s.settled());
  }

  @Test
  void aWindowNeedsSixteenRunsAndATenthOfASecond() {
    compile = -1;
    LatencyBench.Settling s = new LatencyBench.Settling(0, () -> compile);
    long t = feed(s, 0, 100, MS, -1);
    t = feed(s, t, 99, MS, -1); // 99 ms: the second window is not complete yet
    assertFalse(s.settled());
    feed(s, t, 1, MS, -1);
    assertTrue(s.settled()); // no compile time known (-1 throughout): judged by the times alone
  }

  @Test
  void theCapIsFiveTimesTheWarmUpAndAtLeastFiveSeconds() {
    assertEquals(5, LatencyBench.settleCapSeconds(0.2));
    assertEquals(10, LatencyBench.settleCapSeconds(2));
  }
}
