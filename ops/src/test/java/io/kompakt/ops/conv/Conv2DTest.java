package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import org.junit.jupiter.api.Test;

class Conv2DTest {
  @Test
  void oneByOneConvIsAMatrixProductPlusBias() {
    // input 1x1x2x3, filter 2 output channels of 1x1x3
    float[] x = {1, 2, 3, 4, 5, 6};
    float[] w = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    float[] b = {10, -1};
    float[] y = OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("padding", "VALID").set("stride_w", 1).set("stride_h", 1))
        .input(TensorType.FLOAT32, new int[] {1, 1, 2, 3}, x)
        .constant(TensorType.FLOAT32, new int[] {2, 1, 1, 3}, w)
        .constant(TensorType.FLOAT32, new int[] {2}, b)
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {1 - 3 + 10, 3 - 1, 4 - 6 + 10, 7.5f - 1}, y);
  }

  @Test
  void samePaddingStrideTwoAndRelu6() {
    // 3x3 input of ones, 3x3 filter of ones, SAME stride 2: output 2x2, padding 1 before and 1 after,
    // so every output window covers a 2x2 corner of the input: 4 ones each
    float[] x = new float[9];
    java.util.Arrays.fill(x, 1);
    float[] w = new float[9];
    java.util.Arrays.fill(w, 1);
    float[] y = OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("padding", "SAME").set("stride_w", 2).set("stride_h", 2)
            .set("fused_activation_function", "RELU6"))
        .input(TensorType.FLOAT32, new int[] {1, 3, 3, 1}, x)
        .constant(TensorType.FLOAT32, new int[] {1, 3, 3, 1}, w)
        .noInput()
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {4, 4, 4, 4}, y);
  }

  @Test
  void mismatchedChannelsAreRefusedNamingTheOp() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("stride_w", 1).set("stride_h", 1))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .output(TensorType.FLOAT32)
        .run());
    assertTrue(e.getMessage().contains("CONV_2D") && e.getMessage().contains("operator #0"), e.getMessage());
  }
}
