package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.engine.run.SharedScratch;
import io.kompakt.ops.common.QuantMath;
import io.kompakt.ops.common.VectorSupport;
import java.util.Arrays;
import java.util.List;
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
 * The fast integer CONV_2D kernel (int8 per channel, uint8 per tensor; 1 and 3 threads) against
 * {@link Conv2dInt8Reference} and {@link Conv2dUint8Reference}: exactly equal outputs.
 */
class Conv2dInt8FastTest {
  static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 3, 5, 7, 17, 33); }

  @Provide
  Arbitrary<Integer> kernel() { return Arbitraries.of(1, 1, 2, 3, 3, 3, 5); }

  @Property(tries = 600)
  void anyGeometryMatchesTheReference(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 9) int inH,
                                      @ForAll @IntRange(min = 1, max = 9) int inW, @ForAll("channels") int inC,
                                      @ForAll("channels") int outC, @ForAll("kernel") int kH, @ForAll("kernel") int kW,
                                      @ForAll @IntRange(min = 1, max = 3) int sH, @ForAll @IntRange(min = 1, max = 3) int sW,
                                      @ForAll @IntRange(min = 1, max = 2) int dH, @ForAll @IntRange(min = 1, max = 2) int dW,
                                      @ForAll boolean same, @ForAll boolean unsigned, @ForAll long seed) {
    Conv2dReference.Geometry g = Conv2dF32FastTest.geometry(batch, inH, inW, inC, outC, kH, kW, sH, sW, dH, dW, same);
    Assume.that(g != null);
    check(g, unsigned, seed);
  }

  /** Layers with several output-channel blocks, long rows, chunks for many threads. */
  @Example
  void largerLayersMatchTheReference() {
    for (boolean unsigned : new boolean[] {false, true}) {
      check(Conv2dF32FastTest.geometry(1, 14, 14, 33, 600, 1, 1, 1, 1, 1, 1, true), unsigned, 1);
      check(Conv2dF32FastTest.geometry(1, 15, 15, 3, 32, 3, 3, 2, 2, 1, 1, true), unsigned, 2);
      check(Conv2dF32FastTest.geometry(2, 10, 10, 17, 40, 3, 3, 1, 1, 2, 2, true), unsigned, 3);
      check(Conv2dF32FastTest.geometry(1, 12, 12, 7, 520, 5, 5, 1, 1, 1, 1, false), unsigned, 4);
    }
  }

  /** After warm-up, a run allocates nothing (int8 and uint8, 1x1 and 3x3). */
  @Example
  void aRunAllocatesNothing() {
    for (Conv2dReference.Geometry g : List.of(Conv2dF32FastTest.geometry(1, 9, 9, 20, 37, 3, 3, 1, 1, 1, 1, true),
        Conv2dF32FastTest.geometry(1, 9, 9, 20, 37, 1, 1, 1, 1, 1, 1, true))) {
      for (boolean unsigned : new boolean[] {false, true}) {
        Random r = new Random(7);
        Quant q = Quant.random(r, unsigned, g.outC(), true);
        byte[] in = bytes(g.batch() * g.inH() * g.inW() * g.inC(), r), out = new byte[g.batch() * g.outH() * g.outW() * g.outC()];
        byte[] filter = bytes(g.outC() * g.kH() * g.kW() * g.inC(), r);
        int[] bias = ints(g.outC(), r);
        for (int mode : MODES) {
        Conv2dInt8Fast.Kernel k = Conv2dInt8Fast.prepare(g, filter, 0, unsigned, q.filterZp, bias, 0, q.inZp, q.outZp,
            q.multiplier, q.shift, q.actMin, q.actMax,
            mode == VECTOR_AS_FLOAT, mode == INTEGER ? null : new SharedScratch(), ONE);
        long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
        FastKernelChecks.assertNoAllocation(bytes, (unsigned ? "uint8 " : "int8 ") + MODE_NAMES[mode] + " " + g);
        }
      }
    }
  }

  /** Random quantization parameters: zero points often at the ends of the type's range, per-channel or per-tensor. */
  static final class Quant {
    int inZp, filterZp, outZp, actMin, actMax;
    int[] multiplier, shift;

    static Quant random(Random r, boolean unsigned, int channels, boolean perChannel) {
      int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
      Quant q = new Quant();
      q.inZp = zeroPoint(r, lo, hi);
      q.filterZp = unsigned ? zeroPoint(r, lo, hi) : 0;
      q.outZp = zeroPoint(r, lo, hi);
      q.multiplier = new int[channels];
      q.shift = new int[channels];
      for (int c = 0; c < channels; c++) {
        if (c > 0 && !perChannel) {
          q.multiplier[c] = q.multiplier[0];
          q.shift[c] = q.shift[0];
          continue;
        }
        // real multipliers from 2^-24 to 4 (shifts on either side of 0)
        QuantMath.Multiplier m = QuantMath.quantizeMultiplier(Math.pow(2, -24 + 26 * r.nextDouble()));
        q.multiplier[c] = m.multiplier();
        q.shift[c] = m.shift();
      }
      switch (r.nextInt(3)) {
        case 0: q.actMin = lo; q.actMax = hi; break;
        case 1: q.actMin = Math.max(lo, q.outZp); q.actMax = hi; break;
        default:
          int a = lo + r.nextInt(hi - lo + 1), b = lo + r.nextInt(hi - lo + 1);
          q.actMin = Math.min(a, b);
          q.actMax = Math.max(a, b);
      }
      return q;
    }

    private static int zeroPoint(Random r, int lo, int hi) {
      switch (r.nextInt(4)) {
        case 0: return lo;
        case 1: return hi;
        default: return lo + r.nextInt(hi - lo + 1);
      }
    }
  }

  /** Kernel variants: the integer kernel, the exact-float path on the scalar and (where present) the vector kernels. */
  static final int INTEGER = 0, SCALAR_AS_FLOAT = 1, VECTOR_AS_FLOAT = 2;
  static final String[] MODE_NAMES = {"integer kernel", "as float (scalar)", "as float (vector)"};
  static final int[] MODES = VectorSupport.available() ? new int[] {INTEGER, SCALAR_AS_FLOAT, VECTOR_AS_FLOAT}
      : new int[] {INTEGER, SCALAR_AS_FLOAT};

  /**
   * Weights within 4 of the zero point (values of trained layers are small): random full-range weights of large
   * layers exceed the bound of {@link io.kompakt.ops.common.IntAsFloat} and test only the integer fallback.
   */
  static void narrow(byte[] w, int off, boolean unsigned, int zeroPoint, Random r) {
    for (int i = off; i < w.length; i++) w[i] = (byte) Math.max(unsigned ? 0 : -128,
        Math.min(unsigned ? 255 : 127, zeroPoint + r.nextInt(9) - 4));
  }

  static byte[] bytes(int n, Random r) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Biases of every size, now and then near the int32 limits (sums wrap in both kernels alike). */
  static int[] ints(int n, Random r) {
    int[] v = new int[n];
    boolean extreme = r.nextInt(8) == 0;
    for (int i = 0; i < n; i++) v[i] = extreme ? r.nextInt() : r.nextInt(1 << 18) - (1 << 17);
    return v;
  }

  /** Fast equals reference exactly, for 1 and 3 threads and a second run, with offsets into the arrays. */
  static void check(Conv2dReference.Geometry g, boolean unsigned, long seed) {
    Random r = new Random(seed);
    Quant q = Quant.random(r, unsigned, g.outC(), !unsigned && r.nextBoolean());
    int inN = g.batch() * g.inH() * g.inW() * g.inC(), outN = g.batch() * g.outH() * g.outW() * g.outC();
    int inOff = r.nextInt(5), fOff = r.nextInt(5), bOff = r.nextInt(5), outOff = r.nextInt(5);
    byte[] input = bytes(inOff + inN, r), filter = bytes(fOff + g.outC() * g.kH() * g.kW() * g.inC(), r);
    if (r.nextBoolean()) narrow(filter, fOff, unsigned, unsigned ? q.filterZp : 0, r);
    int[] bias = r.nextInt(5) == 0 ? null : ints(bOff + g.outC(), r);
    byte[] want = new byte[outOff + outN];
    if (unsigned) {
      Conv2dUint8Reference.run(g, input, inOff, q.inZp, filter, fOff, q.filterZp, bias, bOff, want, outOff, q.outZp,
          q.multiplier[0], q.shift[0], q.actMin, q.actMax);
    } else {
      Conv2dInt8Reference.run(g, input, inOff, q.inZp, filter, fOff, bias, bOff, want, outOff, q.outZp, q.multiplier, q.shift,
          q.actMin, q.actMax);
    }
    for (Parallel p : new Parallel[] {ONE, THREE}) for (int mode : MODES) {
      Conv2dInt8Fast.Kernel k = Conv2dInt8Fast.prepare(g, filter, fOff, unsigned, q.filterZp, bias, bOff, q.inZp, q.outZp,
          q.multiplier, q.shift, q.actMin, q.actMax, mode == VECTOR_AS_FLOAT, mode == INTEGER ? null : new SharedScratch(), p);
      for (int run = 0; run < 2; run++) {
        byte[] got = new byte[outOff + outN];
        Arrays.fill(got, (byte) 0x5A);
        Arrays.fill(got, outOff, outOff + outN, (byte) (run == 0 ? 0x11 : 0x77));
        k.run(input, inOff, got, outOff);
        for (int i = 0; i < outOff; i++) assertEquals((byte) 0x5A, got[i], "written before the output");
        Arrays.fill(got, 0, outOff, (byte) 0);
        assertArrayEquals(want, got, (unsigned ? "uint8 " : "int8 ") + MODE_NAMES[mode] + ", " + p.threads() + " threads, run " + run
            + ", " + g);
      }
    }
  }
}
