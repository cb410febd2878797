package io.kompakt.ops.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.ops.common.FastKernelChecks.Arena;
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

/** The fast float32 FULLY_CONNECTED kernels (scalar and vector, 1 and 3 threads) against {@link FullyConnectedReference}. */
class FullyConnectedF32FastTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  @Provide
  Arbitrary<Integer> sizes() {
    return Arbitraries.oneOf(Arbitraries.of(1, 3, 5, 7, 16, 17, 33, 63, 64, 65, 127, 129, 200, 257), Arbitraries.integers().between(1, 300));
  }

  @Provide
  Arbitrary<float[]> activation() {
    return Arbitraries.of(new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, new float[] {0f, Float.MAX_VALUE}, new float[] {0f, 6f},
        new float[] {-1f, 1f});
  }

  @Property(tries = 500)
  void anyShapeMatchesTheReference(@ForAll @IntRange(min = 1, max = 4) int batch, @ForAll("sizes") int depth,
                                   @ForAll("sizes") int units, @ForAll boolean withBias, @ForAll("activation") float[] range,
                                   @ForAll long seed) {
    check(batch, depth, units, withBias, range, seed);
  }

  /** Classifier heads: MobileNet's 1024 -> 1001, and a batch. */
  @Example
  void classifierHeadsMatchTheReference() {
    check(1, 1024, 1001, true, new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, 1);
    check(3, 1280, 130, true, new float[] {0f, 6f}, 2);
  }

  @Example
  void vectorKernelsNeedTheVectorApi() {
    if (VectorSupport.available()) {
      FullyConnectedF32Fast.prepare(1, 2, 2, new float[4], 0, null, 0, 0f, 6f, true, null);
    } else {
      assertThrows(UnsupportedOperationException.class, () -> FullyConnectedF32Fast.prepare(1, 2, 2, new float[4], 0, null, 0, 0f, 6f, true, null));
    }
  }

  /** After warm-up, a run allocates nothing (scalar and vector, a partial last block). */
  @Example
  void aRunAllocatesNothing() {
    Random r = new Random(7);
    int batch = 2, depth = 300, units = 101;
    float[] in = FastKernelChecks.values(batch * depth, r), out = new float[batch * units];
    float[] weights = FastKernelChecks.values(units * depth, r), bias = FastKernelChecks.values(units, r);
    for (boolean vector : VectorSupport.available() ? new boolean[] {false, true} : new boolean[] {false}) {
      FullyConnectedF32Fast.Kernel k = FullyConnectedF32Fast.prepare(batch, depth, units, weights, 0, bias, 0, 0f, 6f, vector, ONE);
      long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
      Assume.that(bytes >= 0);
      assertEquals(0, bytes, (vector ? "vector" : "scalar") + ": bytes allocated by a run");
    }
  }

  /** Every variant within tolerance of the reference, bit-identical for 1 and 3 threads, the arena intact. */
  static void check(int batch, int depth, int units, boolean withBias, float[] range, long seed) {
    Random r = new Random(seed);
    int wOff = r.nextInt(5), bOff = r.nextInt(5);
    float[] input = FastKernelChecks.values(batch * depth, r);
    float[] weights = FastKernelChecks.values(wOff + units * depth, r);
    float[] bias = withBias ? FastKernelChecks.values(bOff + units, r) : null;
    float[] want = new float[batch * units], magnitude = new float[batch * units];
    FullyConnectedReference.run(batch, depth, units, input, 0, weights, wOff, bias, bOff, want, 0, range[0], range[1]);
    FullyConnectedReference.run(batch, depth, units, FastKernelChecks.abs(input), 0, FastKernelChecks.abs(weights), wOff,
        FastKernelChecks.abs(bias), bOff, magnitude, 0, -Float.MAX_VALUE, Float.MAX_VALUE);
    Arena arena = new Arena(input, batch * units, r);
    List<Boolean> variants = new ArrayList<>(List.of(false));
    if (VectorSupport.available()) variants.add(true);
    for (boolean vector : variants) {
      float[] first = null;
      for (Parallel p : new Parallel[] {ONE, THREE}) {
        String what = (vector ? "vector" : "scalar") + ", " + p.threads() + " threads, batch " + batch + " depth " + depth + " units " + units;
        FullyConnectedF32Fast.Kernel k = FullyConnectedF32Fast.prepare(batch, depth, units, weights, wOff, bias, bOff, range[0], range[1], vector, p);
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
