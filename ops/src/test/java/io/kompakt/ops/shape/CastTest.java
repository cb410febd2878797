package io.kompakt.ops.shape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import org.junit.jupiter.api.Test;

class CastTest {
  private static RuntimeTensor cast(TensorType from, Object x, int n, TensorType to) {
    return OpTester.op("CAST").input(from, new int[] {n}, x).output(to).run().getOutputTensor(0);
  }

  @Test
  void floatToIntegersTruncatesTowardZeroAndSaturates() {
    float[] x = {-1.7f, -0.5f, 0.9f, 2.5f, 300.2f, -1e10f, Float.NaN};
    assertArrayEquals(new int[] {-1, 0, 0, 2, 300, Integer.MIN_VALUE, Integer.MAX_VALUE}, OpTester.ints(cast(TensorType.FLOAT32, x, 7, TensorType.INT32)));
    assertArrayEquals(new int[] {0, 0, 0, 2, 255, 0, 255}, OpTester.ints(cast(TensorType.FLOAT32, x, 7, TensorType.UINT8)));
    assertArrayEquals(new int[] {-1, 0, 0, 2, 127, -128, 127}, OpTester.ints(cast(TensorType.FLOAT32, x, 7, TensorType.INT8)));
    RuntimeTensor l = cast(TensorType.FLOAT32, new float[] {-3.9f, 0x1p40f}, 2, TensorType.INT64);
    assertArrayEquals(new long[] {-3, 1L << 40}, new long[] {l.i64[l.offset], l.i64[l.offset + 1]});
  }

  @Test
  void toBoolIsNonZeroAndFromBoolIsZeroOrOne() {
    assertArrayEquals(new byte[] {0, 1, 1, 1}, OpTester.bytesOf(cast(TensorType.FLOAT32, new float[] {0, 0.25f, -3, Float.NaN}, 4, TensorType.BOOL)));
    assertArrayEquals(new byte[] {0, 1, 1}, OpTester.bytesOf(cast(TensorType.INT64, new long[] {0, 256, -1}, 3, TensorType.BOOL)));
    assertArrayEquals(new float[] {1, 0, 1}, OpTester.floats(cast(TensorType.BOOL, new byte[] {1, 0, 1}, 3, TensorType.FLOAT32)));
    assertArrayEquals(new int[] {1, 0}, OpTester.ints(cast(TensorType.BOOL, new byte[] {1, 0}, 2, TensorType.INT32)));
  }

  @Test
  void integersWrapToNarrowerTypesAndConvertToFloat() {
    assertArrayEquals(new int[] {44, 255, 1}, OpTester.ints(cast(TensorType.INT32, new int[] {300, -1, 257}, 3, TensorType.UINT8)));
    assertArrayEquals(new int[] {44, -1, 1}, OpTester.ints(cast(TensorType.INT32, new int[] {300, -1, 257}, 3, TensorType.INT8)));
    assertArrayEquals(new float[] {200, -1, 16777216}, OpTester.floats(cast(TensorType.INT64, new long[] {200, -1, 16777217}, 3, TensorType.FLOAT32)));
    assertArrayEquals(new float[] {200, 100}, OpTester.floats(cast(TensorType.UINT8, new byte[] {(byte) 200, 100}, 2, TensorType.FLOAT32)));
    assertArrayEquals(new int[] {-32768, 1}, OpTester.ints(cast(TensorType.INT32, new int[] {32768, 65537}, 2, TensorType.INT16)));
  }

  @Test
  void refusesTypesWithoutStorage() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("CAST")
        .input(TensorType.FLOAT32, new int[] {1}, new float[1]).output(TensorType.FLOAT16).run());
    assertTrue(e.getMessage().contains("CAST"), e.getMessage());
  }
}
