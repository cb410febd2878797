package io.kompakt.ops.activation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ActivationsTest {
  private static float[] run(String op, FlatTable options, float... x) {
    OpTester t = OpTester.op(op);
    if (options != null) t.options(options);
    return t.input(TensorType.FLOAT32, new int[] {x.length}, x).output(TensorType.FLOAT32).runFloat();
  }

  @Test
  void reluFamilyClamps() {
    float[] x = {-7, -1, -0.5f, 0, 0.5f, 1, 5, 7, Float.NaN};
    assertArrayEquals(new float[] {0, 0, 0, 0, 0.5f, 1, 5, 7, Float.NaN}, run("RELU", null, x));
    assertArrayEquals(new float[] {0, 0, 0, 0, 0.5f, 1, 5, 6, Float.NaN}, run("RELU6", null, x));
    assertArrayEquals(new float[] {-1, -1, -0.5f, 0, 0.5f, 1, 1, 1, Float.NaN}, run("RELU_N1_TO_1", null, x));
  }

  @Test
  void leakyReluUsesAlpha() {
    assertArrayEquals(new float[] {-0.4f, 0, 3}, run("LEAKY_RELU", FlatTable.of("LeakyReluOptions").set("alpha", 0.2), -2, 0, 3));
    // alpha may exceed 1: still x * alpha for x <= 0
    assertArrayEquals(new float[] {-6, 5}, run("LEAKY_RELU", FlatTable.of("LeakyReluOptions").set("alpha", 3.0), -2, 5));
  }

  @Test
  void hardSwishIsXTimesRelu6OfXPlus3Over6() {
    float[] y = run("HARD_SWISH", null, -4, -3, -1.5f, 0, 1, 3, 6);
    assertArrayEquals(new float[] {-0f, -0f, -1.5f * 1.5f / 6, 0, 4f / 6, 3, 6}, y);
  }

  @Test
  void logisticAndTanh() {
    float[] y = run("LOGISTIC", null, 0, 2, -2, 200, -200, -80);
    assertEquals(0.5f, y[0]);
    assertEquals((float) (1 / (1 + Math.exp(-2))), y[1], 1e-7f);
    assertEquals((float) (1 / (1 + Math.exp(2))), y[2], 1e-7f);
    assertEquals(1f, y[3]);
    assertEquals(0f, y[4]); // clamped to -100, and exp(100) overflows float to infinity, as in TFLite
    assertEquals(1 / (1 + Math.exp(80)), y[5], 1e-40);
    assertTrue(y[5] > 0);
    float[] t = run("TANH", null, 0, 0.5f, -3);
    assertArrayEquals(new float[] {0, (float) Math.tanh(0.5), (float) Math.tanh(-3)}, t);
  }

  @Test
  void preluBroadcastsAlphaPerChannel() {
    // input [1,2,2,3], alpha [3]: negative values scale by their channel's alpha, x >= 0 passes
    float[] x = {-1, -1, -1, 2, 2, 2, -2, 0, -4, 1, -1, 0};
    float[] alpha = {0.5f, 2, -1};
    float[] y = OpTester.op("PRELU").input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, x)
        .constant(TensorType.FLOAT32, new int[] {3}, alpha).output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {-0.5f, -2, 1, 2, 2, 2, -1, 0, 4, 1, -2, 0}, y);
  }

  @Test
  void softmaxHandComputed() {
    float[] y = OpTester.op("SOFTMAX").options(FlatTable.of("SoftmaxOptions").set("beta", 1.0))
        .input(TensorType.FLOAT32, new int[] {2, 2}, new float[] {0, (float) Math.log(3), 1000, 1000})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {0.25f, 0.75f, 0.5f, 0.5f}, y, 1e-6f);
    // beta scales the logits: beta 0 gives the uniform distribution
    float[] u = OpTester.op("SOFTMAX").options(FlatTable.of("SoftmaxOptions").set("beta", 0.0))
        .input(TensorType.FLOAT32, new int[] {4}, new float[] {1, 2, 3, 4}).output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, u);
  }

  @Property(tries = 60)
  void softmaxSumsToOneAndEqualsExpOfXMinusMaxOverSum(@ForAll @IntRange(min = 1, max = 4) int rows,
                                                       @ForAll @IntRange(min = 1, max = 12) int depth, @ForAll long seed) {
    Random r = new Random(seed);
    float beta = 0.25f + r.nextInt(8) / 4f;
    float[] x = new float[rows * depth];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 20);
    float[] y = OpTester.op("SOFTMAX").options(FlatTable.of("SoftmaxOptions").set("beta", beta))
        .input(TensorType.FLOAT32, new int[] {rows, 1, depth}, x).output(TensorType.FLOAT32).runFloat();
    for (int row = 0; row < rows; row++) {
      double max = Double.NEGATIVE_INFINITY, sum = 0, total = 0;
      for (int c = 0; c < depth; c++) max = Math.max(max, x[row * depth + c]);
      for (int c = 0; c < depth; c++) sum += Math.exp((x[row * depth + c] - max) * beta);
      for (int c = 0; c < depth; c++) {
        double expected = Math.exp((x[row * depth + c] - max) * beta) / sum;
        assertEquals(expected, y[row * depth + c], 1e-6 + 1e-5 * expected, "row " + row + " column " + c);
        total += y[row * depth + c];
      }
      assertEquals(1.0, total, 1e-5);
    }
  }

  @Property(tries = 100)
  void simpleActivationsMatchTheirDefinitions(@ForAll long seed) {
    Random r = new Random(seed);
    float[] x = new float[16];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 5);
    float[] relu6 = run("RELU6", null, x), hs = run("HARD_SWISH", null, x), lr = run("LEAKY_RELU",
        FlatTable.of("LeakyReluOptions").set("alpha", 0.1), x), sig = run("LOGISTIC", null, x);
    for (int i = 0; i < x.length; i++) {
      float v = x[i];
      assertEquals(Math.min(6f, Math.max(0f, v)), relu6[i]);
      assertEquals(v * Math.min(6f, Math.max(0f, v + 3)) / 6, hs[i]);
      assertEquals(v > 0 ? v : v * 0.1f, lr[i]);
      assertEquals(1 / (1 + Math.exp(-v)), sig[i], 1e-6);
    }
  }

  @Test
  void unsupportedTypesAndShapesAreRefusedNamingTheOp() {
    // types TFLite has no kernel for: int32 inputs, int16 HARD_SWISH and RELU_N1_TO_1
    for (String op : new String[] {"LOGISTIC", "TANH", "RELU", "HARD_SWISH", "SOFTMAX"}) {
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op(op)
          .input(TensorType.INT32, new int[] {2}, new int[2]).output(TensorType.INT32).run());
      assertTrue(e.getMessage().contains(op) && e.getMessage().contains("int32"), e.getMessage());
    }
    for (String op : new String[] {"HARD_SWISH", "RELU_N1_TO_1"}) {
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op(op)
          .input(TensorType.INT16, new int[] {2}, new short[2], Quantization.perTensor(0.1f, 0))
          .output(TensorType.INT16, new int[0], Quantization.perTensor(0.1f, 0)).run());
      assertTrue(e.getMessage().contains(op) && e.getMessage().contains("int16"), e.getMessage());
    }
    // LOGISTIC's 8-bit output must have TFLite's scale 1/256
    UnsupportedOpException scale = assertThrows(UnsupportedOpException.class, () -> OpTester.op("LOGISTIC")
        .input(TensorType.INT8, new int[] {2}, new byte[2], Quantization.perTensor(0.1f, 0))
        .output(TensorType.INT8, new int[0], Quantization.perTensor(0.1f, 0)).run());
    assertTrue(scale.getMessage().contains("1/256"), scale.getMessage());
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("PRELU")
        .input(TensorType.FLOAT32, new int[] {2, 3}, new float[6]).constant(TensorType.FLOAT32, new int[] {2}, new float[2])
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("PRELU") && e.getMessage().contains("broadcast"), e.getMessage());
  }
}
