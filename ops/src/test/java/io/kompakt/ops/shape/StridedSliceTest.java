package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** STRIDED_SLICE and SLICE. */
class StridedSliceTest {
  private static final float[] X = new float[24]; // [2,3,4]: value = index

  static {
    for (int i = 0; i < X.length; i++) X[i] = i;
  }

  private static RuntimeTensor slice(int[] shape, float[] x, int[] begin, int[] end, int[] strides, FlatTable o) {
    OpTester t = OpTester.op("STRIDED_SLICE").options(o).input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {begin.length}, begin).constant(TensorType.INT32, new int[] {end.length}, end)
        .constant(TensorType.INT32, new int[] {strides.length}, strides).output(TensorType.FLOAT32);
    return t.run().getOutputTensor(0);
  }

  private static FlatTable masks(int begin, int end, int shrink) {
    return FlatTable.of("StridedSliceOptions").set("begin_mask", begin).set("end_mask", end).set("shrink_axis_mask", shrink);
  }

  private static void check(RuntimeTensor y, int[] shape, float... values) {
    assertArrayEquals(shape, y.shape);
    assertArrayEquals(values, OpTester.floats(y));
  }

  @Test
  void negativeIndicesAndNegativeStrides() {
    // x[1, -2:, ::-2] on [2,3,4]: batch 1, rows 1..2, columns 3 and 1
    check(slice(new int[] {2, 3, 4}, X, new int[] {1, -2, 0}, new int[] {2, 3, 0}, new int[] {1, 1, -2}, masks(4, 4, 0)),
        new int[] {1, 2, 2}, 19, 17, 23, 21);
    // reverse a vector: x[::-1]
    check(slice(new int[] {5}, new float[] {1, 2, 3, 4, 5}, new int[] {-1}, new int[] {-6}, new int[] {-1}, masks(0, 0, 0)),
        new int[] {5}, 5, 4, 3, 2, 1);
  }

  @Test
  void beginEndAndShrinkMasks() {
    // x[:, 1, 2:] : begin_mask on 0, shrink on 1, end_mask on 2
    check(slice(new int[] {2, 3, 4}, X, new int[] {7, 1, 2}, new int[] {-7, 9, 0}, new int[] {1, 1, 1}, masks(1, 5, 2)),
        new int[] {2, 2}, 6, 7, 18, 19);
    // x[-1] shrinks the first dimension with a negative index (end ignored)
    check(slice(new int[] {2, 3, 4}, X, new int[] {-1}, new int[] {0}, new int[] {1}, masks(0, 0, 1)),
        new int[] {3, 4}, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
    // a shrunk axis takes begin even with a negative stride: x[:, -1, ::-1]
    check(slice(new int[] {2, 3, 4}, X, new int[] {0, -1, 0}, new int[] {0, 0, 0}, new int[] {1, -1, -1}, masks(5, 5, 2)),
        new int[] {2, 4}, 11, 10, 9, 8, 23, 22, 21, 20);
    // out-of-range bounds clamp: x[0, 1:100, -100:2]
    check(slice(new int[] {2, 3, 4}, X, new int[] {0, 1, -100}, new int[] {1, 100, 2}, new int[] {1, 1, 1}, masks(0, 0, 0)),
        new int[] {1, 2, 2}, 4, 5, 8, 9);
  }

  @Test
  void ellipsisAndNewAxis() {
    // x[..., 1] on [2,3,4] -> [2,3]
    check(slice(new int[] {2, 3, 4}, X, new int[] {0, 1}, new int[] {0, 2}, new int[] {1, 1},
        FlatTable.of("StridedSliceOptions").set("ellipsis_mask", 1).set("shrink_axis_mask", 2)),
        new int[] {2, 3}, 1, 5, 9, 13, 17, 21);
    // x[1, tf.newaxis, 0:2] on [2,3,4] -> [1,2,4]
    RuntimeTensor y = slice(new int[] {2, 3, 4}, X, new int[] {1, 0, 0}, new int[] {2, 0, 2}, new int[] {1, 1, 1},
        FlatTable.of("StridedSliceOptions").set("new_axis_mask", 2).set("shrink_axis_mask", 1));
    check(y, new int[] {1, 2, 4}, 12, 13, 14, 15, 16, 17, 18, 19);
  }

  @Test
  void offsetMakesEndRelativeToBegin() {
    check(slice(new int[] {2, 3, 4}, X, new int[] {1, 1, 1}, new int[] {1, 2, 2}, new int[] {1, 1, 1},
        FlatTable.of("StridedSliceOptions").set("offset", true)), new int[] {1, 2, 2}, 17, 18, 21, 22);
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> slice(new int[] {2, 3, 4}, X,
        new int[] {1, 2, 1}, new int[] {1, 2, 2}, new int[] {1, 1, 1}, FlatTable.of("StridedSliceOptions").set("offset", true)));
    assertTrue(e.getMessage().contains("STRIDED_SLICE") && e.getMessage().contains("offset"), e.getMessage());
  }

  @Test
  void movesInt8AndInt64AndIsFoldedForConstantInput() {
    OpTester t = OpTester.op("STRIDED_SLICE").options(masks(0, 0, 0))
        .constant(TensorType.INT64, new int[] {4}, new long[] {10, 20, 30, 40})
        .constant(TensorType.INT32, new int[] {1}, new int[] {3}).constant(TensorType.INT32, new int[] {1}, new int[] {0})
        .constant(TensorType.INT32, new int[] {1}, new int[] {-2}).output(TensorType.INT64);
    assertTrue(t.run().kernelCount() == 0);
    assertArrayEquals(new int[] {40, 20}, OpTester.ints(t.outputTensor(0)));
    OpTester b = OpTester.op("STRIDED_SLICE").options(masks(0, 0, 0))
        .input(TensorType.INT8, new int[] {4}, new byte[] {1, -2, 3, -4})
        .constant(TensorType.INT32, new int[] {1}, new int[] {1}).constant(TensorType.INT32, new int[] {1}, new int[] {4})
        .constant(TensorType.INT32, new int[] {1}, new int[] {2}).output(TensorType.INT8);
    b.run();
    assertArrayEquals(new byte[] {-2, -4}, OpTester.bytesOf(b.outputTensor(0)));
  }

  @Test
  void refusesRuntimeIndicesZeroStridesAndOutOfRangeShrinks() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("STRIDED_SLICE").options(masks(0, 0, 0))
        .input(TensorType.FLOAT32, new int[] {4}, new float[4]).input(TensorType.INT32, new int[] {1}, new int[] {0})
        .constant(TensorType.INT32, new int[] {1}, new int[] {2}).constant(TensorType.INT32, new int[] {1}, new int[] {1})
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("STRIDED_SLICE") && e.getMessage().contains("must be constant"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> slice(new int[] {4}, new float[4], new int[] {0}, new int[] {2}, new int[] {0},
        masks(0, 0, 0)));
    assertTrue(e.getMessage().contains("stride 0 is 0"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> slice(new int[] {4}, new float[4], new int[] {4}, new int[] {5}, new int[] {1},
        masks(0, 0, 1)));
    assertTrue(e.getMessage().contains("shrink index"), e.getMessage());
  }

  /** Python's slice semantics for one dimension: the indices taken, or a single index when shrinking. */
  private static List<Integer> pythonIndices(int dim, int b, int e, int s, boolean beginMasked, boolean endMasked, boolean shrink) {
    List<Integer> r = new ArrayList<>();
    if (shrink) {
      r.add(b < 0 ? b + dim : b);
      return r;
    }
    int start, stop;
    if (s > 0) {
      start = beginMasked ? 0 : b < 0 ? Math.max(0, b + dim) : Math.min(b, dim);
      stop = endMasked ? dim : e < 0 ? Math.max(0, e + dim) : Math.min(e, dim);
      for (int i = start; i < stop; i += s) r.add(i);
    } else {
      start = beginMasked ? dim - 1 : b < 0 ? Math.max(-1, b + dim) : Math.min(b, dim - 1);
      stop = endMasked ? -1 : e < 0 ? Math.max(-1, e + dim) : Math.min(e, dim - 1);
      for (int i = start; i > stop; i += s) r.add(i);
    }
    return r;
  }

  /** Random begin/end/strides (negative too) and begin/end/shrink masks against an explicit index loop. */
  @Property(tries = 150)
  void equalsAnExplicitIndexLoop(@ForAll long seed) {
    Random r = new Random(seed);
    int rank = 1 + r.nextInt(3);
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) shape[i] = 1 + r.nextInt(5);
    int n = 1;
    for (int d : shape) n *= d;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    int specs = 1 + r.nextInt(rank); // fewer specs than dimensions: the rest are whole
    int[] b = new int[specs], e = new int[specs], s = new int[specs];
    int bm = 0, em = 0, sm = 0;
    List<List<Integer>> taken = new ArrayList<>();
    List<Integer> outShape = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      if (i >= specs) {
        List<Integer> all = new ArrayList<>();
        for (int k = 0; k < shape[i]; k++) all.add(k);
        taken.add(all);
        outShape.add(shape[i]);
        continue;
      }
      int dim = shape[i];
      b[i] = r.nextInt(2 * dim + 5) - dim - 2;
      e[i] = r.nextInt(2 * dim + 5) - dim - 2;
      s[i] = (1 + r.nextInt(3)) * (r.nextBoolean() ? 1 : -1);
      if (r.nextInt(4) == 0) bm |= 1 << i;
      if (r.nextInt(4) == 0) em |= 1 << i;
      boolean shrink = r.nextInt(4) == 0;
      if (shrink) {
        b[i] = r.nextInt(2 * dim) - dim; // a valid index, possibly negative
        bm &= ~(1 << i);
        sm |= 1 << i;
      }
      List<Integer> idx = pythonIndices(dim, b[i], e[i], s[i], (bm & (1 << i)) != 0, (em & (1 << i)) != 0, shrink);
      taken.add(idx);
      if (!shrink) outShape.add(idx.size());
    }
    List<Float> expected = new ArrayList<>();
    collect(taken, 0, 0, Shapes.strides(shape), x, expected);
    RuntimeTensor y = slice(shape, x, b, e, s, masks(bm, em, sm));
    assertArrayEquals(outShape.stream().mapToInt(Integer::intValue).toArray(), y.shape);
    float[] want = new float[expected.size()];
    for (int i = 0; i < want.length; i++) want[i] = expected.get(i);
    assertArrayEquals(want, OpTester.floats(y));
  }

  private static void collect(List<List<Integer>> taken, int d, int base, int[] strides, float[] x, List<Float> out) {
    if (d == taken.size()) {
      out.add(x[base]);
      return;
    }
    for (int i : taken.get(d)) collect(taken, d + 1, base + i * strides[d], strides, x, out);
  }

  @Test
  void sliceWithMinusOneSize() {
    OpTester t = OpTester.op("SLICE").input(TensorType.FLOAT32, new int[] {2, 3, 4}, X)
        .constant(TensorType.INT32, new int[] {3}, new int[] {1, 0, 2}).constant(TensorType.INT64, new int[] {3}, new long[] {1, -1, 2})
        .output(TensorType.FLOAT32);
    check(t.run().getOutputTensor(0), new int[] {1, 3, 2}, 14, 15, 18, 19, 22, 23);
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("SLICE")
        .input(TensorType.FLOAT32, new int[] {4}, new float[4]).constant(TensorType.INT32, new int[] {1}, new int[] {3})
        .constant(TensorType.INT32, new int[] {1}, new int[] {2}).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("SLICE") && e.getMessage().contains("does not fit"), e.getMessage());
  }
}
