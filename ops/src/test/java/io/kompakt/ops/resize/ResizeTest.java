package io.kompakt.ops.resize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR. */
class ResizeTest {
  static OpTester bilinear(int[] shape, float[] x, int newH, int newW, boolean align, boolean half) {
    return OpTester.op("RESIZE_BILINEAR")
        .options(FlatTable.of("ResizeBilinearOptions").set("align_corners", align).set("half_pixel_centers", half))
        .input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {2}, new int[] {newH, newW})
        .output(TensorType.FLOAT32);
  }

  static OpTester nearest(int[] shape, float[] x, int newH, int newW, boolean align, boolean half) {
    return OpTester.op("RESIZE_NEAREST_NEIGHBOR")
        .options(FlatTable.of("ResizeNearestNeighborOptions").set("align_corners", align).set("half_pixel_centers", half))
        .input(TensorType.FLOAT32, shape, x)
        .constant(TensorType.INT32, new int[] {2}, new int[] {newH, newW})
        .output(TensorType.FLOAT32);
  }

  static final float[] SQUARE = {3, 6, 9, 12};
  static final int[] SQUARE_SHAPE = {1, 2, 2, 1};

  // ---- bilinear, hand computed

  @Test
  void bilinearTwoToThree() {
    // scale 2/3: rows sample 0, 2/3 and 4/3 (clamped to row 1)
    OpTester t = bilinear(SQUARE_SHAPE, SQUARE, 3, 3, false, false);
    assertArrayEquals(new float[] {3, 5, 6, 7, 9, 10, 9, 11, 12}, t.runFloat(), 1e-5f);
    assertArrayEquals(new int[] {1, 3, 3, 1}, t.outputTensor(0).shape);
  }

  @Test
  void bilinearTwoToThreeAlignCorners() {
    // scale 1/2: the corners map onto the corners
    assertArrayEquals(new float[] {3, 4.5f, 6, 6, 7.5f, 9, 9, 10.5f, 12},
        bilinear(SQUARE_SHAPE, SQUARE, 3, 3, true, false).runFloat(), 1e-5f);
  }

  @Test
  void bilinearTwoToFour() {
    // scale 1/2: samples 0, 0.5, 1, 1.5 (the last two read row/column 1 only)
    assertArrayEquals(new float[] {3, 4.5f, 6, 6, 6, 7.5f, 9, 9, 9, 10.5f, 12, 12, 9, 10.5f, 12, 12},
        bilinear(SQUARE_SHAPE, SQUARE, 4, 4, false, false).runFloat(), 1e-5f);
  }

  @Test
  void bilinearTwoToFourHalfPixelCenters() {
    // samples (y + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25: the outer ones clamp to the edge rows
    assertArrayEquals(new float[] {3, 3.75f, 5.25f, 6, 4.5f, 5.25f, 6.75f, 7.5f, 7.5f, 8.25f, 9.75f, 10.5f, 9, 9.75f, 11.25f, 12},
        bilinear(SQUARE_SHAPE, SQUARE, 4, 4, false, true).runFloat(), 1e-5f);
  }

  @Test
  void bilinearDownscaleEveryMode() {
    // one row of 4 with three channels (v, v + 100, v + 200) to width 2
    float[] x = new float[12];
    for (int i = 0; i < 4; i++) for (int c = 0; c < 3; c++) x[3 * i + c] = i + 100 * c;
    // plain: samples 0, 2; align: scale 3, samples 0, 3; half: (x + 0.5) * 2 - 0.5 = 0.5, 2.5
    assertArrayEquals(new float[] {0, 100, 200, 2, 102, 202}, bilinear(new int[] {1, 1, 4, 3}, x, 1, 2, false, false).runFloat(), 1e-5f);
    assertArrayEquals(new float[] {0, 100, 200, 3, 103, 203}, bilinear(new int[] {1, 1, 4, 3}, x, 1, 2, true, false).runFloat(), 1e-5f);
    assertArrayEquals(new float[] {0.5f, 100.5f, 200.5f, 2.5f, 102.5f, 202.5f},
        bilinear(new int[] {1, 1, 4, 3}, x, 1, 2, false, true).runFloat(), 1e-5f);
  }

  @Test
  void bilinearAlignCornersToOneRowUsesThePlainScale() {
    // output size 1: align_corners has no (out - 1) to divide by, so the scale is in/out and the sample is 0
    assertArrayEquals(new float[] {3}, bilinear(SQUARE_SHAPE, SQUARE, 1, 1, true, false).runFloat());
  }

  // ---- nearest neighbour, hand computed

  static final float[] ROW = {0, 1, 2, 3};
  static final int[] ROW_SHAPE = {1, 1, 4, 1};

  @Test
  void nearestFourToThreeInEveryMode() {
    // plain: floor(x * 4/3) = 0 1 2; align: round(x * 1.5) = 0 2 3 (1.5 rounds away from zero);
    // half: floor((x + 0.5) * 4/3) = 0 2 3; both: round((x + 0.5) * 1.5) = 1 2 4 -> 3
    assertArrayEquals(new float[] {0, 1, 2}, nearest(ROW_SHAPE, ROW, 1, 3, false, false).runFloat());
    assertArrayEquals(new float[] {0, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 3, true, false).runFloat());
    assertArrayEquals(new float[] {0, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 3, false, true).runFloat());
    assertArrayEquals(new float[] {1, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 3, true, true).runFloat());
  }

  @Test
  void nearestFourToFiveInEveryMode() {
    // plain: floor(0.8x) = 0 0 1 2 3; align: round(0.75x) = 0 1 2 2 3; half: floor(0.8x + 0.4) = 0 1 2 2 3
    assertArrayEquals(new float[] {0, 0, 1, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 5, false, false).runFloat());
    assertArrayEquals(new float[] {0, 1, 2, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 5, true, false).runFloat());
    assertArrayEquals(new float[] {0, 1, 2, 2, 3}, nearest(ROW_SHAPE, ROW, 1, 5, false, true).runFloat());
  }

  @Test
  void nearestDoublesAnImageWithThreeChannels() {
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // 2x2 pixels of 3 channels
    OpTester t = nearest(new int[] {1, 2, 2, 3}, x, 4, 4, false, false);
    float[] y = t.runFloat();
    assertArrayEquals(new int[] {1, 4, 4, 3}, t.outputTensor(0).shape);
    for (int oy = 0; oy < 4; oy++) {
      for (int ox = 0; ox < 4; ox++) {
        for (int c = 0; c < 3; c++) assertEquals(x[((oy / 2) * 2 + ox / 2) * 3 + c], y[(oy * 4 + ox) * 3 + c]);
      }
    }
  }

  // ---- properties

  /**
   * Bilinear as a tent filter, in double: sample the input at TFLite's source coordinate (clamped to the image) with
   * weights max(0, 1 - |distance|) per dimension.
   */
  @Property(tries = 120)
  void bilinearIsATentFilterAtTheSourceCoordinate(@ForAll @IntRange(min = 1, max = 2) int batch, @ForAll @IntRange(min = 1, max = 6) int h,
                                                  @ForAll @IntRange(min = 1, max = 6) int w, @ForAll @IntRange(min = 1, max = 5) int c,
                                                  @ForAll @IntRange(min = 1, max = 11) int newH, @ForAll @IntRange(min = 1, max = 11) int newW,
                                                  @ForAll boolean align, @ForAll boolean half, @ForAll long seed) {
    if (align && half) half = false;
    Random r = new Random(seed);
    float[] x = new float[batch * h * w * c];
    for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
    OpTester t = bilinear(new int[] {batch, h, w, c}, x, newH, newW, align, half);
    float[] y = t.runFloat();
    assertArrayEquals(new int[] {batch, newH, newW, c}, t.outputTensor(0).shape);
    for (int b = 0; b < batch; b++) {
      for (int oy = 0; oy < newH; oy++) {
        double sy = source(oy, h, newH, align, half);
        for (int ox = 0; ox < newW; ox++) {
          double sx = source(ox, w, newW, align, half);
          for (int ch = 0; ch < c; ch++) {
            double want = 0;
            for (int iy = 0; iy < h; iy++) {
              for (int ix = 0; ix < w; ix++) {
                double weight = Math.max(0, 1 - Math.abs(sy - iy)) * Math.max(0, 1 - Math.abs(sx - ix));
                want += weight * x[((b * h + iy) * w + ix) * c + ch];
              }
            }
            assertEquals(want, y[((b * newH + oy) * newW + ox) * c + ch], 1e-4, "b" + b + " y" + oy + " x" + ox + " c" + ch);
          }
        }
      }
    }
  }

  /** The source coordinate of output index o, clamped to [0, in - 1]. */
  static double source(int o, int in, int out, boolean align, boolean half) {
    double scale = align && out > 1 ? (in - 1) / (double) (out - 1) : in / (double) out;
    double s = half ? (o + 0.5) * scale - 0.5 : o * scale;
    return Math.min(Math.max(s, 0), in - 1);
  }

  /**
   * Resizing to the same size is the identity for both ops, in every mode but nearest neighbour with align_corners and
   * half_pixel_centers together (TFLite rounds (o + 0.5) * 1 up there: see {@link #nearestFourToThreeInEveryMode}).
   */
  @Property(tries = 60)
  void sameSizeIsTheIdentity(@ForAll @IntRange(min = 1, max = 7) int h, @ForAll @IntRange(min = 1, max = 7) int w,
                             @ForAll @IntRange(min = 1, max = 4) int c, @ForAll boolean align, @ForAll boolean half,
                             @ForAll boolean bilinear, @ForAll long seed) {
    if (align && half) half = false;
    Random r = new Random(seed);
    float[] x = new float[h * w * c];
    for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
    int[] shape = {1, h, w, c};
    float[] y = (bilinear ? bilinear(shape, x, h, w, align, half) : nearest(shape, x, h, w, align, half)).runFloat();
    assertArrayEquals(x, y, 1e-6f);
  }

  /**
   * Nearest neighbour: each output pixel is a whole input pixel (every channel from the same place) whose source index
   * is TFLite's: floor, or round half away from zero with align_corners, of (o + offset) * scale, clamped.
   */
  @Property(tries = 120)
  void nearestCopiesTheNearestPixel(@ForAll @IntRange(min = 1, max = 6) int h, @ForAll @IntRange(min = 1, max = 6) int w,
                                    @ForAll @IntRange(min = 1, max = 3) int c, @ForAll @IntRange(min = 1, max = 13) int newH,
                                    @ForAll @IntRange(min = 1, max = 13) int newW, @ForAll boolean align, @ForAll boolean half) {
    // input values encode their position: 1000y + 10x + channel
    float[] x = new float[h * w * c];
    for (int iy = 0; iy < h; iy++) for (int ix = 0; ix < w; ix++) for (int ch = 0; ch < c; ch++) x[(iy * w + ix) * c + ch] = 1000 * iy + 10 * ix + ch;
    float[] y = nearest(new int[] {1, h, w, c}, x, newH, newW, align, half).runFloat();
    for (int oy = 0; oy < newH; oy++) {
      for (int ox = 0; ox < newW; ox++) {
        int iy = nearestIndex(oy, h, newH, align, half), ix = nearestIndex(ox, w, newW, align, half);
        for (int ch = 0; ch < c; ch++) {
          assertEquals(1000 * iy + 10 * ix + ch, y[(oy * newW + ox) * c + ch], "y" + oy + " x" + ox + " c" + ch);
        }
      }
    }
  }

  /** Written from TFLite's definition, with float arithmetic as TFLite's (the cases here never tie in float). */
  static int nearestIndex(int o, int in, int out, boolean align, boolean half) {
    float scale = align && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
    float s = (o + (half ? 0.5f : 0f)) * scale;
    int i = align ? Math.round(s) : (int) Math.floor(s); // s >= 0: Math.round is half away from zero here
    i = Math.min(i, in - 1);
    return Math.max(i, 0);
  }

  /** Integer upscaling by k repeats each pixel k times (plain and half-pixel); integer downscaling by k picks every k-th. */
  @Property(tries = 60)
  void integerFactors(@ForAll @IntRange(min = 1, max = 5) int n, @ForAll @IntRange(min = 1, max = 4) int k, @ForAll boolean half) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = i;
    float[] up = nearest(new int[] {1, 1, n, 1}, x, 1, n * k, false, half).runFloat();
    for (int o = 0; o < n * k; o++) assertEquals(o / k, up[o], "up at " + o);
    float[] big = new float[n * k];
    for (int i = 0; i < n * k; i++) big[i] = i;
    float[] down = nearest(new int[] {1, 1, n * k, 1}, big, 1, n, false, half).runFloat();
    // plain floor(o * k) = o * k; half-pixel floor((o + 0.5) * k) = o * k + k / 2
    for (int o = 0; o < n; o++) assertEquals(half ? o * k + k / 2 : o * k, down[o], "down at " + o);
  }

  // ---- errors

  static void assertRefused(String op, OpTester t, String what) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, t::run);
    assertTrue(e.getMessage().contains(op) && e.getMessage().contains("operator #0") && e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void bilinearRefusesAlignCornersWithHalfPixelCenters() {
    assertRefused("RESIZE_BILINEAR", bilinear(SQUARE_SHAPE, SQUARE, 3, 3, true, true), "half_pixel_centers");
  }

  @Test
  void wrongRankAndBadSizesAreRefused() {
    assertRefused("RESIZE_BILINEAR", bilinear(new int[] {2, 2, 1}, SQUARE, 3, 3, false, false), "4-D");
    assertRefused("RESIZE_NEAREST_NEIGHBOR", nearest(SQUARE_SHAPE, SQUARE, 0, 3, false, false), "positive");
    assertRefused("RESIZE_NEAREST_NEIGHBOR", OpTester.op("RESIZE_NEAREST_NEIGHBOR").options(FlatTable.of("ResizeNearestNeighborOptions"))
        .input(TensorType.FLOAT32, SQUARE_SHAPE, SQUARE)
        .constant(TensorType.INT32, new int[] {3}, new int[] {1, 3, 3})
        .output(TensorType.FLOAT32), "size");
    assertRefused("RESIZE_BILINEAR", OpTester.op("RESIZE_BILINEAR").options(FlatTable.of("ResizeBilinearOptions"))
        .input(TensorType.FLOAT32, SQUARE_SHAPE, SQUARE)
        .input(TensorType.INT32, new int[] {2}, new int[] {3, 3})
        .output(TensorType.FLOAT32), "constant");
  }

  @Test
  void bilinearOnInt32IsNotSupported() {
    assertRefused("RESIZE_BILINEAR", OpTester.op("RESIZE_BILINEAR").options(FlatTable.of("ResizeBilinearOptions"))
        .input(TensorType.INT32, SQUARE_SHAPE, new int[4])
        .constant(TensorType.INT32, new int[] {2}, new int[] {3, 3})
        .output(TensorType.INT32), "input type int32 is not supported yet");
  }
}
