package io.kompakt.data;

import org.joml.Matrix3x2d;
import org.joml.Vector2d;

/**
 * Bilinear resizing as Pillow's {@code Image.resize(size, BILINEAR)} does it (the goldens' preprocessing): a
 * separable triangle filter whose support widens with the down-scaling factor (so shrinking averages, not
 * samples), horizontal pass then vertical, 8-bit fixed-point coefficients with 22 fractional bits, rounded
 * and clipped to 0..255 after each pass.
 */
public final class Resize {
  private static final int PRECISION_BITS = 32 - 8 - 2;

  private Resize() {}

  /** The image resized to {@code w} x {@code h}. */
  public static RgbImage bilinear(RgbImage src, int w, int h) {
    if (w < 1 || h < 1) throw new IllegalArgumentException("target size must be positive: " + w + "x" + h);
    // The output-to-input mapping of pixel centres, as an affine transform: in = (out + 0.5) * scale.
    Matrix3x2d toInput = new Matrix3x2d().scale((double) src.width() / w, (double) src.height() / h).translate(0.5, 0.5);
    RgbImage tmp = src.width() == w ? src : pass(src, w, true, toInput);
    return tmp.height() == h ? tmp : pass(tmp, h, false, toInput);
  }

  private static RgbImage pass(RgbImage in, int outSize, boolean horizontal, Matrix3x2d toInput) {
    int inSize = horizontal ? in.width() : in.height();
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 1.0 * filterScale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[outSize * 2];
    int[] coeffs = new int[outSize * ksize];
    Vector2d v = new Vector2d();
    for (int o = 0; o < outSize; o++) {
      v.set(o, o);
      toInput.transformPosition(v);
      double center = horizontal ? v.x : v.y;
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
      double[] k = new double[xmax];
      double ww = 0;
      for (int x = 0; x < xmax; x++) {
        double t = Math.abs((x + xmin - center + 0.5) / filterScale);
        double wgt = t < 1.0 ? 1.0 - t : 0.0;
        k[x] = wgt;
        ww += wgt;
      }
      for (int x = 0; x < xmax; x++) {
        double kk = ww != 0 ? k[x] / ww : 0;
        coeffs[o * ksize + x] = (int) (kk < 0 ? kk * (1 << PRECISION_BITS) - 0.5 : kk * (1 << PRECISION_BITS) + 0.5);
      }
      bounds[2 * o] = xmin;
      bounds[2 * o + 1] = xmax;
    }
    int w = horizontal ? outSize : in.width(), h = horizontal ? in.height() : outSize;
    byte[] out = new byte[w * h * 3];
    byte[] src = in.rgb();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int o = horizontal ? x : y;
        int xmin = bounds[2 * o], xmax = bounds[2 * o + 1];
        for (int c = 0; c < 3; c++) {
          long ss = 1L << (PRECISION_BITS - 1);
          for (int i = 0; i < xmax; i++) {
            int sx = horizontal ? xmin + i : x, sy = horizontal ? y : xmin + i;
            ss += (long) (src[(sy * in.width() + sx) * 3 + c] & 0xFF) * coeffs[o * ksize + i];
          }
          long val = ss >> PRECISION_BITS;
          out[(y * w + x) * 3 + c] = (byte) Math.max(0, Math.min(255, val));
        }
      }
    }
    return new RgbImage(w, h, out);
  }
}
