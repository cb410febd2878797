package io.kompakt.compress.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Scale and zero-point choice against its definition, over random ranges and integer types. */
class ScaleChooserTest {
  static final long[][] TYPES = {{-128, 127}, {0, 255}, {-32768, 32767}};

  @Property(tries = 300)
  void affineRepresentsZeroExactlyAndCoversTheRange(@ForAll @DoubleRange(min = -1e4, max = 1e4) double a,
      @ForAll @DoubleRange(min = -1e4, max = 1e4) double b, @ForAll @IntRange(min = 0, max = 2) int type,
      @ForAll boolean powerOfTwo) {
    double min = Math.min(a, b), max = Math.max(a, b);
    long qmin = TYPES[type][0], qmax = TYPES[type][1];
    ScaleChooser.Params p = ScaleChooser.affine(min, max, qmin, qmax, powerOfTwo);
    assertTrue(p.scale() > 0);
    assertTrue(p.zeroPoint() >= qmin && p.zeroPoint() <= qmax, "zero point " + p.zeroPoint());
    assertEquals(0.0, p.dequantize(p.quantize(0.0, qmin, qmax)), "0 is exact");
    double lo = Math.min(min, 0), hi = Math.max(max, 0);
    // every value of the range is within one step of its dequantized value (half a step plus the zero point's nudge)
    for (double x : new double[] {lo, hi, (lo + hi) / 2, lo / 3, hi / 3}) {
      double err = Math.abs(x - p.dequantize(p.quantize(x, qmin, qmax)));
      assertTrue(err <= p.scale() * 1.0000001 + 1e-12, x + " -> error " + err + " with " + p);
    }
    if (powerOfTwo) {
      double e = Math.log(p.scale()) / Math.log(2);
      assertEquals(Math.rint(e), e, 1e-9, "power of two: " + p.scale());
      if (hi - lo > 1e-12) assertTrue(p.scale() >= (hi - lo) / (qmax - qmin) * (1 - 1e-12), "rounded up");
    } else if (hi - lo > 1e-12) {
      assertEquals((hi - lo) / (qmax - qmin), p.scale(), 1e-12 * p.scale());
    }
  }

  @Property(tries = 200)
  void symmetricHasTheMiddleZeroPoint(@ForAll @DoubleRange(min = -1e3, max = 1e3) double a,
      @ForAll @DoubleRange(min = -1e3, max = 1e3) double b, @ForAll @IntRange(min = 0, max = 2) int type) {
    double min = Math.min(a, b), max = Math.max(a, b);
    long qmin = TYPES[type][0], qmax = TYPES[type][1];
    ScaleChooser.Params p = ScaleChooser.symmetric(min, max, qmin == -32768 ? -32767 : qmin, qmax, false);
    assertEquals(qmin >= 0 ? 128 : 0, p.zeroPoint());
    double m = Math.max(Math.abs(min), Math.abs(max));
    if (m > 1e-12) {
      assertTrue(Math.abs(m - p.dequantize(p.quantize(m, qmin, qmax))) <= p.scale() / 2 * 1.0000001);
      assertTrue(Math.abs(-m - p.dequantize(p.quantize(-m, qmin, qmax))) <= p.scale() * 1.0000001);
    }
  }

  @Test
  void theConvertersChoices() {
    // ReLU6 output: [0, 6] on int8: scale 6/255, zero point -128
    ScaleChooser.Params relu6 = ScaleChooser.affine(0, 6, -128, 127, false);
    assertEquals(6.0 / 255, relu6.scale(), 1e-15);
    assertEquals(-128, relu6.zeroPoint());
    // [-1, 1]: zero point from the smaller error, rounded: -1 / (2/255) = -127.5 + ... -> 0 after nudging
    ScaleChooser.Params pm = ScaleChooser.affine(-1, 1, -128, 127, false);
    assertEquals(2.0 / 255, pm.scale(), 1e-15);
    assertEquals(-1, pm.zeroPoint()); // from the max side (smaller error): 127 - 127.5 = -0.5, rounded away from zero
    // all zeros: scale 1, zero point qmin
    assertEquals(new ScaleChooser.Params(1.0, -128), ScaleChooser.affine(0, 0, -128, 127, false));
    assertEquals(0.5, ScaleChooser.nextPowerOfTwo(0.3));
    assertEquals(0.25, ScaleChooser.nextPowerOfTwo(0.25));
    assertThrows(IllegalArgumentException.class, () -> ScaleChooser.affine(Double.NaN, 1, -128, 127, false));
    assertThrows(IllegalArgumentException.class, () -> ScaleChooser.affine(2, 1, -128, 127, false));
  }

  @Test
  void calibrationMethodsNarrowTheRangeAroundOutliers() {
    Calibrator.Stats s = new Calibrator.Stats(8192);
    SplittableRandom r = new SplittableRandom(3);
    float[] v = new float[10000];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    v[17] = 100f; // one outlier
    s.add(v, 0, v.length, r);
    double[] mm = s.range(Calibrator.Method.MINMAX, 99.99, 256);
    assertEquals(100.0, mm[1]);
    double[] pc = s.range(Calibrator.Method.PERCENTILE, 99.9, 256);
    assertTrue(pc[1] < 6 && pc[1] > 2, "percentile max " + pc[1]);
    double[] mse = s.range(Calibrator.Method.MSE, 99.99, 256);
    assertTrue(mse[1] < 100 && mse[1] >= 30, "mse max " + mse[1]);
    double[] ema = s.range(Calibrator.Method.MOVING_AVERAGE, 99.99, 256);
    assertEquals(mm[0], ema[0]); // one sample: the moving average is that sample's range
  }
}
