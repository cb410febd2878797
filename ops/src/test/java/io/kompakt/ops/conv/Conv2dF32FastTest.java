package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** The fast float32 CONV_2D kernels (scalar and vector, 1 and 3 threads) against {@link Conv2dReference}. */
class Conv2dF32FastTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> channels() {
    return Arbitraries.oneOf(Arbitraries.of(1, 3, 5, 7, 8, 16, 17, 24, 31, 32, 33, 40), Arbitraries.integers().between(1, 48));
  }

  @Provide
  Arbitrary<Integer> kernel() { return Arbitraries.of(1, 1, 2, 3, 3, 3, 4, 5, 7); }

  @Provide
  Arbitrary<float[]> activation() {
    return Arbitraries.of(new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, new float[] {0f, Float.MAX_VALUE}, new float[] {0f, 6f},
        new float[] {-1f, 1f});
  }

  @Property(tries = 800)
  void anyGeometryMatchesTheReference(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 11) int inH,
                                      @ForAll @IntRange(min = 1, max = 19) int inW, @ForAll("channels") int inC,
                                      @ForAll("channels") int outC, @ForAll("kernel") int kH, @ForAll("kernel") int kW,
                                      @ForAll @IntRange(min = 1, max = 3) int sH, @ForAll @IntRange(min = 1, max = 3) int sW,
                                      @ForAll @IntRange(min = 1, max = 2) int dH, @ForAll @IntRange(min = 1, max = 2) int dW,
                                      @ForAll boolean same, @ForAll boolean withBias, @ForAll("activation") float[] range,
                                      @ForAll long seed) {
    Conv2dReference.Geometry g = geometry(batch, inH, inW, inC, outC, kH, kW, sH, sW, dH, dW, same);
    Assume.that(g != null);
    check(g, withBias, range, seed);
  }

  /** 1x1 filters take the matrix-product path: more pixels, strides, wide and odd channel counts. */
  @Property(tries = 300)
  void oneByOneMatchesTheReference(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 14) int inH,
                                   @ForAll @IntRange(min = 1, max = 14) int inW, @ForAll("channels") int inC,
                                   @ForAll @IntRange(min = 1, max = 140) int outC, @ForAll @IntRange(min = 1, max = 3) int stride,
                                   @ForAll boolean same, @ForAll boolean withBias, @ForAll("activation") float[] range,
                                   @ForAll long seed) {
    Conv2dReference.Geometry g = geometry(batch, inH, inW, inC, outC, 1, 1, stride, stride, 1, 1, same);
    Assume.that(g != null);
    assertEquals("gemm1x1", Conv2dF32Fast.path(g));
    check(g, withBias, range, seed);
  }

  /** MobileNet-like layers, larger than the properties' (several blocks of channels, long rows, many threads' chunks). */
  @Example
  void mobileNetLikeLayersMatchTheReference() {
    check(geometry(1, 28, 28, 64, 130, 1, 1, 1, 1, 1, 1, true), true, new float[] {0f, 6f}, 1);
    check(geometry(1, 29, 29, 24, 600, 1, 1, 2, 2, 1, 1, true), true, new float[] {0f, 6f}, 2);
    check(geometry(1, 30, 30, 3, 32, 3, 3, 2, 2, 1, 1, true), true, new float[] {0f, 6f}, 3);
    check(geometry(1, 30, 30, 3, 8, 3, 3, 2, 2, 1, 1, true), true, new float[] {0f, 6f}, 6); // MobileNet V1 0.25's first
    check(geometry(1, 30, 30, 3, 16, 3, 3, 2, 2, 1, 1, true), true, new float[] {0f, 6f}, 7);
    check(geometry(1, 30, 30, 32, 16, 1, 1, 1, 1, 1, 1, true), true, new float[] {0f, 6f}, 8); // V2's 32 -> 16
    check(geometry(2, 14, 14, 72, 40, 3, 3, 1, 1, 1, 1, true), false, new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, 4);
    check(geometry(1, 12, 12, 33, 520, 5, 5, 1, 1, 2, 2, true), true, new float[] {0f, Float.MAX_VALUE}, 5);
  }

  @Example
  void pathsAreChosenByFilterAndPadding() {
    assertEquals("gemm1x1", Conv2dF32Fast.path(geometry(1, 8, 8, 4, 4, 1, 1, 2, 2, 1, 1, true)));
    assertEquals("direct", Conv2dF32Fast.path(geometry(1, 8, 8, 4, 4, 3, 3, 1, 1, 1, 1, true)));
    assertEquals("direct", Conv2dF32Fast.path(geometry(1, 8, 8, 4, 4, 1, 3, 1, 1, 1, 1, false)));
  }

  @Example
  void vectorKernelsNeedTheVectorApi() {
    Conv2dReference.Geometry g = geometry(1, 4, 4, 2, 2, 3, 3, 1, 1, 1, 1, true);
    if (VectorSupport.available()) {
      Conv2dF32Fast.prepare(g, new float[36], 0, null, 0, 0f, 6f, true, null);
    } else {
      assertThrows(UnsupportedOperationException.class, () -> Conv2dF32Fast.prepare(g, new float[36], 0, null, 0, 0f, 6f, true, null));
    }
  }

  /** After warm-up, a run allocates nothing (scalar and vector, both paths, partial channel blocks, paired blocks). */
  @Example
  void aRunAllocatesNothing() {
    // 1x1 to 70 channels: two whole blocks of two vectors (a 4 x 4 tile where the machine takes them) and a partial one;
    // to 16 and 6: one vector of channels or fewer (8 x 1 tiles) with 16 float lanes; 3x3 to 16 and 8 (stride 2) likewise
    for (Conv2dReference.Geometry g : List.of(geometry(1, 9, 9, 20, 37, 3, 3, 1, 1, 1, 1, true), geometry(1, 9, 9, 20, 37, 1, 1, 1, 1, 1, 1, true),
        geometry(1, 9, 9, 20, 70, 1, 1, 1, 1, 1, 1, true), geometry(1, 9, 9, 20, 16, 1, 1, 1, 1, 1, 1, true),
        geometry(1, 9, 9, 20, 6, 1, 1, 1, 1, 1, 1, true), geometry(1, 5, 21, 3, 16, 3, 3, 1, 1, 1, 1, true),
        geometry(1, 5, 41, 3, 8, 3, 3, 2, 2, 1, 1, true))) {
      Random r = new Random(7);
      float[] in = FastKernelChecks.values(g.inH() * g.inW() * g.inC(), r), out = new float[g.outH() * g.outW() * g.outC()];
      float[] filter = FastKernelChecks.values(g.outC() * g.kH() * g.kW() * g.inC(), r), bias = FastKernelChecks.values(g.outC(), r);
      for (boolean vector : VectorSupport.available() ? new boolean[] {false, true} : new boolean[] {false}) {
        Conv2dF32Fast.Kernel k = Conv2dF32Fast.prepare(g, filter, 0, bias, 0, 0f, 6f, vector, ONE);
        long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
        Assume.that(bytes >= 0);
        assertEquals(0, bytes, (vector ? "vector " : "scalar ") + Conv2dF32Fast.path(g) + ": bytes allocated by a run");
      }
    }
  }

  static Conv2dReference.Geometry geometry(int batch, int inH, int inW, int inC, int outC, int kH, int kW, int sH, int sW,
                                           int dH, int dW, boolean same) {
    int outH = Padding.outSize(same, inH, kH, sH, dH), outW = Padding.outSize(same, inW, kW, sW, dW);
    if (outH <= 0 || outW <= 0) return null;
    return new Conv2dReference.Geometry(batch, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, dH, dW,
        Padding.padBefore(same, inH, kH, sH, dH, outH), Padding.padBefore(same, inW, kW, sW, dW, outW));
  }

  /** Every variant within tolerance of the reference, bit-identical for 1 and 3 threads, the arena intact. */
  static void check(Conv2dReference.Geometry g, boolean withBias, float[] range, long seed) {
    Random r = new Random(seed);
    int inN = g.batch() * g.inH() * g.inW() * g.inC(), outN = g.batch() * g.outH() * g.outW() * g.outC();
    int fOff = r.nextInt(5), bOff = r.nextInt(5);
    float[] input = FastKernelChecks.values(inN, r);
    float[] filter = FastKernelChecks.values(fOff + g.outC() * g.kH() * g.kW() * g.inC(), r);
    float[] bias = withBias ? FastKernelChecks.values(bOff + g.outC(), r) : null;
    float[] want = new float[outN], magnitude = new float[outN];
    Conv2dReference.run(g, input, 0, filter, fOff, bias, bOff, want, 0, range[0], range[1]);
    Conv2dReference.run(g, FastKernelChecks.abs(input), 0, FastKernelChecks.abs(filter), fOff, FastKernelChecks.abs(bias), bOff,
        magnitude, 0, -Float.MAX_VALUE, Float.MAX_VALUE);
    Arena arena = new Arena(input, outN, r);
    List<Boolean> variants = new ArrayList<>(List.of(false));
    if (VectorSupport.available()) variants.add(true);
    for (boolean vector : variants) {
      float[] first = null;
      for (Parallel p : new Parallel[] {ONE, THREE}) {
        String what = (vector ? "vector" : "scalar") + " " + Conv2dF32Fast.path(g) + ", " + p.threads() + " threads, " + g;
        Conv2dF32Fast.Kernel k = Conv2dF32Fast.prepare(g, filter, fOff, bias, bOff, range[0], range[1], vector, p);
        for (int run = 0; run < 2; run++) { // a second run on the same kernel gives the same result
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
