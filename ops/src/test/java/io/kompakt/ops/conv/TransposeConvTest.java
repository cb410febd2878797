package io.kompakt.ops.conv;

import static io.kompakt.ops.conv.DepthwiseConv2DTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TransposeConvTest {
  static FlatTable options(String padding, int stride, String activation) {
    return FlatTable.of("TransposeConvOptions").set("padding", padding).set("stride_h", stride).set("stride_w", stride)
        .set("fused_activation_function", activation);
  }

  @Test
  void validStrideTwoScattersOverlappingWindowsWithBias() {
    // input 2x2 = 1 2 / 3 4; weights 3x3, channel 0 ones, channel 1 twos; output 5x5: input (iy, ix) lands on
    // rows 2iy..2iy+2 and columns 2ix..2ix+2, so row/column 2 gets both neighbours
    float[] w = new float[18];
    Arrays.fill(w, 0, 9, 1);
    Arrays.fill(w, 9, 18, 2);
    OpTester t = OpTester.op("TRANSPOSE_CONV").options(options("VALID", 2, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 5, 5, 2})
        .constant(TensorType.FLOAT32, new int[] {2, 3, 3, 1}, w)
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, new float[] {1, 2, 3, 4})
        .constant(TensorType.FLOAT32, new int[] {2}, new float[] {0.5f, -1})
        .output(TensorType.FLOAT32);
    float[] y = t.runFloat();
    assertArrayEquals(new int[] {1, 5, 5, 2}, t.outputTensor(0).shape);
    float[] plane = {1, 1, 3, 2, 2, 1, 1, 3, 2, 2, 4, 4, 10, 6, 6, 3, 3, 7, 4, 4, 3, 3, 7, 4, 4};
    for (int i = 0; i < 25; i++) {
      assertEquals(plane[i] + 0.5f, y[2 * i], "channel 0 at " + i);
      assertEquals(2 * plane[i] - 1, y[2 * i + 1], "channel 1 at " + i);
    }
  }

  @Test
  void samePaddingCropsOneOnEverySideAndRelu6() {
    // output 3x3, 3x3 filter, stride 2: the forward convolution pads 1 on every side, so this is the centre 3x3 of
    // the 5x5 scatter above
    float[] w = new float[9];
    Arrays.fill(w, 1);
    float[] y = OpTester.op("TRANSPOSE_CONV").options(options("SAME", 2, "RELU6"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 3, 3, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 3, 3, 1}, w)
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, new float[] {1, 2, 3, 4})
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {1, 3, 2, 4, 6, 6, 3, 6, 4}, y);
  }

  @Test
  void samePaddingWithAnOddTotalPadsAfter() {
    // output 4x4, 3x3 filter, stride 2: total padding 1, none before: the top-left 4x4 of the 5x5 scatter
    float[] w = new float[9];
    Arrays.fill(w, 1);
    float[] y = OpTester.op("TRANSPOSE_CONV").options(options("SAME", 2, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 4, 4, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 3, 3, 1}, w)
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, new float[] {1, 2, 3, 4})
        .noInput()
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {1, 1, 3, 2, 1, 1, 3, 2, 4, 4, 10, 6, 3, 3, 7, 4}, y);
  }

  @Test
  void inputChannelsAreSummed() {
    // 1x1 input with 2 channels (1, 10), 1x1 weights for 2 outputs: [[1, 2], [3, 4]] (OHWI)
    float[] y = OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 1, 1, 2})
        .constant(TensorType.FLOAT32, new int[] {2, 1, 1, 2}, new float[] {1, 2, 3, 4})
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[] {1, 10})
        .output(TensorType.FLOAT32)
        .runFloat();
    assertArrayEquals(new float[] {21, 43}, y);
  }

  // ---- properties

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 2, 3, 5, 17); }

  /** The definition as a gather: out(oy, ox, oc) sums in(iy, ix, ic) * w(oc, ky, kx, ic) over iy * s - pad + ky = oy. */
  @Property(tries = 100)
  void matchesTheGatherDefinition(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 5) int inH,
                                  @ForAll @IntRange(min = 1, max = 5) int inW, @ForAll("channels") int inC,
                                  @ForAll("channels") int outC, @ForAll @IntRange(min = 1, max = 9) int outH,
                                  @ForAll @IntRange(min = 1, max = 9) int outW, @ForAll @IntRange(min = 1, max = 4) int kH,
                                  @ForAll @IntRange(min = 1, max = 4) int kW, @ForAll @IntRange(min = 1, max = 3) int stride,
                                  @ForAll boolean same, @ForAll boolean withBias, @ForAll long seed) {
    Random r = new Random(seed);
    float[] x = random(r, batch * inH * inW * inC), w = random(r, outC * kH * kW * inC), bias = random(r, outC);
    OpTester t = OpTester.op("TRANSPOSE_CONV").options(options(same ? "SAME" : "VALID", stride, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {batch, outH, outW, outC})
        .constant(TensorType.FLOAT32, new int[] {outC, kH, kW, inC}, w)
        .input(TensorType.FLOAT32, new int[] {batch, inH, inW, inC}, x);
    if (withBias) t.constant(TensorType.FLOAT32, new int[] {outC}, bias);
    float[] y = t.output(TensorType.FLOAT32).runFloat();
    int padT = fwdPad(same, outH, kH, stride), padL = fwdPad(same, outW, kW, stride);
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          for (int oc = 0; oc < outC; oc++) {
            double s = withBias ? bias[oc] : 0;
            for (int ky = 0; ky < kH; ky++) {
              for (int kx = 0; kx < kW; kx++) {
                int ny = oy + padT - ky, nx = ox + padL - kx;
                if (ny < 0 || nx < 0 || ny % stride != 0 || nx % stride != 0) continue;
                int iy = ny / stride, ix = nx / stride;
                if (iy >= inH || ix >= inW) continue;
                for (int ic = 0; ic < inC; ic++) {
                  s += (double) x[((b * inH + iy) * inW + ix) * inC + ic] * w[((oc * kH + ky) * kW + kx) * inC + ic];
                }
              }
            }
            float got = y[((b * outH + oy) * outW + ox) * outC + oc];
            assertEquals(s, got, 1e-4 * (1 + Math.abs(s)));
          }
        }
      }
    }
  }

  /**
   * Transposed convolution is the adjoint of CONV_2D (an independent kernel) with the same filter read as
   * [inC, kH, kW, outC]: {@code <conv(a), b> = <a, transposeConv(b)>} when the input has the forward output's size.
   */
  @Property(tries = 40)
  void isTheAdjointOfConv2D(@ForAll @IntRange(min = 1, max = 8) int outH, @ForAll @IntRange(min = 1, max = 8) int outW,
                            @ForAll @IntRange(min = 1, max = 4) int outC, @ForAll @IntRange(min = 1, max = 4) int inC,
                            @ForAll @IntRange(min = 1, max = 3) int k, @ForAll @IntRange(min = 1, max = 3) int stride,
                            @ForAll boolean same, @ForAll long seed) {
    if (!same && k > Math.min(outH, outW)) same = true;
    int inH = DepthwiseConv2DTest.outSize(same, outH, k, stride, 1), inW = DepthwiseConv2DTest.outSize(same, outW, k, stride, 1);
    Random r = new Random(seed);
    float[] a = random(r, outH * outW * outC), bIn = random(r, inH * inW * inC), w = random(r, outC * k * k * inC);
    float[] convW = new float[w.length]; // [inC, k, k, outC]
    for (int oc = 0; oc < outC; oc++)
      for (int p = 0; p < k * k; p++)
        for (int ic = 0; ic < inC; ic++) convW[(ic * k * k + p) * outC + oc] = w[(oc * k * k + p) * inC + ic];
    float[] convA = OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_h", stride).set("stride_w", stride))
        .input(TensorType.FLOAT32, new int[] {1, outH, outW, outC}, a)
        .constant(TensorType.FLOAT32, new int[] {inC, k, k, outC}, convW)
        .output(TensorType.FLOAT32).runFloat();
    float[] tB = OpTester.op("TRANSPOSE_CONV").options(options(same ? "SAME" : "VALID", stride, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, outH, outW, outC})
        .constant(TensorType.FLOAT32, new int[] {outC, k, k, inC}, w)
        .input(TensorType.FLOAT32, new int[] {1, inH, inW, inC}, bIn)
        .output(TensorType.FLOAT32).runFloat();
    double lhs = 0, rhs = 0;
    for (int i = 0; i < convA.length; i++) lhs += (double) convA[i] * bIn[i];
    for (int i = 0; i < tB.length; i++) rhs += (double) a[i] * tB[i];
    assertEquals(lhs, rhs, 1e-3 * (1 + Math.abs(lhs)));
  }

  /** TensorFlow's SAME padding before, of the forward convolution from the output size (dilation 1). */
  static int fwdPad(boolean same, int outSize, int k, int stride) {
    int fwdOut = DepthwiseConv2DTest.outSize(same, outSize, k, stride, 1);
    return DepthwiseConv2DTest.padBefore(same, outSize, k, stride, 1, fwdOut);
  }

  // ---- errors

  static void assertNamesTheOp(UnsupportedOpException e, String what) {
    assertTrue(e.getMessage().contains("TRANSPOSE_CONV") && e.getMessage().contains("operator #0")
        && e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void mismatchedInputChannelsAreRefused() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 2, 2, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 3}, new float[3])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "channels");
  }

  @Test
  void outputShapeDisagreeingWithTheWeightsOrBatchIsRefused() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 2, 2, 3})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "channels");
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {2, 2, 2, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "batch");
  }

  @Test
  void wrongRanksAndShapesAreRefused() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 2, 2, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 2}, new float[2])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "4-D");
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {3}, new int[] {2, 2, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "output_shape");
  }

  @Test
  void aRuntimeOutputShapeNeedsTheDeclaredOutputShape() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .input(TensorType.INT32, new int[] {4}, new int[] {1, 2, 2, 1})
        .constant(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .input(TensorType.FLOAT32, new int[] {1, 2, 2, 2}, new float[8])
        .output(TensorType.FLOAT32).run()), "constant");
  }

  @Test
  void aRuntimeOutputShapeTakesTheDeclaredShapeAndIsCheckedAtEveryRun() {
    OpTester t = OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .input(TensorType.INT32, new int[] {4}, new int[] {1, 1, 1, 2})
        .constant(TensorType.FLOAT32, new int[] {2, 1, 1, 2}, new float[] {1, 2, 3, 4})
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[] {1, 10})
        .output(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, io.kompakt.engine.model.Quantization.NONE);
    assertArrayEquals(new float[] {21, 43}, t.runFloat());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpTester.op("TRANSPOSE_CONV")
        .options(options("VALID", 1, "NONE"))
        .input(TensorType.INT32, new int[] {4}, new int[] {1, 1, 2, 2})
        .constant(TensorType.FLOAT32, new int[] {2, 1, 1, 2}, new float[] {1, 2, 3, 4})
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[] {1, 10})
        .output(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, io.kompakt.engine.model.Quantization.NONE).run());
    assertTrue(e.getMessage().contains("TRANSPOSE_CONV") && e.getMessage().contains("[1, 1, 2, 2]")
        && e.getMessage().contains("[1, 1, 1, 2]"), e.getMessage());
  }

  @Test
  void int8WithoutQuantizationIsRefused() {
    assertNamesTheOp(assertThrows(UnsupportedOpException.class, () -> OpTester.op("TRANSPOSE_CONV").options(options("VALID", 1, "NONE"))
        .constant(TensorType.INT32, new int[] {4}, new int[] {1, 2, 2, 1})
        .constant(TensorType.INT8, new int[] {1, 1, 1, 2}, new byte[2])
        .input(TensorType.INT8, new int[] {1, 2, 2, 2}, new byte[8])
        .output(TensorType.INT8).run()), "has no quantization");
  }
}
