package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The vector requantization (used where enabled) equals the scalar one, which is TFLite's arithmetic. */
class RequantizerTest {
  @Property(tries = 300)
  void vectorEqualsScalar(@ForAll @IntRange(min = 1, max = 70) int channels, @ForAll @IntRange(min = 1, max = 9) int pixels,
                          @ForAll boolean unsigned, @ForAll long seed) {
    Assume.that(VectorSupport.available());
    Random r = new Random(seed);
    int[] bias = new int[channels + 2], m = new int[channels], s = new int[channels];
    for (int c = 0; c < channels; c++) {
      bias[c + 2] = r.nextInt(8) == 0 ? r.nextInt() : r.nextInt(1 << 18) - (1 << 17);
      QuantMath.Multiplier q = QuantMath.quantizeMultiplier(Math.pow(2, -24 + 26 * r.nextDouble()));
      m[c] = q.multiplier();
      s[c] = q.shift();
    }
    int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127, zp = lo + r.nextInt(256);
    float[] sums = new float[pixels * channels];
    for (int i = 0; i < sums.length; i++) sums[i] = r.nextInt((1 << 25) - 1) - ((1 << 24) - 1); // |x| < 2^24
    byte[] want = new byte[sums.length + 3], got = new byte[sums.length + 3];
    new Requantizer(channels, bias, 2, m, s, zp, lo, hi, false).run(sums.clone(), 0, pixels, want, 3);
    Requantizer vector = new Requantizer(channels, bias, 2, m, s, zp, lo, hi, true);
    vector.run(sums.clone(), 0, pixels, got, 3);
    assertArrayEquals(want, got, (vector.vector() ? "vector" : "scalar (4 lanes)") + ", " + channels + " channels");
  }

  @org.junit.jupiter.api.Test
  void theAllocationGuardSwitchesToScalarAndKeepsTheResults() {
    Assume.that(VectorSupport.available());
    int channels = 24, pixels = 3;
    int[] m = new int[channels], s = new int[channels];
    java.util.Arrays.fill(m, 1 << 30);
    java.util.Arrays.fill(s, -3);
    float[] sums = new float[pixels * channels];
    for (int i = 0; i < sums.length; i++) sums[i] = (i * 7919) % 4001 - 2000;
    byte[] want = new byte[sums.length], got = new byte[sums.length];
    new Requantizer(channels, null, 0, m, s, 5, -128, 127, false).run(sums, 0, pixels, want, 0);
    Requantizer r = new Requantizer(channels, null, 0, m, s, 5, -128, 127, true);
    boolean wasVector = r.vector();
    io.kompakt.engine.run.KernelRegistry registry = io.kompakt.engine.run.KernelRegistry.defaults(); // made before the switch
    try {
      Requantizer.GUARD.noteMeasuredCall(0); // a measured call that allocated nothing changes nothing
      org.junit.jupiter.api.Assertions.assertEquals(wasVector, r.vector());
      Requantizer.GUARD.noteMeasuredCall(64); // one that allocated: maybe not compiled yet, so nothing changes
      org.junit.jupiter.api.Assertions.assertEquals(wasVector, r.vector());
      Requantizer.GUARD.noteMeasuredCall(0); // then one that did not: the count starts again
      Requantizer.GUARD.noteMeasuredCall(64);
      org.junit.jupiter.api.Assertions.assertEquals(wasVector, r.vector());
      Requantizer.GUARD.noteMeasuredCall(64); // two in a row: scalar from now on, for every requantizer
      org.junit.jupiter.api.Assertions.assertFalse(r.vector());
      org.junit.jupiter.api.Assertions.assertTrue(Requantizer.vectorSwitchedOff() && IntAsFloat.describeRequantization().contains("switched off")
          || !IntAsFloat.VECTOR_REQUANTIZATION || !Requantizer.vectorLanesSuffice(), IntAsFloat.describeRequantization());
      // reports made after the switch say so (the kernel registry asks its providers each time)
      org.junit.jupiter.api.Assertions.assertTrue(registry.description().contains(IntAsFloat.describeRequantization()),
          registry.description());
      r.run(sums, 0, pixels, got, 0);
      assertArrayEquals(want, got);
    } finally {
      Requantizer.GUARD.reset();
    }
    org.junit.jupiter.api.Assertions.assertEquals(wasVector, r.vector());
  }
}
