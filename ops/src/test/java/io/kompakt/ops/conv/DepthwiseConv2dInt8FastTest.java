package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.ops.conv.Conv2dInt8FastTest.Quant;
import io.kompakt.engine.run.SharedScratch;
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
 * The fast integer DEPTHWISE_CONV_2D kernel (int8 per channel, uint8 per tensor; 1 and 3 threads) against
 * {@link DepthwiseConv2dInt8Reference} and {@link DepthwiseConv2dUint8Reference}: exactly equal outputs.
 */
class DepthwiseConv2dInt8FastTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 3, 5, 7, 17, 33); }

  @Provide
  Arbitrary<Integer> kernel() { return Arbitraries.of(1, 2, 3, 3, 3, 4, 5, 5); }

  @Property(tries = 600)
  void anyGeometryMatchesTheReference(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 11) int inH,
                                      @ForAll @IntRange(min = 1, max = 11) int inW, @ForAll("channels") int inC,
                                      @ForAll @IntRange(min = 1, max = 3) int mult, @ForAll("kernel") int kH,
                                      @ForAll("kernel") int kW, @ForAll @IntRange(min = 1, max = 3) int sH,
                                      @ForAll @IntRange(min = 1, max = 3) int sW, @ForAll @IntRange(min = 1, max = 2) int dH,
                                      @ForAll @IntRange(min = 1, max = 2) int dW, @ForAll boolean same, @ForAll boolean unsigned,
                                      @ForAll long seed) {
    DepthwiseConv2dReference.Geometry g = DepthwiseConv2dF32FastTest.geometry(batch, inH, inW, inC, mult, kH, kW, sH, sW, dH, dW, same);
    Assume.that(g != null);
    check(g, unsigned, seed);
  }

  /** MobileNet-like layers and one whose replicated filter is too large for row mode (pixel mode). */
  @Example
  void largerLayersMatchTheReference() {
    for (boolean unsigned : new boolean[] {false, true}) {
      check(DepthwiseConv2dF32FastTest.geometry(1, 28, 28, 96, 1, 3, 3, 2, 2, 1, 1, true), unsigned, 1);
      check(DepthwiseConv2dF32FastTest.geometry(2, 14, 14, 40, 1, 5, 5, 1, 1, 1, 1, true), unsigned, 2);
      check(DepthwiseConv2dF32FastTest.geometry(1, 4, 600, 150, 2, 5, 5, 1, 1, 1, 1, true), unsigned, 3); // pixel mode
    }
  }

  @Example
  void aRunAllocatesNothing() {
    for (DepthwiseConv2dReference.Geometry g : List.of(DepthwiseConv2dF32FastTest.geometry(1, 9, 9, 20, 1, 3, 3, 1, 1, 1, 1, true),
        DepthwiseConv2dF32FastTest.geometry(1, 9, 9, 10, 2, 5, 5, 2, 2, 1, 1, true),
        DepthwiseConv2dF32FastTest.geometry(1, 9, 9, 20, 1, 2, 2, 1, 1, 1, 1, true))) {
      for (boolean unsigned : new boolean[] {false, true}) {
        Random r = new Random(7);
        Quant q = Quant.random(r, unsigned, g.outC(), true);
        byte[] in = Conv2dInt8FastTest.bytes(g.batch() * g.inH() * g.inW() * g.inC(), r);
        byte[] out = new byte[g.batch() * g.outH() * g.outW() * g.outC()];
        byte[] filter = Conv2dInt8FastTest.bytes(g.kH() * g.kW() * g.outC(), r);
        int[] bias = Conv2dInt8FastTest.ints(g.outC(), r);
        for (int mode : Conv2dInt8FastTest.MODES) {
        DepthwiseConv2dInt8Fast.Kernel k = DepthwiseConv2dInt8Fast.prepare(g, filter, 0, unsigned, q.filterZp, bias, 0, q.inZp,
            q.outZp, q.multiplier, q.shift, q.actMin, q.actMax,
            mode == Conv2dInt8FastTest.VECTOR_AS_FLOAT, mode == Conv2dInt8FastTest.INTEGER ? null : new SharedScratch(), ONE);
        long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
        FastKernelChecks.assertNoAllocation(bytes, (unsigned ? "uint8 " : "int8 ") + Conv2dInt8FastTest.MODE_NAMES[mode] + " " + g);
        }
      }
    }
  }

  static void check(DepthwiseConv2dReference.Geometry g, boolean unsigned, long seed) {
    Random r = new Random(seed);
    Quant q = Quant.random(r, unsigned, g.outC(), !unsigned && r.nextBoolean());
    int inN = g.batch() * g.inH() * g.inW() * g.inC(), outN = g.batch() * g.outH() * g.outW() * g.outC();
    int inOff = r.nextInt(5), fOff = r.nextInt(5), bOff = r.nextInt(5), outOff = r.nextInt(5);
    byte[] input = Conv2dInt8FastTest.bytes(inOff + inN, r), filter = Conv2dInt8FastTest.bytes(fOff + g.kH() * g.kW() * g.outC(), r);
    if (r.nextBoolean()) Conv2dInt8FastTest.narrow(filter, fOff, unsigned, unsigned ? q.filterZp : 0, r);
    int[] bias = r.nextInt(5) == 0 ? null : Conv2dInt8FastTest.ints(bOff + g.outC(), r);
    byte[] want = new byte[outOff + outN];
    if (unsigned) {
      DepthwiseConv2dUint8Reference.run(g, input, inOff, q.inZp, filter, fOff, q.filterZp, bias, bOff, want, outOff, q.outZp,
          q.multiplier[0], q.shift[0], q.actMin, q.actMax);
    } else {
      DepthwiseConv2dInt8Reference.run(g, input, inOff, q.inZp, filter, fOff, bias, bOff, want, outOff, q.outZp, q.multiplier,
          q.shift, q.actMin, q.actMax);
    }
    for (Parallel p : new Parallel[] {ONE, THREE}) for (int mode : Conv2dInt8FastTest.MODES) {
      DepthwiseConv2dInt8Fast.Kernel k = DepthwiseConv2dInt8Fast.prepare(g, filter, fOff, unsigned, q.filterZp, bias, bOff, q.inZp,
          q.outZp, q.multiplier, q.shift, q.actMin, q.actMax, mode == Conv2dInt8FastTest.VECTOR_AS_FLOAT,
          mode == Conv2dInt8FastTest.INTEGER ? null : new SharedScratch(), p);
      for (int run = 0; run < 2; run++) {
        byte[] got = new byte[outOff + outN];
        Arrays.fill(got, (byte) 0x5A);
        Arrays.fill(got, outOff, outOff + outN, (byte) (run == 0 ? 0x11 : 0x77));
        k.run(input, inOff, got, outOff);
        for (int i = 0; i < outOff; i++) assertEquals((byte) 0x5A, got[i], "written before the output");
        Arrays.fill(got, 0, outOff, (byte) 0);
        assertArrayEquals(want, got, (unsigned ? "uint8 " : "int8 ") + Conv2dInt8FastTest.MODE_NAMES[mode] + ", " + p.threads()
            + " threads, run " + run + ", " + g);
      }
    }
  }
}
