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

/** RESHAPE, SQUEEZE, EXPAND_DIMS and SHAPE. */
class ReshapeTest {
  private static void assertRefused(String op, String fragment, OpTester t) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, t::run);
    assertTrue(e.getMessage().contains(op) && e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void reshapeInfersTheMinusOneDimensionFromTheShapeInput() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    OpTester t = OpTester.op("RESHAPE").input(TensorType.FLOAT32, new int[] {2, 3, 2}, x)
        .constant(TensorType.INT32, new int[] {2}, new int[] {-1, 4}).output(TensorType.FLOAT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {3, 4}, y.shape);
    assertArrayEquals(x, OpTester.floats(y));
  }

  @Test
  void reshapeFallsBackToNewShapeAndMovesAnyType() {
    long[] x = {1L << 40, -2, 3, 4, 5, 6};
    OpTester t = OpTester.op("RESHAPE").options(FlatTable.of("ReshapeOptions").set("new_shape", new int[] {3, -1}))
        .input(TensorType.INT64, new int[] {6}, x).output(TensorType.INT64);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {3, 2}, y.shape);
    for (int i = 0; i < 6; i++) assertEquals(x[i], y.i64[y.offset + i]);
    // a legacy [0] new_shape means a scalar
    OpTester s = OpTester.op("RESHAPE").options(FlatTable.of("ReshapeOptions").set("new_shape", new int[] {0}))
        .input(TensorType.INT8, new int[] {1, 1}, new byte[] {-5}).output(TensorType.INT8);
    RuntimeTensor z = s.run().getOutputTensor(0);
    assertArrayEquals(new int[0], z.shape);
    assertEquals(-5, z.i8[z.offset]);
  }

  @Test
  void reshapeRefusesWrongSizesTwoMinusOnesAndRuntimeShapes() {
    assertRefused("RESHAPE", "cannot reshape", OpTester.op("RESHAPE").input(TensorType.FLOAT32, new int[] {2, 3}, new float[6])
        .constant(TensorType.INT32, new int[] {2}, new int[] {4, 2}).output(TensorType.FLOAT32));
    assertRefused("RESHAPE", "more than one -1", OpTester.op("RESHAPE").input(TensorType.FLOAT32, new int[] {2, 3}, new float[6])
        .constant(TensorType.INT32, new int[] {2}, new int[] {-1, -1}).output(TensorType.FLOAT32));
    assertRefused("RESHAPE", "must be constant", OpTester.op("RESHAPE").input(TensorType.FLOAT32, new int[] {2, 3}, new float[6])
        .input(TensorType.INT32, new int[] {2}, new int[] {3, 2}).output(TensorType.FLOAT32));
  }

  @Test
  void squeezeListedOrAllSizeOneDimensions() {
    OpTester t = OpTester.op("SQUEEZE").options(FlatTable.of("SqueezeOptions").set("squeeze_dims", new int[] {-1, 0}))
        .input(TensorType.FLOAT32, new int[] {1, 2, 1, 3, 1}, new float[] {1, 2, 3, 4, 5, 6}).output(TensorType.FLOAT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2, 1, 3}, y.shape);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, OpTester.floats(y));
    OpTester all = OpTester.op("SQUEEZE").input(TensorType.INT16, new int[] {1, 2, 1}, new short[] {7, -7}).output(TensorType.INT16);
    RuntimeTensor z = all.run().getOutputTensor(0);
    assertArrayEquals(new int[] {2}, z.shape);
    assertArrayEquals(new int[] {7, -7}, OpTester.ints(z));
    assertRefused("SQUEEZE", "not 1", OpTester.op("SQUEEZE").options(FlatTable.of("SqueezeOptions").set("squeeze_dims", new int[] {1}))
        .input(TensorType.FLOAT32, new int[] {1, 2}, new float[2]).output(TensorType.FLOAT32));
  }

  @Test
  void expandDimsAtPositiveAndNegativeAxes() {
    int[][] expected = {{1, 2, 3}, {2, 1, 3}, {2, 3, 1}, {2, 3, 1}, {1, 2, 3}};
    int[] axes = {0, 1, 2, -1, -3};
    for (int i = 0; i < axes.length; i++) {
      OpTester t = OpTester.op("EXPAND_DIMS").input(TensorType.BOOL, new int[] {2, 3}, new byte[] {1, 0, 1, 1, 0, 0})
          .constant(TensorType.INT32, new int[] {1}, new int[] {axes[i]}).output(TensorType.BOOL);
      RuntimeTensor y = t.run().getOutputTensor(0);
      assertArrayEquals(expected[i], y.shape, "axis " + axes[i]);
      assertArrayEquals(new byte[] {1, 0, 1, 1, 0, 0}, OpTester.bytesOf(y));
    }
    assertRefused("EXPAND_DIMS", "out of range", OpTester.op("EXPAND_DIMS").input(TensorType.FLOAT32, new int[] {2}, new float[2])
        .constant(TensorType.INT64, new int[0], new long[] {2}).output(TensorType.FLOAT32));
  }

  @Test
  void shapeGivesInt32OrInt64AndIsFoldedAtPrepare() {
    OpTester t = OpTester.op("SHAPE").options(FlatTable.of("ShapeOptions").set("out_type", "INT64"))
        .input(TensorType.FLOAT32, new int[] {2, 5, 1}, new float[10]).output(TensorType.INT64);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertEquals(0, t.run().kernelCount());
    assertTrue(y.constant);
    assertArrayEquals(new int[] {3}, y.shape);
    assertArrayEquals(new int[] {2, 5, 1}, OpTester.ints(y));
    OpTester u = OpTester.op("SHAPE").input(TensorType.INT8, new int[] {4}, new byte[4]).output(TensorType.INT32);
    assertArrayEquals(new int[] {4}, OpTester.ints(u.run().getOutputTensor(0)));
    assertRefused("SHAPE", "out_type", OpTester.op("SHAPE").options(FlatTable.of("ShapeOptions").set("out_type", "INT64"))
        .input(TensorType.FLOAT32, new int[] {2}, new float[2]).output(TensorType.INT32));
  }
}
