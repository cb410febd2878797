package io.kompakt.ops.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import org.junit.jupiter.api.Test;

/** GATHER and ARG_MAX. */
class GatherArgMaxTest {
  private static final float[] M = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32}; // [4,3]

  @Test
  void gatherRowsWithInt32IndicesOfRankTwo() {
    OpTester t = OpTester.op("GATHER").options(FlatTable.of("GatherOptions").set("axis", 0))
        .input(TensorType.FLOAT32, new int[] {4, 3}, M).input(TensorType.INT32, new int[] {2, 2}, new int[] {3, 0, 1, 1})
        .output(TensorType.FLOAT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 2, 3}, y.shape);
    assertArrayEquals(new float[] {30, 31, 32, 0, 1, 2, 10, 11, 12, 10, 11, 12}, OpTester.floats(y));
  }

  @Test
  void gatherColumnsAlongANegativeAxisWithInt64IndicesOfInt8() {
    byte[] x = {0, 1, 2, 10, 11, 12};
    OpTester t = OpTester.op("GATHER").options(FlatTable.of("GatherOptions").set("axis", -1))
        .input(TensorType.INT8, new int[] {2, 3}, x).constant(TensorType.INT64, new int[] {2}, new long[] {2, 0})
        .output(TensorType.INT8);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 2}, y.shape);
    assertArrayEquals(new byte[] {2, 0, 12, 10}, OpTester.bytesOf(y));
  }

  @Test
  void gatherWithBatchDims() {
    // params [2,3], indices [2,2], batch_dims 1, axis 1: out[b][i] = params[b][indices[b][i]]
    OpTester t = OpTester.op("GATHER").options(FlatTable.of("GatherOptions").set("axis", 1).set("batch_dims", 1))
        .input(TensorType.INT32, new int[] {2, 3}, new int[] {0, 1, 2, 10, 11, 12})
        .input(TensorType.INT32, new int[] {2, 2}, new int[] {2, 2, 0, 1}).output(TensorType.INT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 2}, y.shape);
    assertArrayEquals(new int[] {2, 2, 10, 11}, OpTester.ints(y));
  }

  @Test
  void gatherRefusesOutOfRangeIndicesAtRunTimeNamingOpAndIndex() {
    for (int bad : new int[] {4, -1}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpTester.op("GATHER")
          .options(FlatTable.of("GatherOptions")).input(TensorType.FLOAT32, new int[] {4, 3}, M)
          .input(TensorType.INT32, new int[] {2}, new int[] {1, bad}).output(TensorType.FLOAT32).run());
      assertTrue(e.getMessage().contains("GATHER") && e.getMessage().contains("index " + bad), e.getMessage());
    }
  }

  @Test
  void gatherRefusesFloatIndicesAndBadAxes() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("GATHER")
        .options(FlatTable.of("GatherOptions").set("axis", 2)).input(TensorType.FLOAT32, new int[] {4, 3}, M)
        .input(TensorType.INT32, new int[] {1}, new int[] {0}).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("GATHER") && e.getMessage().contains("axis"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("GATHER").options(FlatTable.of("GatherOptions"))
        .input(TensorType.FLOAT32, new int[] {4, 3}, M).input(TensorType.FLOAT32, new int[] {1}, new float[1])
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("GATHER"), e.getMessage());
  }

  private static RuntimeTensor argMax(TensorType type, int[] shape, Object x, int axis, TensorType out) {
    OpTester t = OpTester.op("ARG_MAX").options(FlatTable.of("ArgMaxOptions").set("output_type", out.name()))
        .input(type, shape, x).constant(TensorType.INT32, new int[] {1}, new int[] {axis}).output(out);
    return t.run().getOutputTensor(0);
  }

  @Test
  void argMaxTakesTheFirstMaximumOnTies() {
    float[] x = {1, 5, 5, 2, 7, 5, 7, 0}; // [2,4]: ties in both rows and in column 1
    RuntimeTensor y = argMax(TensorType.FLOAT32, new int[] {2, 4}, x, 1, TensorType.INT32);
    assertArrayEquals(new int[] {2}, y.shape);
    assertArrayEquals(new int[] {1, 0}, OpTester.ints(y));
    RuntimeTensor z = argMax(TensorType.FLOAT32, new int[] {2, 4}, x, -2, TensorType.INT64);
    assertEquals(TensorType.INT64, z.type);
    assertArrayEquals(new int[] {4}, z.shape);
    assertArrayEquals(new int[] {1, 0, 1, 0}, OpTester.ints(z));
  }

  @Test
  void argMaxReadsUint8AsUnsigned() {
    RuntimeTensor y = argMax(TensorType.UINT8, new int[] {4}, new byte[] {1, (byte) 200, 100, (byte) 200}, 0, TensorType.INT32);
    assertArrayEquals(new int[0], y.shape);
    assertArrayEquals(new int[] {1}, OpTester.ints(y));
    RuntimeTensor z = argMax(TensorType.INT8, new int[] {4}, new byte[] {1, (byte) 200, 100, -1}, 0, TensorType.INT32);
    assertArrayEquals(new int[] {2}, OpTester.ints(z));
  }

  @Test
  void argMaxRefusesAnOutputTypeThatDisagreesWithTheOptions() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("ARG_MAX")
        .options(FlatTable.of("ArgMaxOptions").set("output_type", "INT64")).input(TensorType.FLOAT32, new int[] {2}, new float[2])
        .constant(TensorType.INT32, new int[] {1}, new int[] {0}).output(TensorType.INT32).run());
    assertTrue(e.getMessage().contains("ARG_MAX") && e.getMessage().contains("output_type"), e.getMessage());
  }
}
