package io.kompakt.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlotsTest {
  @Test
  void aFewStallsGetABarOfTheirOwnAndTheRestSpreadOverTheBins() {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < 1000; i++) ms.add(1.0 + (i % 100) / 100.0); // 1.00 .. 1.99, ten of each
    ms.add(30.0);
    ms.add(50.0);
    Plots.Histogram h = Plots.histogram(ms, 10);
    assertEquals(11, h.labels().size(), h.labels().toString());
    assertEquals("> 1.99", h.labels().get(10)); // 99th percentile by nearest rank of 1002 runs: the 992nd, 1.99
    assertEquals(2, (int) h.counts().get(10)); // the two stalls
    assertEquals(ms.size(), h.counts().stream().mapToInt(Integer::intValue).sum());
    for (int b = 0; b < 10; b++) assertEquals(99, h.counts().get(b), 9.0, "bin " + b + ": " + h.counts()); // spread evenly
  }

  @Test
  void withoutOutliersThereIsNoExtraBarAndEqualRunsFitOneBin() {
    Plots.Histogram h = Plots.histogram(List.of(2.0, 2.0, 2.0), 5);
    assertEquals(5, h.labels().size());
    assertEquals(List.of(3, 0, 0, 0, 0), h.counts());
    assertEquals(0, Plots.histogram(List.of(), 5).counts().size());
  }
}
