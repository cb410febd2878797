package io.kompakt.ops.resize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.QuantizedCase;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * RESIZE_BILINEAR on int8/int16 against ResizeBilinearInteger written out (Q10 positions, Q20 products, rounding
 * division), on uint8 against the float template plus 0.5; RESIZE_NEAREST_NEIGHBOR copies integer values.
 */
class ResizeIntegerTest {
  @Property(tries = 200)
  void bilinearMatchesTheReferenceDefinitions(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    int b = 1 + r.nextInt(2), h = 1 + r.nextInt(5), w = 1 + r.nextInt(5), c = 1 + r.nextInt(3);
    int nh = 1 + r.nextInt(8), nw = 1 + r.nextInt(8);
    boolean align = r.nextInt(3) == 0, half = !align && r.nextBoolean();
    int[] x = QuantizedCase.values(r, b * h * w * c, t);
    OpTester tester = OpTester.op("RESIZE_BILINEAR")
        .options(FlatTable.of("ResizeBilinearOptions").set("align_corners", align).set("half_pixel_centers", half))
        .input(t, new int[] {b, h, w, c}, QuantizedCase.storage(t, x), QuantizedCase.q(0.1f, 0))
        .constant(TensorType.INT32, new int[] {2}, new int[] {nh, nw})
        .output(t, new int[0], QuantizedCase.q(0.1f, 0));
    tester.run();
    int[] want = new int[b * nh * nw * c];
    for (int n = 0; n < b; n++) for (int y = 0; y < nh; y++) for (int xx = 0; xx < nw; xx++) for (int ch = 0; ch < c; ch++) {
      int o = ((n * nh + y) * nw + xx) * c + ch;
      if (t == TensorType.UINT8) {
        float sy = align && nh > 1 ? (float) (h - 1) / (nh - 1) : (float) h / nh, sx = align && nw > 1 ? (float) (w - 1) / (nw - 1) : (float) w / nw;
        float iy = half ? (y + 0.5f) * sy - 0.5f : y * sy, ix = half ? (xx + 0.5f) * sx - 0.5f : xx * sx;
        int y0 = Math.max((int) Math.floor(iy), 0), y1 = Math.min((int) Math.ceil(iy), h - 1);
        int x0 = Math.max((int) Math.floor(ix), 0), x1 = Math.min((int) Math.ceil(ix), w - 1);
        float v = x[((n * h + y0) * w + x0) * c + ch] * (1 - (iy - y0)) * (1 - (ix - x0))
            + x[((n * h + y1) * w + x0) * c + ch] * (iy - y0) * (1 - (ix - x0))
            + x[((n * h + y0) * w + x1) * c + ch] * (1 - (iy - y0)) * (ix - x0)
            + x[((n * h + y1) * w + x1) * c + ch] * (iy - y0) * (ix - x0) + 0.5f;
        want[o] = (int) v;
      } else {
        int sy = align && nh > 1 ? (1024 * (h - 1) + (nh - 1) / 2) / (nh - 1) : (1024 * h + nh / 2) / nh;
        int sx = align && nw > 1 ? (1024 * (w - 1) + (nw - 1) / 2) / (nw - 1) : (1024 * w + nw / 2) / nw;
        int iy = half ? y * sy + sy / 2 - 512 : y * sy, ix = half ? xx * sx + sx / 2 - 512 : xx * sx;
        int y0 = Math.max(iy / 1024, 0), y1 = Math.min((iy + 1023) / 1024, h - 1);
        int x0 = Math.max(ix / 1024, 0), x1 = Math.min((ix + 1023) / 1024, w - 1);
        long dy = iy - 1024L * y0, dx = ix - 1024L * x0;
        long v = x[((n * h + y0) * w + x0) * c + ch] * (1024 - dy) * (1024 - dx) + x[((n * h + y1) * w + x0) * c + ch] * dy * (1024 - dx)
            + x[((n * h + y0) * w + x1) * c + ch] * (1024 - dy) * dx + x[((n * h + y1) * w + x1) * c + ch] * dy * dx;
        // divide by 2^20 rounding half away from zero
        want[o] = (int) (Math.signum(v) * ((Math.abs(v) + (1 << 19)) >> 20));
      }
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)), t + " " + h + "x" + w + " -> " + nh + "x" + nw + " align " + align + " half " + half);
  }

  @Property(tries = 50)
  void nearestNeighborCopiesIntegers(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    int h = 1 + r.nextInt(4), w = 1 + r.nextInt(4), nh = 1 + r.nextInt(6), nw = 1 + r.nextInt(6);
    int[] x = QuantizedCase.values(r, h * w * 2, t);
    OpTester tester = OpTester.op("RESIZE_NEAREST_NEIGHBOR").options(FlatTable.of("ResizeNearestNeighborOptions"))
        .input(t, new int[] {1, h, w, 2}, QuantizedCase.storage(t, x), QuantizedCase.q(1f, 0))
        .constant(TensorType.INT32, new int[] {2}, new int[] {nh, nw}).output(t, new int[0], QuantizedCase.q(1f, 0));
    tester.run();
    int[] want = new int[nh * nw * 2];
    for (int y = 0; y < nh; y++) for (int xx = 0; xx < nw; xx++) for (int ch = 0; ch < 2; ch++) {
      int iy = Math.min((int) Math.floor(y * ((float) h / nh)), h - 1), ix = Math.min((int) Math.floor(xx * ((float) w / nw)), w - 1);
      want[(y * nw + xx) * 2 + ch] = x[(iy * w + ix) * 2 + ch];
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)));
  }
}
