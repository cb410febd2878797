package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TransposeTest {
  private static RuntimeTensor transpose(int[] shape, float[] x, int[] perm) {
    return OpTester.op("TRANSPOSE").input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {perm.length}, perm).output(TensorType.FLOAT32).run().getOutputTensor(0);
  }

  @Test
  void transposesAMatrixAndA3dTensor() {
    RuntimeTensor y = transpose(new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, new int[] {1, 0});
    assertArrayEquals(new int[] {3, 2}, y.shape);
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, OpTester.floats(y));
    // [2,1,3] with perm [2,0,1] -> [3,2,1]: out[k][i][0] = in[i][0][k]
    RuntimeTensor z = transpose(new int[] {2, 1, 3}, new float[] {1, 2, 3, 4, 5, 6}, new int[] {2, 0, 1});
    assertArrayEquals(new int[] {3, 2, 1}, z.shape);
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, OpTester.floats(z));
  }

  @Test
  void movesInt16() {
    OpTester t = OpTester.op("TRANSPOSE").input(TensorType.INT16, new int[] {2, 2}, new short[] {1, 2, 3, -4})
        .constant(TensorType.INT64, new int[] {2}, new long[] {1, 0}).output(TensorType.INT16);
    t.run();
    assertArrayEquals(new int[] {1, 3, 2, -4}, OpTester.ints(t.outputTensor(0)));
  }

  @Test
  void refusesWhatIsNotAPermutation() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> transpose(new int[] {2, 2}, new float[4], new int[] {0, 0}));
    assertTrue(e.getMessage().contains("TRANSPOSE") && e.getMessage().contains("permutation"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> transpose(new int[] {2, 2}, new float[4], new int[] {0, 1, 2}));
    assertTrue(e.getMessage().contains("TRANSPOSE"), e.getMessage());
  }

  private static int[] randomPerm(Random r, int rank) {
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) p[i] = i;
    for (int i = rank - 1; i > 0; i--) {
      int j = r.nextInt(i + 1), t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Transposing with perm, then with its inverse, is the identity; the first result matches the index definition. */
  @Property(tries = 60)
  void transposeThenInverseIsIdentity(@ForAll @IntRange(min = 1, max = 5) int rank, @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) shape[i] = 1 + r.nextInt(3);
    int n = Shapes.size(shape);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    int[] perm = randomPerm(r, rank), inverse = new int[rank];
    for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
    RuntimeTensor y = transpose(shape, x, perm);
    float[] v = OpTester.floats(y);
    int[] inStrides = Shapes.strides(shape), idx = new int[rank];
    for (int e = 0; e < n; e++) {
      int src = 0;
      for (int d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
      assertEquals(x[src], v[e], "element " + e);
      for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < y.shape[d]) break; idx[d] = 0; }
    }
    RuntimeTensor back = transpose(y.shape, v, inverse);
    assertArrayEquals(shape, back.shape);
    assertArrayEquals(x, OpTester.floats(back));
  }
}
