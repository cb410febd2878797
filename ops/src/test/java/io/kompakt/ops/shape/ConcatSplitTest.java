package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** CONCATENATION, PACK, SPLIT and UNPACK. */
class ConcatSplitTest {
  @Test
  void concatenationAlongANegativeAxis() {
    // [2,2] and [2,1] along axis -1 -> [2,3]
    OpTester t = OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", -1))
        .input(TensorType.FLOAT32, new int[] {2, 2}, new float[] {1, 2, 3, 4})
        .input(TensorType.FLOAT32, new int[] {2, 1}, new float[] {9, 8}).output(TensorType.FLOAT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 3}, y.shape);
    assertArrayEquals(new float[] {1, 2, 9, 3, 4, 8}, OpTester.floats(y));
  }

  @Test
  void concatenationAlongAxisZeroOfInt64AndFusedRelu6OnFloat() {
    OpTester t = OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", 0))
        .input(TensorType.INT64, new int[] {1, 2}, new long[] {1, 2}).constant(TensorType.INT64, new int[] {2, 2}, new long[] {3, 4, 5, 6})
        .output(TensorType.INT64);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {3, 2}, y.shape);
    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6}, OpTester.ints(y));
    float[] z = OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", 0)
            .set("fused_activation_function", "RELU6"))
        .input(TensorType.FLOAT32, new int[] {2}, new float[] {-1, 3}).input(TensorType.FLOAT32, new int[] {1}, new float[] {9})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {0, 3, 6}, z);
  }

  @Test
  void concatenationRefusesMismatchedShapesAndRequantizing() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("CONCATENATION")
        .options(FlatTable.of("ConcatenationOptions").set("axis", 1))
        .input(TensorType.FLOAT32, new int[] {2, 2}, new float[4]).input(TensorType.FLOAT32, new int[] {3, 2}, new float[6])
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("CONCATENATION") && e.getMessage().contains("differs"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("CONCATENATION")
        .options(FlatTable.of("ConcatenationOptions").set("axis", 0))
        .input(TensorType.INT8, new int[] {2}, new byte[2], Quantization.perTensor(0.5f, 1))
        .input(TensorType.INT8, new int[] {2}, new byte[2], Quantization.perTensor(0.25f, 1))
        .output(TensorType.INT8, new int[0], Quantization.perTensor(0.5f, 1)).run());
    assertTrue(e.getMessage().contains("CONCATENATION") && e.getMessage().contains("requantizing"), e.getMessage());
  }

  @Test
  void packAlongAMiddleAxisAndUnpackBack() {
    // two [2,2] uint8 tensors packed along axis 1 -> [2,2,2]: out[i][k][j] = in_k[i][j]
    OpTester t = OpTester.op("PACK").options(FlatTable.of("PackOptions").set("values_count", 2).set("axis", 1))
        .input(TensorType.UINT8, new int[] {2, 2}, new byte[] {1, 2, 3, 4})
        .input(TensorType.UINT8, new int[] {2, 2}, new byte[] {5, 6, 7, (byte) 200}).output(TensorType.UINT8);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 2, 2}, y.shape);
    assertArrayEquals(new int[] {1, 2, 5, 6, 3, 4, 7, 200}, OpTester.ints(y));

    OpTester u = OpTester.op("UNPACK").options(FlatTable.of("UnpackOptions").set("num", 2).set("axis", -2))
        .input(TensorType.UINT8, new int[] {2, 2, 2}, new byte[] {1, 2, 5, 6, 3, 4, 7, (byte) 200})
        .output(TensorType.UINT8).output(TensorType.UINT8);
    u.run();
    assertArrayEquals(new int[] {2, 2}, u.outputTensor(0).shape);
    assertArrayEquals(new int[] {1, 2, 3, 4}, OpTester.ints(u.outputTensor(0)));
    assertArrayEquals(new int[] {5, 6, 7, 200}, OpTester.ints(u.outputTensor(1)));
  }

  @Test
  void packRefusesAWrongValuesCountAndUnpackAWrongOutputCount() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("PACK")
        .options(FlatTable.of("PackOptions").set("values_count", 3))
        .input(TensorType.FLOAT32, new int[] {2}, new float[2]).input(TensorType.FLOAT32, new int[] {2}, new float[2])
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("PACK") && e.getMessage().contains("values_count"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("UNPACK").options(FlatTable.of("UnpackOptions").set("num", 3))
        .input(TensorType.FLOAT32, new int[] {3, 2}, new float[6]).output(TensorType.FLOAT32).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("UNPACK") && e.getMessage().contains("outputs"), e.getMessage());
  }

  @Test
  void splitTakesTheAxisFromInputZero() {
    OpTester t = OpTester.op("SPLIT").options(FlatTable.of("SplitOptions").set("num_splits", 3))
        .constant(TensorType.INT32, new int[0], new int[] {-1})
        .input(TensorType.INT32, new int[] {2, 3}, new int[] {1, 2, 3, 4, 5, 6})
        .output(TensorType.INT32).output(TensorType.INT32).output(TensorType.INT32);
    t.run();
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(new int[] {2, 1}, t.outputTensor(i).shape);
      assertArrayEquals(new int[] {1 + i, 4 + i}, OpTester.ints(t.outputTensor(i)));
    }
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("SPLIT")
        .options(FlatTable.of("SplitOptions").set("num_splits", 2)).constant(TensorType.INT32, new int[0], new int[] {1})
        .input(TensorType.INT32, new int[] {2, 3}, new int[6]).output(TensorType.INT32).output(TensorType.INT32).run());
    assertTrue(e.getMessage().contains("SPLIT") && e.getMessage().contains("evenly"), e.getMessage());
  }

  /** SPLIT into n parts then CONCATENATION of the parts along the same axis gives back the input. */
  @Property(tries = 40)
  void splitThenConcatenateIsIdentity(@ForAll @IntRange(min = 1, max = 4) int rank, @ForAll @IntRange(min = 1, max = 3) int parts,
                                      @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) shape[i] = 1 + r.nextInt(3);
    int axis = r.nextInt(rank);
    shape[axis] *= parts;
    int n = 1;
    for (int d : shape) n *= d;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = r.nextInt(1000);
    OpTester s = OpTester.op("SPLIT").options(FlatTable.of("SplitOptions").set("num_splits", parts))
        .constant(TensorType.INT32, new int[0], new int[] {axis - (r.nextBoolean() ? rank : 0)})
        .input(TensorType.FLOAT32, shape, x);
    for (int i = 0; i < parts; i++) s.output(TensorType.FLOAT32);
    Interpreter split = s.run();
    OpTester c = OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", axis));
    int[] strides = Shapes.strides(shape);
    for (int i = 0; i < parts; i++) {
      RuntimeTensor p = split.getOutputTensor(i);
      // part i holds the input at the same index with axis index shifted by i * part size
      float[] v = OpTester.floats(p);
      int[] idx = new int[rank];
      for (int e = 0; e < v.length; e++) {
        int src = 0;
        for (int d = 0; d < rank; d++) src += (d == axis ? idx[d] + i * p.shape[axis] : idx[d]) * strides[d];
        assertEquals(x[src], v[e], "part " + i + " element " + e);
        for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < p.shape[d]) break; idx[d] = 0; }
      }
      c.input(TensorType.FLOAT32, p.shape, v);
    }
    RuntimeTensor y = c.output(TensorType.FLOAT32).run().getOutputTensor(0);
    assertArrayEquals(shape, y.shape);
    assertArrayEquals(x, OpTester.floats(y));
    assertEquals(n, y.size());
  }
}
