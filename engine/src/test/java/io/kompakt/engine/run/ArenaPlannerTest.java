package io.kompakt.engine.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ArenaPlannerTest {
  @Property(tries = 500)
  void tensorsAliveTogetherNeverShareMemory(@ForAll @IntRange(min = 1, max = 40) int count, @ForAll long seed) {
    java.util.Random r = new java.util.Random(seed);
    List<ArenaPlanner.Request> reqs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int first = r.nextInt(30) - 1, last = first + r.nextInt(8);
      reqs.add(new ArenaPlanner.Request(i, 1 + r.nextInt(1000), first, last));
    }
    long total = ArenaPlanner.plan(reqs, 16);
    long sum = 0, peakLive = 0;
    for (ArenaPlanner.Request a : reqs) {
      sum += ArenaPlanner.alignUp(a.size, 16);
      assertEquals(0, a.offset % 16, "aligned");
      assertTrue(a.offset + a.size <= total, "inside the arena");
      for (ArenaPlanner.Request b : reqs) {
        if (a == b) continue;
        boolean together = a.first <= b.last && b.first <= a.last;
        boolean overlap = a.offset < b.offset + b.size && b.offset < a.offset + a.size;
        assertTrue(!(together && overlap), "requests " + a.key + " and " + b.key + " are alive together and overlap");
      }
    }
    for (int t = -1; t < 40; t++) {
      long live = 0;
      for (ArenaPlanner.Request a : reqs) if (a.first <= t && t <= a.last) live += a.size;
      peakLive = Math.max(peakLive, live);
    }
    assertTrue(total <= sum, "never more than one slot each");
    assertTrue(total >= peakLive, "at least what is alive at once");
  }

  @Test
  void aChainReusesMemory() {
    // a -> b -> c -> d, each alive for two steps: two slots suffice
    List<ArenaPlanner.Request> reqs = List.of(new ArenaPlanner.Request("a", 100, 0, 1), new ArenaPlanner.Request("b", 100, 1, 2),
        new ArenaPlanner.Request("c", 100, 2, 3), new ArenaPlanner.Request("d", 100, 3, 4));
    assertEquals(2 * 112, ArenaPlanner.plan(new ArrayList<>(reqs), 16));
  }
}
