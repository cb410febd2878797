package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.common.HybridDefinitions;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Hybrid CONV_2D and DEPTHWISE_CONV_2D (float input, int8 filter) against {@link HybridDefinitions}: every output
 * bit equal over random geometry (batch, stride, dilation, SAME/VALID padding, depth multiplier), distinct, equal or
 * single filter scales (CONV_2D's two paths), with and without bias, each fused activation; and within the input
 * quantization's error of the real-valued convolution.
 */
class HybridConvTest {
  static final String[] ACTIVATIONS = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"};

  /** Geometry drawn at random: {@code [batch, inH, inW, kH, kW, stride, dilation, outH, outW, padTop, padLeft, same]}. */
  static int[] geometry(Random r) {
    int batch = 1 + r.nextInt(2), kH = 1 + r.nextInt(3), kW = 1 + r.nextInt(3), s = 1 + r.nextInt(2), d = 1 + r.nextInt(2);
    int inH = (kH - 1) * d + 1 + r.nextInt(5), inW = (kW - 1) * d + 1 + r.nextInt(5);
    boolean same = r.nextBoolean();
    int outH = out(same, inH, kH, s, d), outW = out(same, inW, kW, s, d);
    return new int[] {batch, inH, inW, kH, kW, s, d, outH, outW, pad(same, inH, kH, s, d, outH), pad(same, inW, kW, s, d, outW),
        same ? 1 : 0};
  }

  /** TFLite's output size and leading padding (padding.h ComputePaddingHeightWidth). */
  static int out(boolean same, int in, int k, int s, int d) {
    int eff = (k - 1) * d + 1;
    return same ? (in + s - 1) / s : (in - eff + s) / s;
  }

  static int pad(boolean same, int in, int k, int s, int d, int out) {
    if (!same) return 0;
    return Math.max(0, ((out - 1) * s + (k - 1) * d + 1 - in) / 2);
  }

  static float[] range(String activation) {
    switch (activation) {
      case "RELU": return new float[] {0f, Float.MAX_VALUE};
      case "RELU6": return new float[] {0f, 6f};
      case "RELU_N1_TO_1": return new float[] {-1f, 1f};
      default: return new float[] {-Float.MAX_VALUE, Float.MAX_VALUE};
    }
  }

  static Quantization quantization(float[] scales, int dimension) {
    return scales.length == 1 ? Quantization.perTensor(scales[0], 0) : Quantization.perChannel(scales, new long[scales.length], dimension);
  }

  static FlatTable convOptions(int[] g, String activation) {
    return FlatTable.of("Conv2DOptions").set("padding", g[11] == 1 ? "SAME" : "VALID").set("stride_h", g[5]).set("stride_w", g[5])
        .set("dilation_h_factor", g[6]).set("dilation_w_factor", g[6]).set("fused_activation_function", activation);
  }

  static FlatTable depthwiseOptions(int[] g, int mult, String activation) {
    return FlatTable.of("DepthwiseConv2DOptions").set("padding", g[11] == 1 ? "SAME" : "VALID").set("stride_h", g[5])
        .set("stride_w", g[5]).set("dilation_h_factor", g[6]).set("dilation_w_factor", g[6]).set("depth_multiplier", mult)
        .set("fused_activation_function", activation);
  }

  /** @param scaleKind 0 one scale, 1 distinct per-channel scales, 2 per-channel scales all equal */
  @Property(tries = 250)
  void convMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 5) int inC, @ForAll @IntRange(min = 1, max = 6) int outC,
                                @ForAll @IntRange(min = 0, max = 2) int scaleKind, @ForAll boolean withBias, @ForAll long seed) {
    Random r = new Random(seed);
    int[] g = geometry(r);
    String activation = ACTIVATIONS[r.nextInt(4)];
    float[] x = HybridDefinitions.activations(r, g[0], g[1] * g[2] * inC);
    byte[] w = HybridDefinitions.weights(r, outC * g[3] * g[4] * inC);
    float[] scales = HybridDefinitions.weightScales(r, outC, scaleKind);
    float[] bias = new float[outC];
    for (int c = 0; c < outC; c++) bias[c] = (float) r.nextGaussian();
    float[] lim = range(activation);
    float[] want = HybridDefinitions.conv(g[0], g[1], g[2], inC, g[7], g[8], outC, g[3], g[4], g[5], g[5], g[6], g[6],
        g[9], g[10], x, w, scales, withBias ? bias : null, lim[0], lim[1]);
    for (Interpreter.Kernels k : io.kompakt.ops.common.FastKernelChecks.KERNELS) { // the reference and the fast (float) paths
      OpTester t = OpTester.op("CONV_2D").options(convOptions(g, activation)).kernels(k)
          .input(TensorType.FLOAT32, new int[] {g[0], g[1], g[2], inC}, x)
          .constant(TensorType.INT8, new int[] {outC, g[3], g[4], inC}, w, quantization(scales, 0));
      if (withBias) t.constant(TensorType.FLOAT32, new int[] {outC}, bias);
      else t.noInput();
      float[] got = t.output(TensorType.FLOAT32).runFloat();
      assertArrayEquals(new int[] {g[0], g[7], g[8], outC}, t.outputTensor(0).shape);
      assertArrayEquals(want, got, k + " " + java.util.Arrays.toString(g) + " " + activation + " scales " + scaleKind);
    }
  }

  @Property(tries = 250)
  void depthwiseMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 5) int inC, @ForAll @IntRange(min = 1, max = 3) int mult,
                                     @ForAll boolean perChannel, @ForAll boolean withBias, @ForAll long seed) {
    Random r = new Random(seed);
    int[] g = geometry(r);
    int outC = inC * mult;
    String activation = ACTIVATIONS[r.nextInt(4)];
    float[] x = HybridDefinitions.activations(r, g[0], g[1] * g[2] * inC);
    byte[] w = HybridDefinitions.weights(r, g[3] * g[4] * outC);
    float[] scales = HybridDefinitions.weightScales(r, outC, perChannel ? 1 : 0);
    float[] bias = new float[outC];
    for (int c = 0; c < outC; c++) bias[c] = (float) r.nextGaussian();
    float[] lim = range(activation);
    float[] want = HybridDefinitions.depthwise(g[0], g[1], g[2], inC, mult, g[7], g[8], g[3], g[4], g[5], g[5], g[6], g[6],
        g[9], g[10], x, w, scales, withBias ? bias : null, lim[0], lim[1]);
    for (Interpreter.Kernels k : io.kompakt.ops.common.FastKernelChecks.KERNELS) { // the reference and the fast (float) paths
      OpTester t = OpTester.op("DEPTHWISE_CONV_2D").options(depthwiseOptions(g, mult, activation)).kernels(k)
          .input(TensorType.FLOAT32, new int[] {g[0], g[1], g[2], inC}, x)
          .constant(TensorType.INT8, new int[] {1, g[3], g[4], outC}, w, quantization(scales, 3));
      if (withBias) t.constant(TensorType.FLOAT32, new int[] {outC}, bias);
      float[] got = t.output(TensorType.FLOAT32).runFloat();
      assertArrayEquals(new int[] {g[0], g[7], g[8], outC}, t.outputTensor(0).shape);
      assertArrayEquals(want, got, k + " " + java.util.Arrays.toString(g) + " " + activation);
    }
  }

  /**
   * Beside bit-exactness: each CONV_2D output is the real convolution of the quantized image (padding contributing
   * real zero), within float rounding, and the float convolution of the original input within half a quantization
   * step per tap.
   */
  @Property(tries = 80)
  void convApproximatesTheFloatConvolution(@ForAll @IntRange(min = 1, max = 4) int inC, @ForAll @IntRange(min = 1, max = 4) int outC,
                                           @ForAll boolean perChannel, @ForAll long seed) {
    Random r = new Random(seed);
    int[] g = geometry(r);
    float[] x = new float[g[0] * g[1] * g[2] * inC];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() + 0.5);
    byte[] w = HybridDefinitions.weights(r, outC * g[3] * g[4] * inC);
    float[] scales = HybridDefinitions.weightScales(r, outC, perChannel ? 1 : 0);
    float[] got = OpTester.op("CONV_2D").options(convOptions(g, "NONE"))
        .input(TensorType.FLOAT32, new int[] {g[0], g[1], g[2], inC}, x)
        .constant(TensorType.INT8, new int[] {outC, g[3], g[4], inC}, w, quantization(scales, 0))
        .noInput().output(TensorType.FLOAT32).runFloat();
    int image = g[1] * g[2] * inC;
    boolean asymmetric = HybridDefinitions.convPerChannel(scales);
    for (int b = 0; b < g[0]; b++) {
      HybridDefinitions.Row q = asymmetric ? HybridDefinitions.asymmetric(x, b * image, image) : HybridDefinitions.symmetric(x, b * image, image);
      for (int oy = 0; oy < g[7]; oy++) {
        for (int ox = 0; ox < g[8]; ox++) {
          for (int oc = 0; oc < outC; oc++) {
            double exact = 0, real = 0, bound = 0, s = scales.length == 1 ? scales[0] : scales[oc];
            for (int ky = 0; ky < g[3]; ky++) {
              for (int kx = 0; kx < g[4]; kx++) {
                int iy = oy * g[5] - g[9] + ky * g[6], ix = ox * g[5] - g[10] + kx * g[6];
                if (iy < 0 || iy >= g[1] || ix < 0 || ix >= g[2]) continue;
                for (int ic = 0; ic < inC; ic++) {
                  int i = (iy * g[2] + ix) * inC + ic;
                  double wr = w[((oc * g[3] + ky) * g[4] + kx) * inC + ic] * s;
                  exact += wr * (q.q()[i] - q.zeroPoint()) * (double) q.scale();
                  real += wr * x[b * image + i];
                  bound += Math.abs(wr) * q.scale() * 0.5000001;
                }
              }
            }
            double v = got[((b * g[7] + oy) * g[8] + ox) * outC + oc];
            assertEquals(exact, v, 1e-5 * (Math.abs(exact) + bound) + 1e-30);
            assertTrue(Math.abs(v - real) <= bound * 1.0001 + 1e-6 * Math.abs(real) + 1e-30, v + " vs float " + real);
          }
        }
      }
    }
  }

  /** Several runs on one interpreter (reused scratch) each give the definition. */
  @Test
  void rerunsWithNewInputs() {
    Random r = new Random(9);
    int[] g = {2, 6, 5, 3, 3, 2, 1, 3, 3, pad(true, 6, 3, 2, 1, 3), pad(true, 5, 3, 2, 1, 3), 1};
    byte[] w = HybridDefinitions.weights(r, 4 * 9 * 3);
    float[] scales = HybridDefinitions.weightScales(r, 4, 1);
    Interpreter it = OpTester.op("CONV_2D").options(convOptions(g, "RELU"))
        .input(TensorType.FLOAT32, new int[] {2, 6, 5, 3}, new float[180])
        .constant(TensorType.INT8, new int[] {4, 3, 3, 3}, w, quantization(scales, 0)).noInput()
        .output(TensorType.FLOAT32).run();
    for (int run = 0; run < 3; run++) {
      float[] x = HybridDefinitions.activations(r, 2, 90);
      System.arraycopy(x, 0, it.getInputTensor(0).f32, it.getInputTensor(0).offset, x.length);
      it.invoke();
      assertArrayEquals(HybridDefinitions.conv(2, 6, 5, 3, 3, 3, 4, 3, 3, 2, 2, 1, 1, g[9], g[10], x, w, scales, null, 0f, Float.MAX_VALUE),
          OpTester.floats(it.getOutputTensor(0)));
    }
  }

  /**
   * CONV_2D's two paths by hand. Image {@code [-1, 3]} (1x1x2x1), 1x1 filter of weight 1, bias 0.
   * One scale 0.5: symmetric, range 3, q = {@code [-42, 127]} (-42.33 rounds to -42), out = q * (3/127 * 0.5).
   * Two distinct scales: asymmetric, scale 4/255, zero point -64 (from the min: -128 + 63.75 = -64.25 has the smaller
   * error), q = {@code [-128, 127]}; out = (q + 64) * (4/255 * s).
   */
  @Test
  void theTwoConvPathsByHand() {
    float[] x = {-1f, 3f};
    float[] sym = OpTester.op("CONV_2D").options(convOptions(new int[] {1, 1, 2, 1, 1, 1, 1, 1, 2, 0, 0, 0}, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 2, 1}, x)
        .constant(TensorType.INT8, new int[] {1, 1, 1, 1}, new byte[] {1}, Quantization.perTensor(0.5f, 0)).noInput()
        .output(TensorType.FLOAT32).runFloat();
    float s = (3f / 127f) * 0.5f;
    assertArrayEquals(new float[] {-42 * s, 127 * s}, sym);
    float[] asym = OpTester.op("CONV_2D").options(convOptions(new int[] {1, 1, 2, 1, 1, 1, 1, 1, 2, 0, 0, 0}, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 2, 1}, x)
        .constant(TensorType.INT8, new int[] {2, 1, 1, 1}, new byte[] {1, 2}, quantization(new float[] {0.5f, 0.25f}, 0)).noInput()
        .output(TensorType.FLOAT32).runFloat();
    float inScale = (float) (4.0 / 255);
    assertArrayEquals(new float[] {(-128 + 64) * (inScale * 0.5f), 2 * (-128 + 64) * (inScale * 0.25f),
        (127 + 64) * (inScale * 0.5f), 2 * (127 + 64) * (inScale * 0.25f)}, asym);
  }

  @Test
  void unsupportedFiltersAreRefusedClearly() {
    int[] g = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    assertRefused("CONV_2D", () -> OpTester.op("CONV_2D").options(convOptions(g, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .constant(TensorType.INT8, new int[] {2, 1, 1, 2}, new byte[4], quantization(new float[] {0.1f, 0.2f}, 3))
        .output(TensorType.FLOAT32).run(), "dimension");
    assertRefused("CONV_2D", () -> OpTester.op("CONV_2D").options(convOptions(g, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .constant(TensorType.INT8, new int[] {1, 1, 1, 2}, new byte[2], Quantization.perTensor(0.1f, 1))
        .output(TensorType.FLOAT32).run(), "zero point");
    assertRefused("DEPTHWISE_CONV_2D", () -> OpTester.op("DEPTHWISE_CONV_2D").options(depthwiseOptions(g, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 1, 2}, new float[4])
        .constant(TensorType.INT8, new int[] {1, 2, 1, 2}, new byte[4], quantization(new float[] {0.1f, 0.2f}, 1))
        .output(TensorType.FLOAT32).run(), "dimension");
  }

  static void assertRefused(String op, org.junit.jupiter.api.function.Executable run, String what) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, run);
    assertTrue(e.getMessage().contains(op) && e.getMessage().contains(what), e.getMessage());
  }
}
