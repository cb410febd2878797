package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** PAD and PADV2. */
class PadTest {
  @Test
  void padsFloatWithZeros() {
    OpTester t = OpTester.op("PAD").input(TensorType.FLOAT32, new int[] {2, 2}, new float[] {1, 2, 3, 4})
        .constant(TensorType.INT32, new int[] {2, 2}, new int[] {1, 0, 0, 2}).output(TensorType.FLOAT32);
    RuntimeTensor y = t.run().getOutputTensor(0);
    assertArrayEquals(new int[] {3, 4}, y.shape);
    assertArrayEquals(new float[] {0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0}, OpTester.floats(y));
  }

  @Test
  void padV2UsesTheConstantValueAndQuantizedPadUsesTheZeroPoint() {
    OpTester t = OpTester.op("PADV2").input(TensorType.INT64, new int[] {2}, new long[] {7, 8})
        .constant(TensorType.INT64, new int[] {1, 2}, new long[] {2, 1}).constant(TensorType.INT64, new int[0], new long[] {-9})
        .output(TensorType.INT64);
    assertArrayEquals(new int[] {-9, -9, 7, 8, -9}, OpTester.ints(t.run().getOutputTensor(0)));
    Quantization q = Quantization.perTensor(0.5f, -3);
    OpTester p = OpTester.op("PAD").input(TensorType.INT8, new int[] {1, 1, 1, 1}, new byte[] {5}, q)
        .constant(TensorType.INT32, new int[] {4, 2}, new int[] {0, 0, 1, 1, 0, 1, 0, 0})
        .output(TensorType.INT8, new int[0], q);
    RuntimeTensor y = p.run().getOutputTensor(0);
    assertArrayEquals(new int[] {1, 3, 2, 1}, y.shape);
    assertArrayEquals(new byte[] {-3, -3, 5, -3, -3, -3}, OpTester.bytesOf(y));
  }

  @Test
  void refusesRuntimePaddingsNegativePaddingsAndWrongShapes() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("PAD")
        .input(TensorType.FLOAT32, new int[] {2}, new float[2]).input(TensorType.INT32, new int[] {1, 2}, new int[] {1, 1})
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("PAD") && e.getMessage().contains("must be constant"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("PAD").input(TensorType.FLOAT32, new int[] {2}, new float[2])
        .constant(TensorType.INT32, new int[] {1, 2}, new int[] {-1, 1}).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("PAD") && e.getMessage().contains("negative"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("PAD").input(TensorType.FLOAT32, new int[] {2, 2}, new float[4])
        .constant(TensorType.INT32, new int[] {1, 2}, new int[] {1, 1}).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("PAD") && e.getMessage().contains("[2, 2]"), e.getMessage());
  }

  @Property(tries = 50)
  void equalsTheNaiveDefinition(@ForAll @IntRange(min = 1, max = 4) int rank, @ForAll long seed) {
    Random r = new Random(seed);
    int[] shape = new int[rank], pads = new int[2 * rank], out = new int[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = 1 + r.nextInt(3);
      pads[2 * i] = r.nextInt(3);
      pads[2 * i + 1] = r.nextInt(3);
      out[i] = shape[i] + pads[2 * i] + pads[2 * i + 1];
    }
    int n = Shapes.size(shape);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = 1 + i;
    RuntimeTensor y = OpTester.op("PADV2").input(TensorType.FLOAT32, shape, x).constant(TensorType.INT32, new int[] {rank, 2}, pads)
        .input(TensorType.FLOAT32, new int[] {1}, new float[] {-0.5f}).output(TensorType.FLOAT32).run().getOutputTensor(0);
    assertArrayEquals(out, y.shape);
    float[] v = OpTester.floats(y);
    int[] idx = new int[rank], inStrides = Shapes.strides(shape);
    for (int e = 0; e < v.length; e++) {
      boolean inside = true;
      int src = 0;
      for (int d = 0; d < rank; d++) {
        int k = idx[d] - pads[2 * d];
        inside &= k >= 0 && k < shape[d];
        src += k * inStrides[d];
      }
      assertEquals(inside ? x[src] : -0.5f, v[e], "element " + e);
      for (int d = rank - 1; d >= 0; d--) { if (++idx[d] < out[d]) break; idx[d] = 0; }
    }
  }
}
