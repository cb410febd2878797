package io.kompakt.ops.pool;

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

class Pool2DTest {
  static FlatTable options(String padding, int filterH, int filterW, int strideH, int strideW, String activation) {
    return FlatTable.of("Pool2DOptions").set("padding", padding).set("filter_height", filterH).set("filter_width", filterW)
        .set("stride_h", strideH).set("stride_w", strideW).set("fused_activation_function", activation);
  }

  static float[] iota(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    return x;
  }

  static float[] pool(String op, FlatTable o, int[] shape, float[] x) {
    return OpTester.op(op).options(o).input(TensorType.FLOAT32, shape, x).output(TensorType.FLOAT32).runFloat();
  }

  @Test
  void averageDividesByTheInBoundsCountWithPaddingOnEverySide() {
    // 3x3 input 0..8, 3x3 window SAME stride 1: padding 1 on every side; the corner (0,0) averages 0 1 3 4 over 4
    float[] y = pool("AVERAGE_POOL_2D", options("SAME", 3, 3, 1, 1, "NONE"), new int[] {1, 3, 3, 1}, iota(9));
    assertArrayEquals(new float[] {2, 2.5f, 3, 3.5f, 4, 4.5f, 5, 5.5f, 6}, y);
  }

  @Test
  void averageWithOddTotalPaddingAfter() {
    // 4x4 input 4y + x, 2x2 window SAME stride 1: padding 0 before, 1 after
    float[] y = pool("AVERAGE_POOL_2D", options("SAME", 2, 2, 1, 1, "NONE"), new int[] {1, 4, 4, 1}, iota(16));
    assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f, 5, 6.5f, 7.5f, 8.5f, 9, 10.5f, 11.5f, 12.5f, 13, 12.5f, 13.5f, 14.5f, 15}, y);
  }

  @Test
  void averageStrideTwoValidOnAnOddInputWithThreeChannels() {
    // 5x5x3, channel c = 100c + 5y + x; 2x2 window, stride 2, VALID: output 2x2, the last row and column are dropped
    float[] x = new float[75];
    for (int i = 0; i < 25; i++) for (int c = 0; c < 3; c++) x[i * 3 + c] = 100 * c + i;
    float[] y = pool("AVERAGE_POOL_2D", options("VALID", 2, 2, 2, 2, "NONE"), new int[] {1, 5, 5, 3}, x);
    float[] base = {3, 5, 13, 15};
    float[] want = new float[12];
    for (int p = 0; p < 4; p++) for (int c = 0; c < 3; c++) want[p * 3 + c] = base[p] + 100 * c;
    assertArrayEquals(want, y);
  }

  @Test
  void averageNonSquareWindowAndStrides() {
    // 3x4 input 4y + x, window 1 high 3 wide, stride (2, 1), SAME: rows 0 and 2; columns padded 1 each side
    float[] y = pool("AVERAGE_POOL_2D", options("SAME", 1, 3, 2, 1, "RELU6"), new int[] {1, 3, 4, 1}, iota(12));
    // row 0: (0+1)/2, (0+1+2)/3, (1+2+3)/3, (2+3)/2; row 2: 8.5, 9, 10, 10.5, clamped to 6
    assertArrayEquals(new float[] {0.5f, 1, 2, 2.5f, 6, 6, 6, 6}, y);
  }

  @Test
  void maxOfAllNegativeWindowsIsNotZero() {
    // padding is not a value: the max of negatives stays negative
    float[] x = new float[9];
    for (int i = 0; i < 9; i++) x[i] = -1 - i;
    float[] y = pool("MAX_POOL_2D", options("SAME", 3, 3, 2, 2, "NONE"), new int[] {1, 3, 3, 1}, x);
    // windows (SAME, stride 2 on 3: out 2, padding 1 before): rows {0,1}, {1,2}
    assertArrayEquals(new float[] {-1, -2, -4, -5}, y);
  }

  @Test
  void maxWithReluAndTwoBatches() {
    float[] x = {1, -5, 3, 2, -1, -2, -3, -4};
    float[] y = pool("MAX_POOL_2D", options("VALID", 2, 2, 2, 2, "RELU"), new int[] {2, 2, 2, 1}, x);
    assertArrayEquals(new float[] {3, 0}, y);
  }

  @Test
  void maxWithSeventeenChannelsAndOddPadding() {
    // 2x3x17: channel c holds c * (value); 2x2 window SAME stride 1 pads 1 after on both dimensions
    float[] base = {1, 5, 2, 4, 0, 3};
    float[] x = new float[6 * 17];
    for (int p = 0; p < 6; p++) for (int c = 0; c < 17; c++) x[p * 17 + c] = base[p] * (c % 2 == 0 ? 1 : -1);
    float[] y = pool("MAX_POOL_2D", options("SAME", 2, 2, 1, 1, "NONE"), new int[] {1, 2, 3, 17}, x);
    float[] even = {5, 5, 3, 4, 3, 3}, odd = {-0f, -0f, -2, -0f, -0f, -3};
    for (int p = 0; p < 6; p++) {
      for (int c = 0; c < 17; c++) assertEquals(c % 2 == 0 ? even[p] : odd[p], y[p * 17 + c], 0, "p" + p + " c" + c);
    }
  }

  // ---- properties

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 2, 3, 5, 17); }

  /** The definition: average (and max) over the window cells that lie inside the input. */
  @Property(tries = 120)
  void matchesTheInBoundsWindowDefinition(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 8) int h,
                                          @ForAll @IntRange(min = 1, max = 8) int w, @ForAll("channels") int c,
                                          @ForAll @IntRange(min = 1, max = 4) int fH, @ForAll @IntRange(min = 1, max = 4) int fW,
                                          @ForAll @IntRange(min = 1, max = 3) int sH, @ForAll @IntRange(min = 1, max = 3) int sW,
                                          @ForAll boolean same, @ForAll boolean average, @ForAll long seed) {
    if (!same && (fH > h || fW > w)) same = true;
    Random r = new Random(seed);
    float[] x = new float[batch * h * w * c];
    for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 20 - 10;
    OpTester t = OpTester.op(average ? "AVERAGE_POOL_2D" : "MAX_POOL_2D")
        .options(options(same ? "SAME" : "VALID", fH, fW, sH, sW, "NONE"))
        .input(TensorType.FLOAT32, new int[] {batch, h, w, c}, x).output(TensorType.FLOAT32);
    float[] y = t.runFloat();
    int outH = same ? (h + sH - 1) / sH : (h - fH) / sH + 1, outW = same ? (w + sW - 1) / sW : (w - fW) / sW + 1;
    int padT = same ? Math.max((outH - 1) * sH + fH - h, 0) / 2 : 0, padL = same ? Math.max((outW - 1) * sW + fW - w, 0) / 2 : 0;
    assertArrayEquals(new int[] {batch, outH, outW, c}, t.outputTensor(0).shape);
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          for (int ch = 0; ch < c; ch++) {
            double sum = 0, max = Double.NEGATIVE_INFINITY;
            int n = 0;
            for (int y0 = oy * sH - padT; y0 < oy * sH - padT + fH; y0++) {
              for (int x0 = ox * sW - padL; x0 < ox * sW - padL + fW; x0++) {
                if (y0 < 0 || y0 >= h || x0 < 0 || x0 >= w) continue;
                double v = x[((b * h + y0) * w + x0) * c + ch];
                sum += v;
                max = Math.max(max, v);
                n++;
              }
            }
            double want = average ? sum / n : max;
            assertEquals(want, y[((b * outH + oy) * outW + ox) * c + ch], 1e-4, "b" + b + " y" + oy + " x" + ox + " c" + ch);
          }
        }
      }
    }
  }

  // ---- errors

  static void assertRefused(String op, FlatTable o, int[] shape, String what) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
        () -> OpTester.op(op).options(o).input(TensorType.FLOAT32, shape, new float[size(shape)]).output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains(op) && e.getMessage().contains("operator #0") && e.getMessage().contains(what), e.getMessage());
  }

  static int size(int[] shape) {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  @Test
  void wrongRankIsRefused() {
    assertRefused("AVERAGE_POOL_2D", options("VALID", 1, 1, 1, 1, "NONE"), new int[] {2, 2, 2}, "4-D");
    assertRefused("MAX_POOL_2D", options("VALID", 1, 1, 1, 1, "NONE"), new int[] {1, 1, 2, 2, 2}, "4-D");
  }

  @Test
  void zeroStrideOrFilterAndAValidFilterLargerThanTheInputAreRefused() {
    assertRefused("AVERAGE_POOL_2D", options("VALID", 1, 1, 0, 1, "NONE"), new int[] {1, 2, 2, 1}, "positive");
    assertRefused("MAX_POOL_2D", options("SAME", 0, 1, 1, 1, "NONE"), new int[] {1, 2, 2, 1}, "positive");
    assertRefused("MAX_POOL_2D", options("VALID", 3, 1, 1, 1, "NONE"), new int[] {1, 2, 2, 1}, "does not fit");
  }

  @Test
  void unsupportedActivationAndTypeAreRefused() {
    assertRefused("AVERAGE_POOL_2D", options("VALID", 1, 1, 1, 1, "SIGN_BIT"), new int[] {1, 2, 2, 1}, "SIGN_BIT");
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("MAX_POOL_2D")
        .options(options("VALID", 1, 1, 1, 1, "NONE")).input(TensorType.INT32, new int[] {1, 2, 2, 1}, new int[4])
        .output(TensorType.INT32).run());
    assertTrue(e.getMessage().contains("MAX_POOL_2D") && e.getMessage().contains("input type int32 is not supported yet"), e.getMessage());
    // quantized pooling works on raw values: the output must be quantized as the input
    UnsupportedOpException q = assertThrows(UnsupportedOpException.class, () -> OpTester.op("MAX_POOL_2D")
        .options(options("VALID", 1, 1, 1, 1, "NONE"))
        .input(TensorType.INT8, new int[] {1, 2, 2, 1}, new byte[4], io.kompakt.engine.model.Quantization.perTensor(0.5f, 0))
        .output(TensorType.INT8, new int[0], io.kompakt.engine.model.Quantization.perTensor(0.25f, 0)).run());
    assertTrue(q.getMessage().contains("quantized alike"), q.getMessage());
  }
}
