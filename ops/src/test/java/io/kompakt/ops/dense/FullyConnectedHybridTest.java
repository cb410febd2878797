package io.kompakt.ops.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.common.HybridDefinitions;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Hybrid FULLY_CONNECTED (float input, int8 weights) against {@link HybridDefinitions}: every output bit equal, for
 * per-tensor and per-unit scales, symmetric and asymmetric input quantization, with and without bias, each fused
 * activation; and within the input quantization's error of the real-valued product.
 */
class FullyConnectedHybridTest {
  static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"};

  @Provide
  Arbitrary<Integer> sizes() { return Arbitraries.of(1, 2, 3, 7, 16, 33, 100); }

  static FlatTable options(String activation, boolean keepDims, boolean asymmetric) {
    return FullyConnectedTest.options(activation, keepDims).set("asymmetric_quantize_inputs", asymmetric);
  }

  static float[] clampRange(String activation) {
    switch (activation) {
      case "RELU": return new float[] {0f, Float.MAX_VALUE};
      case "RELU6": return new float[] {0f, 6f};
      case "RELU_N1_TO_1": return new float[] {-1f, 1f};
      default: return new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
    }
  }

  @Property(tries = 300)
  void matchesTheDefinition(@ForAll("sizes") int depth, @ForAll("sizes") int units, @ForAll boolean asymmetric,
                            @ForAll boolean perUnit, @ForAll boolean withBias, @ForAll long seed) {
    Random r = new Random(seed);
    int batch = 1 + r.nextInt(3);
    String activation = ACTIVATIONS[r.nextInt(4)];
    boolean keepDims = r.nextBoolean();
    float[] x = HybridDefinitions.activations(r, batch, depth);
    if (r.nextInt(10) == 0) x = new float[batch * depth]; // the all-zero shortcut
    byte[] w = HybridDefinitions.weights(r, units * depth);
    float[] scales = HybridDefinitions.weightScales(r, units, perUnit ? 1 : 0);
    float[] bias = new float[units];
    for (int u = 0; u < units; u++) bias[u] = (float) (r.nextGaussian() * 0.5);
    float[] range = clampRange(activation);
    float[] want = HybridDefinitions.fullyConnected(batch, depth, units, x, w, scales, withBias ? bias : null, asymmetric,
        range[0], range[1]);
    for (Interpreter.Kernels k : io.kompakt.ops.common.FastKernelChecks.KERNELS) { // the reference and the fast (float) paths
      OpTester t = OpTester.op("FULLY_CONNECTED").options(options(activation, keepDims, asymmetric)).kernels(k)
          .input(TensorType.FLOAT32, new int[] {batch, depth}, x)
          .constant(TensorType.INT8, new int[] {units, depth}, w, quantization(scales, 0));
      if (withBias) t.constant(TensorType.FLOAT32, new int[] {units}, bias);
      float[] got = t.output(TensorType.FLOAT32).runFloat();
      assertArrayEquals(new int[] {batch, units}, t.outputTensor(0).shape);
      assertArrayEquals(want, got, k + " " + activation + (asymmetric ? " asymmetric" : " symmetric"));
    }
  }

  /**
   * Beside bit-exactness: each output is the real product of the quantized input row and the weights, within float
   * rounding, and the float product of the original input within half a quantization step per term.
   */
  @Property(tries = 100)
  void approximatesTheFloatProduct(@ForAll("sizes") int depth, @ForAll("sizes") int units, @ForAll boolean asymmetric,
                                   @ForAll long seed) {
    Random r = new Random(seed);
    int batch = 1 + r.nextInt(3);
    float[] x = new float[batch * depth];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() + (asymmetric ? 1 : 0));
    byte[] w = HybridDefinitions.weights(r, units * depth);
    float[] scales = HybridDefinitions.weightScales(r, units, 1);
    float[] got = OpTester.op("FULLY_CONNECTED").options(options("NONE", false, asymmetric))
        .input(TensorType.FLOAT32, new int[] {batch, depth}, x)
        .constant(TensorType.INT8, new int[] {units, depth}, w, quantization(scales, 0))
        .output(TensorType.FLOAT32).runFloat();
    for (int b = 0; b < batch; b++) {
      HybridDefinitions.Row q = asymmetric ? HybridDefinitions.asymmetric(x, b * depth, depth) : HybridDefinitions.symmetric(x, b * depth, depth);
      for (int u = 0; u < units; u++) {
        double s = scales.length == 1 ? scales[0] : scales[u], exact = 0, real = 0, bound = 0;
        for (int d = 0; d < depth; d++) {
          double wr = w[u * depth + d] * s;
          exact += wr * (q.q()[d] - q.zeroPoint()) * (double) q.scale();
          real += wr * x[b * depth + d];
          bound += Math.abs(wr) * q.scale() * 0.5000001;
        }
        double g = got[b * units + u];
        assertEquals(exact, g, 1e-5 * (Math.abs(exact) + bound) + 1e-30, "quantized product, unit " + u);
        assertTrue(Math.abs(g - real) <= bound * 1.0001 + 1e-6 * Math.abs(real) + 1e-30, g + " vs float " + real + " bound " + bound);
      }
    }
  }

  /** A second run on the same interpreter (cached row sums, reused scratch) gives the definition for the new input. */
  @Test
  void rerunsWithNewInputs() {
    Random r = new Random(5);
    int batch = 2, depth = 40, units = 9;
    byte[] w = HybridDefinitions.weights(r, units * depth);
    float[] scales = HybridDefinitions.weightScales(r, units, 1);
    OpTester t = OpTester.op("FULLY_CONNECTED").options(options("RELU6", false, true))
        .input(TensorType.FLOAT32, new int[] {batch, depth}, HybridDefinitions.activations(r, batch, depth))
        .constant(TensorType.INT8, new int[] {units, depth}, w, quantization(scales, 0))
        .output(TensorType.FLOAT32);
    Interpreter it = t.run();
    for (int run = 0; run < 3; run++) {
      float[] x = HybridDefinitions.activations(r, batch, depth);
      RuntimeTensor in = it.getInputTensor(0);
      System.arraycopy(x, 0, in.f32, in.offset, x.length);
      it.invoke();
      assertArrayEquals(HybridDefinitions.fullyConnected(batch, depth, units, x, w, scales, null, true, 0f, 6f),
          OpTester.floats(it.getOutputTensor(0)));
    }
  }

  /**
   * The quantization worked by hand: row {@code [-255, -127.5, 0]} quantizes asymmetrically to scale 1, zero point
   * 127 and {@code [-128, -1, 127]} ({@code 127 - 127.5 = -0.5} rounds away from zero); with weights
   * {@code [1, 2, 3]} (row sum 6) the accumulator is {@code -128 - 2 + 381 - 6 * 127 = -511}. Symmetrically, row
   * {@code [-127, -63.5, 0]} has scale 1 and values {@code [-127, -64, 0]} (-63.5 rounds away from zero), accumulator -255.
   */
  @Test
  void worksByHand() {
    float[] x = {-255f, -127.5f, 0f};
    byte[] w = {1, 2, 3};
    float got = OpTester.op("FULLY_CONNECTED").options(options("NONE", false, true))
        .input(TensorType.FLOAT32, new int[] {1, 3}, x)
        .constant(TensorType.INT8, new int[] {1, 3}, w, Quantization.perTensor(0.5f, 0))
        .output(TensorType.FLOAT32).runFloat()[0];
    assertEquals(-511 * 0.5f, got);
    float sym = OpTester.op("FULLY_CONNECTED").options(options("NONE", false, false))
        .input(TensorType.FLOAT32, new int[] {1, 3}, new float[] {-127f, -63.5f, 0f})
        .constant(TensorType.INT8, new int[] {1, 3}, w, Quantization.perTensor(0.5f, 0))
        .output(TensorType.FLOAT32).runFloat()[0];
    assertEquals(-255 * 0.5f, sym);
  }

  /** NONE leaves an overflow infinite: TFLite's ApplyActivationToVector does not clamp (CONV_2D clamps to the largest floats). */
  @Test
  void noActivationKeepsInfinity() {
    float[] x = {1f, 1f};
    byte[] w = {127, 127};
    Quantization huge = Quantization.perTensor(Float.MAX_VALUE / 4, 0);
    float none = OpTester.op("FULLY_CONNECTED").options(options("NONE", false, true))
        .input(TensorType.FLOAT32, new int[] {1, 2}, x).constant(TensorType.INT8, new int[] {1, 2}, w, huge)
        .output(TensorType.FLOAT32).runFloat()[0];
    assertEquals(Float.POSITIVE_INFINITY, none);
  }

  @Test
  void unsupportedWeightsAreRefusedClearly() {
    FullyConnectedTest.assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false, true))
        .input(TensorType.FLOAT32, new int[] {1, 2}, new float[2])
        .constant(TensorType.INT8, new int[] {1, 2}, new byte[2], Quantization.perTensor(0.1f, 3))
        .output(TensorType.FLOAT32), "zero point");
    FullyConnectedTest.assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false, true))
        .input(TensorType.FLOAT32, new int[] {1, 2}, new float[2])
        .constant(TensorType.INT8, new int[] {1, 2}, new byte[2], Quantization.perChannel(new float[] {0.1f, 0.2f}, new long[2], 1))
        .output(TensorType.FLOAT32), "dimension");
    FullyConnectedTest.assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false, true))
        .input(TensorType.FLOAT32, new int[] {1, 2}, new float[2])
        .constant(TensorType.INT8, new int[] {1, 2}, new byte[2])
        .output(TensorType.FLOAT32), "scale");
  }

  static Quantization quantization(float[] scales, int dimension) {
    return scales.length == 1 ? Quantization.perTensor(scales[0], 0) : Quantization.perChannel(scales, new long[scales.length], dimension);
  }
}
