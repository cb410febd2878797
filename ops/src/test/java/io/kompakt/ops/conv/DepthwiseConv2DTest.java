package io.kompakt.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DepthwiseConv2DTest {
  static FlatTable options(String padding, int stride, int dilation, int multiplier, String activation) {
    return FlatTable.of("DepthwiseConv2DOptions").set("padding", padding).set("stride_h", stride).set("stride_w", stride)
        .set("dilation_h_factor", dilation).set("dilation_w_factor", dilation).set("depth_multiplier", multiplier)
        .set("fused_activation_function", activation);
  }

  static float[] iota(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    return x;
  }

  @Test
  void depthMultiplierTwoMapsOutputChannelIcTimesMultPlusM() {
    // input 2x2 with 2 channels: channel 0 = 1 2 / 3 4, channel 1 = 10 20 / 30 40
    float[] x = {1, 10, 2, 20, 3, 30, 4, 40};
    // filter [1, 2, 2, 4]: oc0 (ic0) ones, oc1 (ic0) 1 0 / 0 -1, oc2 (ic1) 0 1 / 0 0, oc3 (ic1) all 0.5
    float[] w = {1, 1, 0, 0.5f, 1, 0, 1, 0.5f, 1, 0, 0, 0.5f, 1, -1, 0, 0.5f};
    OpTester t = OpTester.op("DEPTHWISE_CONV_2D").options(options("VALID", 1, 1, 2, "RELU"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, x)
        .constant(TensorType.FLOAT32, new int[] {1, 2, 2, 4}, w)
        .constant(TensorType.FLOAT32, new int[] {4}, new float[] {1, 2, 3, 4})
        .output(TensorType.FLOAT32);
    // 10 + 1, relu(-3 + 2) = 0, 20 + 3, 50 + 4
    assertArrayEquals(new float[] {11, 0, 23, 54}, t.runFloat());
    assertArrayEquals(new int[] {1, 1, 1, 4}, t.outputTensor(0).shape);
  }

  @Test
  void samePaddingOnEverySideWithStrideTwoOnAnOddInput() {
    // 5x5 input x = 5y + x, 3x3 ones, SAME stride 2: output 3x3, one row/column of padding on every side;
    // the windows cover rows {0,1}, {1,2,3}, {3,4} (same for columns)
    float[] w = new float[9];
    java.util.Arrays.fill(w, 1);
    float[] y = OpTester.op("DEPTHWISE_CONV_2D").options(options("SAME", 2, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 5, 5, 1}, iota(25))
        .constant(TensorType.FLOAT32, new int[] {1, 3, 3, 1}, w)
        .noInput()
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {12, 27, 24, 63, 108, 81, 72, 117, 84}, y);
  }

  @Test
  void oddTotalPaddingGoesAfter() {
    // 4x4 input, 2x2 ones, SAME stride 1: padding 0 before, 1 after (bottom and right)
    float[] w = {1, 1, 1, 1};
    float[] y = OpTester.op("DEPTHWISE_CONV_2D").options(options("SAME", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 4, 4, 1}, iota(16))
        .constant(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, w)
        .output(TensorType.FLOAT32)
        .runFloat();
    // in(y,x) = 4y + x; out(y,x) sums in[y..y+1][x..x+1] clipped to the input
    assertArrayEquals(new float[] {10, 14, 18, 10, 26, 30, 34, 18, 42, 46, 50, 26, 25, 27, 29, 15}, y);
  }

  @Test
  void dilationTwo() {
    // 5x5 input 5y + x, 2x2 filter 1 2 / 3 4 with dilation 2 (effective 3x3), VALID: out = 50y + 10x + 82
    float[] y = OpTester.op("DEPTHWISE_CONV_2D").options(options("VALID", 1, 2, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 5, 5, 1}, iota(25))
        .constant(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, new float[] {1, 2, 3, 4})
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {82, 92, 102, 132, 142, 152, 182, 192, 202}, y);
  }

  @Test
  void reluN1To1AndRelu6Clamp() {
    float[] x = {-3, 0.5f, 7};
    float[] y1 = OpTester.op("DEPTHWISE_CONV_2D").options(options("VALID", 1, 1, 1, "RELU_N1_TO_1"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, x)
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[] {1, 1, 1})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {-1, 0.5f, 1}, y1);
    float[] y2 = OpTester.op("DEPTHWISE_CONV_2D").options(options("VALID", 1, 1, 1, "RELU6"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, x)
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[] {1, 1, 1})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {0, 0.5f, 6}, y2);
  }

  @Test
  void theDepthMultiplierComesFromTheShapesNotTheOption() {
    // as TFLite (ComputeDepthMultiplier): option says 1, shapes say 3
    float[] y = OpTester.op("DEPTHWISE_CONV_2D").options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 1}, new float[] {2})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[] {1, 2, 3})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {2, 4, 6}, y);
  }

  // ---- properties

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 2, 3, 5, 17); }

  /** The definition: each output channel ic*mult+m is a single-channel convolution of input channel ic. */
  @Property(tries = 120)
  void matchesAConvolutionPerChannel(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 7) int h,
                                     @ForAll @IntRange(min = 1, max = 7) int wd, @ForAll("channels") int inC,
                                     @ForAll @IntRange(min = 1, max = 3) int mult, @ForAll @IntRange(min = 1, max = 3) int kH,
                                     @ForAll @IntRange(min = 1, max = 3) int kW, @ForAll @IntRange(min = 1, max = 3) int stride,
                                     @ForAll @IntRange(min = 1, max = 2) int dilation, @ForAll boolean same,
                                     @ForAll boolean withBias, @ForAll long seed) {
    if (!same && ((kH - 1) * dilation + 1 > h || (kW - 1) * dilation + 1 > wd)) same = true;
    Random r = new Random(seed);
    int outC = inC * mult;
    float[] x = random(r, batch * h * wd * inC), f = random(r, kH * kW * outC), bias = random(r, outC);
    OpTester t = OpTester.op("DEPTHWISE_CONV_2D").options(options(same ? "SAME" : "VALID", stride, dilation, mult, "NONE"))
        .input(TensorType.FLOAT32, new int[] {batch, h, wd, inC}, x)
        .constant(TensorType.FLOAT32, new int[] {1, kH, kW, outC}, f);
    if (withBias) t.constant(TensorType.FLOAT32, new int[] {outC}, bias);
    float[] y = t.output(TensorType.FLOAT32).runFloat();

    int outH = outSize(same, h, kH, stride, dilation), outW = outSize(same, wd, kW, stride, dilation);
    int padT = padBefore(same, h, kH, stride, dilation, outH), padL = padBefore(same, wd, kW, stride, dilation, outW);
    assertArrayEquals(new int[] {batch, outH, outW, outC}, t.outputTensor(0).shape);
    for (int b = 0; b < batch; b++) {
      for (int ic = 0; ic < inC; ic++) {
        for (int m = 0; m < mult; m++) {
          int oc = ic * mult + m;
          // the single-channel image and kernel of this output channel
          double[][] img = new double[h][wd], ker = new double[kH][kW];
          for (int i = 0; i < h; i++) for (int j = 0; j < wd; j++) img[i][j] = x[((b * h + i) * wd + j) * inC + ic];
          for (int i = 0; i < kH; i++) for (int j = 0; j < kW; j++) ker[i][j] = f[(i * kW + j) * outC + oc];
          double[][] conv = conv2d(img, ker, stride, dilation, padT, padL, outH, outW);
          for (int oy = 0; oy < outH; oy++) {
            for (int ox = 0; ox < outW; ox++) {
              double want = conv[oy][ox] + (withBias ? bias[oc] : 0);
              float got = y[((b * outH + oy) * outW + ox) * outC + oc];
              assertEquals(want, got, 1e-4 * (1 + Math.abs(want)), "b" + b + " y" + oy + " x" + ox + " c" + oc);
            }
          }
        }
      }
    }
  }

  /** With one input channel, depthwise with multiplier M is CONV_2D with M filters (an independent kernel). */
  @Property(tries = 40)
  void oneInputChannelIsAnOrdinaryConvolution(@ForAll @IntRange(min = 1, max = 6) int h, @ForAll @IntRange(min = 1, max = 6) int wd,
                                              @ForAll @IntRange(min = 1, max = 4) int mult, @ForAll @IntRange(min = 1, max = 3) int k,
                                              @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll boolean same, @ForAll long seed) {
    if (!same && k > Math.min(h, wd)) same = true;
    Random r = new Random(seed);
    float[] x = random(r, h * wd), f = random(r, k * k * mult), bias = random(r, mult);
    float[] convFilter = new float[f.length];
    for (int m = 0; m < mult; m++) for (int i = 0; i < k * k; i++) convFilter[m * k * k + i] = f[i * mult + m];
    float[] dw = OpTester.op("DEPTHWISE_CONV_2D").options(options(same ? "SAME" : "VALID", stride, 1, mult, "RELU6"))
        .input(TensorType.FLOAT32, new int[] {1, h, wd, 1}, x)
        .constant(TensorType.FLOAT32, new int[] {1, k, k, mult}, f)
        .constant(TensorType.FLOAT32, new int[] {mult}, bias)
        .output(TensorType.FLOAT32).runFloat();
    float[] conv = OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_h", stride)
            .set("stride_w", stride).set("fused_activation_function", "RELU6"))
        .input(TensorType.FLOAT32, new int[] {1, h, wd, 1}, x)
        .constant(TensorType.FLOAT32, new int[] {mult, k, k, 1}, convFilter)
        .constant(TensorType.FLOAT32, new int[] {mult}, bias)
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(conv, dw);
  }

  // ---- errors

  @Test
  void filterChannelsNotAMultipleOfTheInputsAreRefused() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 4}, new float[4])
        .output(TensorType.FLOAT32).run());
    assertNamesTheOp(e, "multiple");
  }

  @Test
  void wrongRankIsRefused() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[3])
        .output(TensorType.FLOAT32).run());
    assertNamesTheOp(e, "4-D");
  }

  @Test
  void filterFirstDimensionOtherThanOneIsRefused() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {2, 1, 1, 3}, new float[6])
        .output(TensorType.FLOAT32).run());
    assertNamesTheOp(e, "first dimension");
  }

  @Test
  void wrongBiasSizeZeroStrideAndBadActivationAreRefused() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[3])
        .constant(TensorType.FLOAT32, new int[] {2}, new float[2])
        .output(TensorType.FLOAT32).run()), "bias");
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 0, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[3])
        .output(TensorType.FLOAT32).run()), "positive");
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "TANH"))
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 3}, new float[12])
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[3])
        .output(TensorType.FLOAT32).run()), "TANH");
  }

  @Test
  void int8WithoutQuantizationIsRefused() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.INT8, new int[] {1, 2, 2, 3}, new byte[12])
        .constant(TensorType.INT8, new int[] {1, 1, 1, 3}, new byte[3])
        .output(TensorType.INT8).run());
    assertNamesTheOp(e, "has no quantization");
  }

  // ---- helpers (independent of the kernel's code)

  static void assertNamesTheOp(UnsupportedOpException e, String what) {
    assertTrue(e.getMessage().contains("DEPTHWISE_CONV_2D") && e.getMessage().contains("operator #0")
        && e.getMessage().contains(what), e.getMessage());
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
    return a;
  }

  /** TensorFlow's output size: SAME ceil(in / stride), VALID ceil((in - effective + 1) / stride). */
  static int outSize(boolean same, int in, int k, int stride, int dilation) {
    int eff = (k - 1) * dilation + 1;
    return same ? (int) Math.ceil(in / (double) stride) : (int) Math.ceil((in - eff + 1) / (double) stride);
  }

  /** TensorFlow's SAME padding: half the total before (rounded down), the rest after. */
  static int padBefore(boolean same, int in, int k, int stride, int dilation, int out) {
    if (!same) return 0;
    int eff = (k - 1) * dilation + 1;
    return Math.max((out - 1) * stride + eff - in, 0) / 2;
  }

  /** Single-channel 2-D cross-correlation with zero padding, in double. */
  static double[][] conv2d(double[][] img, double[][] ker, int stride, int dilation, int padT, int padL, int outH, int outW) {
    double[][] out = new double[outH][outW];
    for (int oy = 0; oy < outH; oy++) {
      for (int ox = 0; ox < outW; ox++) {
        double s = 0;
        for (int i = 0; i < ker.length; i++) {
          for (int j = 0; j < ker[0].length; j++) {
            int y = oy * stride + i * dilation - padT, x = ox * stride + j * dilation - padL;
            double v = y >= 0 && y < img.length && x >= 0 && x < img[0].length ? img[y][x] : 0;
            s += v * ker[i][j];
          }
        }
        out[oy][ox] = s;
      }
    }
    return out;
  }
}
