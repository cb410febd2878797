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
    assertArrayEquals(want, got, (vector.vector() ? "vector" : "scalar") + ", " + channels + " channels");
  }

  /** One random case: vector against scalar, bytes and the handed-off floats; null if equal, else what differs. */
  static String compareOnce(Random r) {
    int channels = 1 + r.nextInt(70), pixels = 1 + r.nextInt(9);
    boolean unsigned = r.nextBoolean();
    int[] bias = new int[channels], m = new int[channels], s = new int[channels];
    for (int c = 0; c < channels; c++) {
      bias[c] = r.nextInt(8) == 0 ? r.nextInt() : r.nextInt(1 << 18) - (1 << 17);
      QuantMath.Multiplier q = QuantMath.quantizeMultiplier(Math.pow(2, -24 + 26 * r.nextDouble()));
      m[c] = q.multiplier();
      s[c] = q.shift();
    }
    int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127, zp = lo + r.nextInt(256);
    float[] sums = new float[pixels * channels];
    for (int i = 0; i < sums.length; i++) sums[i] = r.nextInt((1 << 25) - 1) - ((1 << 24) - 1);
    byte[] want = new byte[sums.length + 5], got = new byte[sums.length + 5];
    float[] wantValues = new float[sums.length], gotValues = new float[sums.length];
    new Requantizer(channels, bias, 0, m, s, zp, lo, hi, false).run(sums, 0, pixels, want, 5, wantValues);
    Requantizer vector = new Requantizer(channels, bias, 0, m, s, zp, lo, hi, true);
    if (!vector.vector()) return "the vector path is off";
    vector.run(sums, 0, pixels, got, 5, gotValues);
    if (!java.util.Arrays.equals(want, got)) return "bytes differ, " + channels + " channels, " + pixels + " pixels";
    if (!java.util.Arrays.equals(wantValues, gotValues)) return "floats differ, " + channels + " channels, " + pixels + " pixels";
    return null;
  }

  /**
   * With 128-bit vectors (4 int lanes, as a Raspberry Pi 4's NEON) the requantization packs its four bytes into one
   * int store: checked in a JVM limited to 128-bit vectors, so that CI on a wider machine runs that path too.
   */
  @org.junit.jupiter.api.Test
  void fourIntLanesEqualScalar() throws Exception {
    Assume.that(VectorSupport.available());
    if (RequantizeVector.LANES == 4) { // this JVM has them already (a Pi 4): no second JVM needed
      FourLanes.main(new String[0]);
      return;
    }
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    java.util.List<String> cmd = java.util.List.of(System.getProperty("java.home") + java.io.File.separator + "bin"
        + java.io.File.separator + "java", "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16",
        "-XX:TypeProfileLevel=222", "-Xmx256m", "-cp", cp, FourLanes.class.getName());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    org.junit.jupiter.api.Assertions.assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "probe JVM did not finish");
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), out);
    org.junit.jupiter.api.Assumptions.assumeFalse(out.contains("not 4 lanes"), out);
    org.junit.jupiter.api.Assertions.assertTrue(out.contains("4 lanes: 400 cases equal"), out);
  }

  /** Run in a JVM started with -XX:MaxVectorSize=16. */
  public static final class FourLanes {
    public static void main(String[] args) {
      if (RequantizeVector.LANES != 4) {
        System.out.println("not 4 lanes: " + RequantizeVector.LANES);
        return;
      }
      Random r = new Random(20261207);
      for (int i = 0; i < 400; i++) {
        String bad = compareOnce(r);
        if (bad != null) throw new AssertionError("case " + i + ": " + bad);
      }
      System.out.println("4 lanes: 400 cases equal");
    }
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
