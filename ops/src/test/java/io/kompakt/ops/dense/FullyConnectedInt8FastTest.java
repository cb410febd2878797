package io.kompakt.ops.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.ops.common.QuantMath;
import io.kompakt.engine.run.SharedScratch;
import io.kompakt.ops.common.VectorSupport;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The fast integer FULLY_CONNECTED kernel (int8 per channel and per tensor with a weights zero point, uint8 per tensor;
 * 1 and 3 threads) against {@link FullyConnectedInt8Reference} and {@link FullyConnectedUint8Reference}: exactly
 * equal outputs.
 */
class FullyConnectedInt8FastTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> sizes() { return Arbitraries.oneOf(Arbitraries.of(1, 3, 5, 7, 17, 33), Arbitraries.integers().between(1, 300)); }

  @Property(tries = 500)
  void anyLayerMatchesTheReference(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll("sizes") int depth,
                                   @ForAll("sizes") int units, @ForAll boolean unsigned, @ForAll long seed) {
    check(batch, depth, units, unsigned, seed);
  }

  @Example
  void largerLayersMatchTheReference() {
    check(1, 1280, 1001, false, 1);
    check(1, 1024, 1001, true, 2);
    check(5, 130, 257, false, 3);
  }

  @Example
  void aRunAllocatesNothing() {
    for (boolean unsigned : new boolean[] {false, true}) {
      Random r = new Random(7);
      int batch = 2, depth = 70, units = 300;
      byte[] in = bytes(batch * depth, r), out = new byte[batch * units], w = bytes(units * depth, r);
      int[] m = new int[units], s = new int[units];
      Arrays.fill(m, 1 << 30);
      Arrays.fill(s, -8);
      FullyConnectedInt8Fast.Kernel k = FullyConnectedInt8Fast.prepare(batch, depth, units, w, 0, unsigned, unsigned ? 128 : 0,
          new int[units], 0, unsigned ? 128 : 0, unsigned ? 128 : 0, m, s, unsigned ? 0 : -128, unsigned ? 255 : 127, ONE);
      long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
      FastKernelChecks.assertNoAllocation(bytes, unsigned ? "uint8" : "int8");
    }
  }

  /** Kernel variants: the integer kernel, the exact-float path on the scalar and (where present) the vector kernels. */
  static final String[] MODE_NAMES = {"integer kernel", "as float (scalar)", "as float (vector)"};
  static final int[] MODES = VectorSupport.available() ? new int[] {0, 1, 2} : new int[] {0, 1};

  static byte[] bytes(int n, Random r) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static int zeroPoint(Random r, int lo, int hi) {
    switch (r.nextInt(4)) {
      case 0: return lo;
      case 1: return hi;
      default: return lo + r.nextInt(hi - lo + 1);
    }
  }

  static void check(int batch, int depth, int units, boolean unsigned, long seed) {
    Random r = new Random(seed);
    int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
    boolean perChannel = !unsigned && r.nextBoolean();
    int inZp = zeroPoint(r, lo, hi), outZp = zeroPoint(r, lo, hi), wZp = perChannel ? 0 : zeroPoint(r, lo, hi);
    int[] m = new int[units], s = new int[units];
    for (int u = 0; u < units; u++) {
      if (u > 0 && !perChannel) {
        m[u] = m[0];
        s[u] = s[0];
        continue;
      }
      QuantMath.Multiplier q = QuantMath.quantizeMultiplier(Math.pow(2, -24 + 26 * r.nextDouble()));
      m[u] = q.multiplier();
      s[u] = q.shift();
    }
    int actMin = lo, actMax = hi;
    if (r.nextBoolean()) {
      int a = lo + r.nextInt(hi - lo + 1), b = lo + r.nextInt(hi - lo + 1);
      actMin = Math.min(a, b);
      actMax = Math.max(a, b);
    }
    int inOff = r.nextInt(5), wOff = r.nextInt(5), bOff = r.nextInt(5), outOff = r.nextInt(5);
    byte[] in = bytes(inOff + batch * depth, r), w = bytes(wOff + units * depth, r);
    if (r.nextBoolean()) {
      for (int i = wOff; i < w.length; i++) w[i] = (byte) Math.max(lo, Math.min(hi, wZp + r.nextInt(9) - 4));
    }
    int[] bias = null;
    if (r.nextInt(5) != 0) {
      bias = new int[bOff + units];
      boolean extreme = r.nextInt(8) == 0;
      for (int i = 0; i < bias.length; i++) bias[i] = extreme ? r.nextInt() : r.nextInt(1 << 18) - (1 << 17);
    }
    byte[] want = new byte[outOff + batch * units];
    if (unsigned) {
      FullyConnectedUint8Reference.run(batch, depth, units, in, inOff, inZp, w, wOff, wZp, bias, bOff, want, outOff, outZp, m[0], s[0],
          actMin, actMax);
    } else {
      FullyConnectedInt8Reference.run(batch, depth, units, in, inOff, inZp, w, wOff, wZp, bias, bOff, want, outOff, outZp, m, s,
          actMin, actMax);
    }
    for (Parallel p : new Parallel[] {ONE, THREE}) for (int mode : MODES) {
      FullyConnectedInt8Fast.Kernel k = FullyConnectedInt8Fast.prepare(batch, depth, units, w, wOff, unsigned, wZp, bias, bOff, inZp,
          outZp, m, s, actMin, actMax, mode == 2, mode == 0 ? null : new SharedScratch(), p);
      for (int run = 0; run < 2; run++) {
        byte[] got = new byte[outOff + batch * units];
        Arrays.fill(got, (byte) 0x5A);
        Arrays.fill(got, outOff, got.length, (byte) (run == 0 ? 0x11 : 0x77));
        k.run(in, inOff, got, outOff);
        for (int i = 0; i < outOff; i++) assertEquals((byte) 0x5A, got[i], "written before the output");
        Arrays.fill(got, 0, outOff, (byte) 0);
        assertArrayEquals(want, got, (unsigned ? "uint8 " : "int8 ") + MODE_NAMES[mode] + ", " + p.threads() + " threads, run " + run
            + ", batch " + batch
            + ", depth " + depth + ", units " + units);
      }
    }
  }
}
