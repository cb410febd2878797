package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.ops.common.FastKernelChecks.Arena;
import io.kompakt.ops.common.Padding;
import io.kompakt.ops.common.VectorSupport;
import java.util.ArrayList;
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

/** The fast float32 DEPTHWISE_CONV_2D kernels (scalar and vector, 1 and 3 threads) against {@link DepthwiseConv2dReference}. */
class DepthwiseConv2dF32FastTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> channels() {
    return Arbitraries.oneOf(Arbitraries.of(1, 3, 5, 7, 8, 16, 17, 24, 32, 33, 40), Arbitraries.integers().between(1, 70));
  }

  @Provide
  Arbitrary<Integer> kernel() { return Arbitraries.of(1, 2, 3, 3, 3, 3, 4, 5, 5, 7); }

  @Provide
  Arbitrary<Integer> multiplier() { return Arbitraries.of(1, 1, 1, 1, 2, 3, 4, 8); }

  @Provide
  Arbitrary<float[]> activation() {
    return Arbitraries.of(new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, new float[] {0f, Float.MAX_VALUE}, new float[] {0f, 6f},
        new float[] {-1f, 1f});
  }

  @Property(tries = 800)
  void anyGeometryMatchesTheReference(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 13) int inH,
                                      @ForAll @IntRange(min = 1, max = 13) int inW, @ForAll("channels") int inC,
                                      @ForAll("multiplier") int mult, @ForAll("kernel") int kH, @ForAll("kernel") int kW,
                                      @ForAll @IntRange(min = 1, max = 3) int sH, @ForAll @IntRange(min = 1, max = 3) int sW,
                                      @ForAll @IntRange(min = 1, max = 2) int dH, @ForAll @IntRange(min = 1, max = 2) int dW,
                                      @ForAll boolean same, @ForAll boolean withBias, @ForAll("activation") float[] range,
                                      @ForAll long seed) {
    DepthwiseConv2dReference.Geometry g = geometry(batch, inH, inW, inC, mult, kH, kW, sH, sW, dH, dW, same);
    Assume.that(g != null);
    check(g, withBias, range, seed);
  }

  /** MobileNet-like layers: 3x3 and 5x5, stride 1 and 2, wide rows, channel counts on and off the lane width. */
  @Example
  void mobileNetLikeLayersMatchTheReference() {
    check(geometry(1, 40, 40, 32, 1, 3, 3, 1, 1, 1, 1, true), true, new float[] {0f, 6f}, 1);
    check(geometry(1, 41, 41, 96, 1, 3, 3, 2, 2, 1, 1, true), true, new float[] {0f, 6f}, 2);
    check(geometry(1, 20, 20, 120, 1, 5, 5, 1, 1, 1, 1, true), true, new float[] {0f, 6f}, 3);
    check(geometry(1, 21, 21, 72, 1, 5, 5, 2, 2, 1, 1, true), false, new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, 4);
    check(geometry(2, 16, 16, 3, 8, 3, 3, 1, 1, 1, 1, false), true, new float[] {0f, 6f}, 5);
  }

  /** Few channels (1, 2, 4, 8: several pixels per vector), stride 1, rows wide enough for the 4-vector tiles. */
  @Example
  void fewChannelsManyPixelsPerVectorMatchTheReference() {
    int seed = 10;
    for (int c : new int[] {1, 2, 4, 8}) {
      for (int k : new int[] {1, 3, 5}) {
        for (boolean same : new boolean[] {true, false}) {
          for (int w : new int[] {k, 37, 70}) {
            DepthwiseConv2dReference.Geometry g = geometry(1 + seed % 2, 9, w, c, 1, k, k, 1, 1, 1, 1, same);
            if (g != null) check(g, seed % 3 != 0, seed % 2 == 0 ? new float[] {0f, 6f} : new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, seed++);
          }
        }
      }
    }
  }

  /** A row too wide to replicate the filter along it (the scalar kernel then goes pixel by pixel). */
  @Example
  void wideRowsMatchTheReference() {
    DepthwiseConv2dReference.Geometry g = geometry(1, 5, 520, 400, 1, 5, 5, 1, 1, 1, 1, false);
    assertTrue((long) g.kH() * g.kW() * g.outW() * g.outC() > DepthwiseConv2dF32Scalar.MAX_REPLICATED);
    check(g, true, new float[] {0f, 6f}, 6);
  }

  @Example
  void vectorKernelsNeedTheVectorApi() {
    DepthwiseConv2dReference.Geometry g = geometry(1, 4, 4, 2, 1, 3, 3, 1, 1, 1, 1, true);
    if (VectorSupport.available()) {
      DepthwiseConv2dF32Fast.prepare(g, new float[18], 0, null, 0, 0f, 6f, true, null);
    } else {
      assertThrows(UnsupportedOperationException.class, () -> DepthwiseConv2dF32Fast.prepare(g, new float[18], 0, null, 0, 0f, 6f, true, null));
    }
  }

  /** After warm-up, a run allocates nothing (scalar and vector, 3x3 rows, 5x5, multiplier, partial channel vectors). */
  @Example
  void aRunAllocatesNothing() {
    for (DepthwiseConv2dReference.Geometry g : List.of(geometry(1, 9, 9, 37, 1, 3, 3, 1, 1, 1, 1, true),
        geometry(1, 9, 9, 37, 1, 5, 5, 2, 2, 1, 1, true), geometry(1, 9, 9, 7, 3, 3, 3, 1, 1, 1, 1, true))) {
      Random r = new Random(7);
      float[] in = FastKernelChecks.values(g.inH() * g.inW() * g.inC(), r), out = new float[g.outH() * g.outW() * g.outC()];
      float[] filter = FastKernelChecks.values(g.kH() * g.kW() * g.outC(), r), bias = FastKernelChecks.values(g.outC(), r);
      for (boolean vector : VectorSupport.available() ? new boolean[] {false, true} : new boolean[] {false}) {
        DepthwiseConv2dF32Fast.Kernel k = DepthwiseConv2dF32Fast.prepare(g, filter, 0, bias, 0, 0f, 6f, vector, ONE);
        long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
        Assume.that(bytes >= 0);
        assertEquals(0, bytes, (vector ? "vector " : "scalar ") + g + ": bytes allocated by a run");
      }
    }
  }

  static DepthwiseConv2dReference.Geometry geometry(int batch, int inH, int inW, int inC, int mult, int kH, int kW, int sH, int sW,
                                                    int dH, int dW, boolean same) {
    int outH = Padding.outSize(same, inH, kH, sH, dH), outW = Padding.outSize(same, inW, kW, sW, dW);
    if (outH <= 0 || outW <= 0) return null;
    return new DepthwiseConv2dReference.Geometry(batch, inH, inW, inC, mult, outH, outW, kH, kW, sH, sW, dH, dW,
        Padding.padBefore(same, inH, kH, sH, dH, outH), Padding.padBefore(same, inW, kW, sW, dW, outW));
  }

  /** Every variant within tolerance of the reference, bit-identical for 1 and 3 threads, the arena intact. */
  static void check(DepthwiseConv2dReference.Geometry g, boolean withBias, float[] range, long seed) {
    Random r = new Random(seed);
    int inN = g.batch() * g.inH() * g.inW() * g.inC(), outN = g.batch() * g.outH() * g.outW() * g.outC();
    int fOff = r.nextInt(5), bOff = r.nextInt(5);
    float[] input = FastKernelChecks.values(inN, r);
    float[] filter = FastKernelChecks.values(fOff + g.kH() * g.kW() * g.outC(), r);
    float[] bias = withBias ? FastKernelChecks.values(bOff + g.outC(), r) : null;
    float[] want = new float[outN], magnitude = new float[outN];
    DepthwiseConv2dReference.run(g, input, 0, filter, fOff, bias, bOff, want, 0, range[0], range[1]);
    DepthwiseConv2dReference.run(g, FastKernelChecks.abs(input), 0, FastKernelChecks.abs(filter), fOff, FastKernelChecks.abs(bias),
        bOff, magnitude, 0, -Float.MAX_VALUE, Float.MAX_VALUE);
    Arena arena = new Arena(input, outN, r);
    List<Boolean> variants = new ArrayList<>(List.of(false));
    if (VectorSupport.available()) variants.add(true);
    for (boolean vector : variants) {
      float[] first = null;
      for (Parallel p : new Parallel[] {ONE, THREE}) {
        String what = (vector ? "vector" : "scalar") + ", " + p.threads() + " threads, " + g;
        DepthwiseConv2dF32Fast.Kernel k = DepthwiseConv2dF32Fast.prepare(g, filter, fOff, bias, bOff, range[0], range[1], vector, p);
        for (int run = 0; run < 2; run++) {
          arena.resetOutput(input);
          k.run(arena.a, arena.inOff, arena.a, arena.outOff);
          arena.checkIntact(input);
          float[] got = arena.output();
          FastKernelChecks.assertClose(want, got, magnitude, what);
          if (first == null) first = got; else assertArrayEquals(first, got, what + ": differs from the first run or thread count");
        }
      }
    }
  }
}
