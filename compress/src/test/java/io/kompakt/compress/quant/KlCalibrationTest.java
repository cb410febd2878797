package io.kompakt.compress.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The KL (TensorRT entropy) calibration method: clips long tails and outliers, keeps flat distributions whole. */
class KlCalibrationTest {
  /** Stats after the two passes a calibration makes: ranges first, then the histograms over that span. */
  static Calibrator.Stats stats(float[] v) {
    Calibrator.Stats s = new Calibrator.Stats(0);
    SplittableRandom r = new SplittableRandom(1);
    for (int off = 0; off < v.length; off += 1000) s.add(v, off, Math.min(1000, v.length - off), r);
    s.startHistograms();
    for (int off = 0; off < v.length; off += 1000) s.addToHistograms(v, off, Math.min(1000, v.length - off));
    return s;
  }

  @Test
  void anOutlierIsClippedAffineAndSymmetric() {
    SplittableRandom r = new SplittableRandom(3);
    float[] v = new float[100_000];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    v[17] = 100f; // one outlier
    Calibrator.Stats s = stats(v);
    double[] mm = s.range(Calibrator.Method.MINMAX, 0, 256);
    assertEquals(100.0, mm[1]);
    double[] affine = s.range(Calibrator.Method.KL, 0, 256, false);
    assertTrue(affine[1] < 30 && affine[1] > 3, "KL max " + affine[1]);
    assertTrue(affine[0] >= mm[0] && affine[0] < -3, "KL min " + affine[0] + " (min " + mm[0] + ")");
    double[] sym = s.range(Calibrator.Method.KL, 0, 256, true);
    assertTrue(sym[1] < 30 && sym[1] > 3, "symmetric KL max " + sym[1]);
    assertEquals(Math.max(mm[0], -sym[1]), sym[0], 1e-9, "symmetric: [-t, t] within [min, max]");
  }

  @Test
  void aLongTailIsClippedButTheBulkKept() {
    // ReLU of a Laplace-like variable: half exact zeros, an exponential tail
    SplittableRandom r = new SplittableRandom(5);
    float[] v = new float[200_000];
    for (int i = 0; i < v.length; i++) v[i] = r.nextBoolean() ? 0f : (float) -Math.log(1 - r.nextDouble());
    Calibrator.Stats s = stats(v);
    double max = s.max();
    double[] kl = s.range(Calibrator.Method.KL, 0, 256, false);
    assertEquals(0.0, kl[0]);
    assertTrue(kl[1] < 0.9 * max, "tail clipped: KL max " + kl[1] + " of " + max);
    assertTrue(kl[1] > 4, "the bulk (exp(-4) = 1.8% of the values beyond 4) kept: KL max " + kl[1]);
  }

  @Test
  void aUniformDistributionKeepsItsRange() {
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[100_000];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(0, 1);
    Calibrator.Stats s = stats(v);
    double[] kl = s.range(Calibrator.Method.KL, 0, 256, false);
    assertTrue(kl[1] > 0.95 * s.max(), "KL max " + kl[1] + " of " + s.max());
    for (int i = 0; i < v.length; i++) v[i] = 2 * v[i] - 1;
    s = stats(v);
    double[] sym = s.range(Calibrator.Method.KL, 0, 256, true);
    assertTrue(sym[1] > 0.95 * s.max() && sym[0] < 0.95 * s.min(), "symmetric KL range " + sym[0] + ", " + sym[1]);
  }

  /** Over random uniform ranges: KL stays inside [min, max] and keeps at least 90% of it. */
  @Property(tries = 25)
  void uniformRangesAreKept(@ForAll @DoubleRange(min = -50, max = 50) double a, @ForAll @DoubleRange(min = 0.01, max = 100) double width,
      @ForAll @LongRange(min = 1, max = 1_000_000) long seed, @ForAll boolean symmetric) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[50_000];
    for (int i = 0; i < v.length; i++) v[i] = (float) (a + width * r.nextDouble());
    Calibrator.Stats s = stats(v);
    double[] kl = s.range(Calibrator.Method.KL, 0, 256, symmetric);
    assertTrue(kl[0] >= s.min() && kl[1] <= s.max() && kl[0] <= kl[1], "inside: " + kl[0] + ", " + kl[1]);
    double lo = Math.min(s.min(), 0), hi = Math.max(s.max(), 0);
    double keptLo = Math.min(kl[0], 0), keptHi = Math.max(kl[1], 0);
    if (symmetric) {
      double t = Math.max(Math.abs(kl[0]), Math.abs(kl[1])), full = Math.max(Math.abs(lo), Math.abs(hi));
      assertTrue(t >= 0.9 * full, "symmetric threshold " + t + " of " + full);
    } else {
      assertTrue(keptHi - keptLo >= 0.9 * (hi - lo), "kept [" + keptLo + ", " + keptHi + "] of [" + lo + ", " + hi + "]");
    }
  }

  @Test
  void sixteenBitLevelsKeepTheRangeAndAMissingHistogramIsAnError() {
    SplittableRandom r = new SplittableRandom(9);
    float[] v = new float[10_000];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    v[3] = 50;
    Calibrator.Stats s = stats(v);
    double[] kl = s.range(Calibrator.Method.KL, 0, 65535, true);
    assertEquals(s.min(), kl[0]);
    assertEquals(s.max(), kl[1]);
    Calibrator.Stats noHistogram = new Calibrator.Stats(0);
    noHistogram.add(v, 0, v.length, r);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> noHistogram.range(Calibrator.Method.KL, 0, 256));
    assertTrue(e.getMessage().contains("histograms"), e.getMessage());
  }

  @Test
  void divergenceIsZeroWhenNothingIsLost() {
    long[] h = new long[2048];
    for (int i = 0; i < h.length; i++) h[i] = 10; // flat: merging and spreading back changes nothing
    assertEquals(0.0, Calibrator.klDivergence(h, 0, 2048, 128), 1e-12);
    assertTrue(Calibrator.klDivergence(h, 0, 1024, 128) > 0.1, "clipping half of a flat histogram costs");
    assertEquals(Calibrator.Method.KL, Calibrator.Method.parse("kl"));
    assertEquals(Calibrator.Method.KL, Calibrator.Method.parse("entropy"));
  }
}
