package io.kompakt.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ReduceTest {
  static final int[] SHAPE = {2, 3, 4};

  static float[] iota(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    return x;
  }

  static OpTester reduce(String op, int[] shape, float[] x, int[] axes, boolean keepDims) {
    return OpTester.op(op).options(FlatTable.of("ReducerOptions").set("keep_dims", keepDims))
        .input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {axes.length}, axes)
        .output(TensorType.FLOAT32);
  }

  // input [2, 3, 4] = 12b + 4j + k

  @Test
  void meanOverTheMiddleAxis() {
    OpTester t = reduce("MEAN", SHAPE, iota(24), new int[] {1}, false);
    assertArrayEquals(new float[] {4, 5, 6, 7, 16, 17, 18, 19}, t.runFloat());
    assertArrayEquals(new int[] {2, 4}, t.outputTensor(0).shape);
  }

  @Test
  void sumOverANegativeAxisKeepingDims() {
    OpTester t = reduce("SUM", SHAPE, iota(24), new int[] {-1}, true);
    assertArrayEquals(new float[] {6, 22, 38, 54, 70, 86}, t.runFloat());
    assertArrayEquals(new int[] {2, 3, 1}, t.outputTensor(0).shape);
  }

  @Test
  void repeatedAxesCountOnce() {
    // axes 0, 2 and -3 (= 0 again): sum over b and k = 60 + 32j; mean divides by 8, not 12
    OpTester sum = reduce("SUM", SHAPE, iota(24), new int[] {0, 2, -3}, false);
    assertArrayEquals(new float[] {60, 92, 124}, sum.runFloat());
    assertArrayEquals(new int[] {3}, sum.outputTensor(0).shape);
    OpTester mean = reduce("MEAN", SHAPE, iota(24), new int[] {2, 0, -3, -1}, true);
    assertArrayEquals(new float[] {7.5f, 11.5f, 15.5f}, mean.runFloat());
    assertArrayEquals(new int[] {1, 3, 1}, mean.outputTensor(0).shape);
  }

  @Test
  void everyAxisGivesAScalarOrOnes() {
    OpTester scalar = reduce("MEAN", SHAPE, iota(24), new int[] {0, 1, 2}, false);
    assertArrayEquals(new float[] {11.5f}, scalar.runFloat());
    assertArrayEquals(new int[0], scalar.outputTensor(0).shape);
    OpTester ones = reduce("SUM", SHAPE, iota(24), new int[] {2, 1, 0}, true);
    assertArrayEquals(new float[] {276}, ones.runFloat());
    assertArrayEquals(new int[] {1, 1, 1}, ones.outputTensor(0).shape);
  }

  @Test
  void noAxesIsACopy() {
    OpTester t = reduce("MEAN", SHAPE, iota(24), new int[0], false);
    assertArrayEquals(iota(24), t.runFloat());
    assertArrayEquals(SHAPE, t.outputTensor(0).shape);
  }

  @Test
  void spatialMeanOfAnImageKeepingDims() {
    // the classifier head: [1, 3, 3, 2] mean over H and W
    float[] x = new float[18];
    for (int i = 0; i < 9; i++) {
      x[2 * i] = i;
      x[2 * i + 1] = -2 * i;
    }
    OpTester t = reduce("MEAN", new int[] {1, 3, 3, 2}, x, new int[] {1, 2}, true);
    assertArrayEquals(new float[] {4, -8}, t.runFloat());
    assertArrayEquals(new int[] {1, 1, 1, 2}, t.outputTensor(0).shape);
  }

  // ---- properties

  /**
   * The definitions, on random shapes of rank 1 to 4 and random (possibly repeated, possibly negative) axes: each output
   * element is the sum of the input elements whose coordinates agree with it on the kept axes; MEAN is SUM / count.
   */
  @Property(tries = 150)
  void sumIsTheSumOverMatchingCoordinatesAndMeanIsSumOverCount(@ForAll @IntRange(min = 1, max = 4) int rank,
                                                               @ForAll @IntRange(min = 0, max = 5) int axisCount,
                                                               @ForAll boolean keepDims, @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = new int[rank];
    for (int d = 0; d < rank; d++) shape[d] = 1 + r.nextInt(5);
    int[] axes = new int[axisCount];
    boolean[] reduced = new boolean[rank];
    for (int i = 0; i < axisCount; i++) {
      int a = r.nextInt(rank);
      reduced[a] = true;
      axes[i] = r.nextBoolean() ? a : a - rank;
    }
    int n = 1;
    for (int d : shape) n *= d;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
    OpTester sumT = reduce("SUM", shape, x, axes, keepDims), meanT = reduce("MEAN", shape, x, axes, keepDims);
    float[] sum = sumT.runFloat(), mean = meanT.runFloat();

    List<Integer> want = new ArrayList<>();
    int count = 1;
    for (int d = 0; d < rank; d++) {
      if (!reduced[d]) want.add(shape[d]);
      else if (keepDims) want.add(1);
      if (reduced[d]) count *= shape[d];
    }
    int[] wantShape = want.stream().mapToInt(Integer::intValue).toArray();
    assertArrayEquals(wantShape, sumT.outputTensor(0).shape);
    assertArrayEquals(wantShape, meanT.outputTensor(0).shape);
    assertEquals(n / count, sum.length);

    // output element o collects every input element whose kept coordinates, in order, spell o's index
    double[] naive = new double[sum.length];
    int[] coord = new int[rank];
    for (int i = 0; i < n; i++) {
      int rest = i;
      for (int d = rank - 1; d >= 0; d--) {
        coord[d] = rest % shape[d];
        rest /= shape[d];
      }
      int o = 0;
      for (int d = 0; d < rank; d++) if (!reduced[d]) o = o * shape[d] + coord[d];
      naive[o] += x[i];
    }
    for (int o = 0; o < naive.length; o++) {
      assertEquals(naive[o], sum[o], 1e-4, "sum at " + o);
      assertEquals(naive[o] / count, mean[o], 1e-5, "mean at " + o);
      assertEquals(sum[o] / count, mean[o], 1e-6, "mean = sum / count at " + o);
    }
  }

  // ---- errors

  static void assertRefused(String op, OpTester t, String what) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, t::run);
    assertTrue(e.getMessage().contains(op) && e.getMessage().contains("operator #0") && e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void axesOutOfRangeAreRefused() {
    assertRefused("MEAN", reduce("MEAN", SHAPE, iota(24), new int[] {3}, false), "out of range");
    assertRefused("SUM", reduce("SUM", SHAPE, iota(24), new int[] {1, -4}, true), "out of range");
  }

  @Test
  void runtimeAxesAndNonInt32AxesAreRefused() {
    assertRefused("SUM", OpTester.op("SUM").options(FlatTable.of("ReducerOptions"))
        .input(TensorType.FLOAT32, SHAPE, iota(24))
        .input(TensorType.INT32, new int[] {1}, new int[] {1})
        .output(TensorType.FLOAT32), "constant");
    assertRefused("MEAN", OpTester.op("MEAN").options(FlatTable.of("ReducerOptions"))
        .input(TensorType.FLOAT32, SHAPE, iota(24))
        .constant(TensorType.INT64, new int[] {1}, new long[] {1})
        .output(TensorType.FLOAT32), "int64");
  }

  @Test
  void int32InputIsNotSupportedYetAndInt8NeedsQuantization() {
    assertRefused("MEAN", OpTester.op("MEAN").options(FlatTable.of("ReducerOptions"))
        .input(TensorType.INT32, new int[] {2, 2}, new int[4])
        .constant(TensorType.INT32, new int[] {1}, new int[] {1})
        .output(TensorType.INT32), "input type int32 is not supported yet");
    assertRefused("MEAN", OpTester.op("MEAN").options(FlatTable.of("ReducerOptions"))
        .input(TensorType.INT8, new int[] {2, 2}, new byte[4])
        .constant(TensorType.INT32, new int[] {1}, new int[] {1})
        .output(TensorType.INT8), "scale and zero point");
  }
}
