package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.VectorSupport;

/**
 * Fast float32 CONV_2D: picks and prepares a kernel for one geometry. Same results as {@link Conv2dReference} up to
 * float rounding (the sums are taken in another order: bias first, then taps in (ky, kx, ic) order; the vector kernels
 * use fused multiply-adds).
 *
 * <p>Paths: a 1x1 filter without padding is a matrix product, pixels x [inC][outC] ({@link Conv2dF32Gemm1x1Scalar},
 * {@link Conv2dF32Gemm1x1Vector}); every other filter (3x3, 5x5, any size, stride, dilation, padding) runs directly
 * over (ky, kx, ic) with output channels innermost, border pixels over their valid taps only
 * ({@link Conv2dF32DirectScalar}, {@link Conv2dF32DirectVector}); no im2col copy, the packed weights serve as its
 * matrix. Weights are repacked once, at prepare, into blocks of output channels: [block][kH][kW][inC][width]
 * zero-padded for the vector kernels, and one array per (block, tap) row for the scalar ones (see
 * {@link Conv2dF32Gemm1x1Scalar} for why).
 *
 * <p>Work is split over the {@link Parallel}'s threads by (pixels or rows) x (output-channel blocks); every output
 * element is computed by one thread in one fixed order, so results are bit-identical for any thread count. After
 * warm-up a run allocates nothing (scratch is per thread, made at prepare). A prepared kernel is not thread-safe (one
 * per interpreter, as the interpreter itself).
 *
 * <p>The filter and bias must be constant: they are read here, at prepare, and not again.
 */
public final class Conv2dF32Fast {
  private Conv2dF32Fast() {}

  /** A prepared convolution: reads the NHWC input at {@code inOff}, writes the NHWC output at {@code outOff}. */
  public interface Kernel {
    void run(float[] in, int inOff, float[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param filter  OHWI filter [outC][kH][kW][inC] from {@code fOff}
   * @param bias    [outC] from {@code bOff}, or null
   * @param vector  use the Vector API kernels; requires {@link VectorSupport#available()}
   * @param parallel threads to split the work over, or null for the calling thread only
   * @throws UnsupportedOperationException if {@code vector} and the Vector API is not available
   */
  public static Kernel prepare(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                               float max, boolean vector, Parallel parallel) {
    check(g);
    if (vector) {
      if (!VectorSupport.available()) {
        throw new UnsupportedOperationException("vector kernels need the Vector API: " + VectorSupport.describe());
      }
      return isGemm1x1(g) ? Conv2dF32Gemm1x1Vector.create(g, filter, fOff, bias, bOff, min, max, parallel)
          : Conv2dF32DirectVector.create(g, filter, fOff, bias, bOff, min, max, parallel);
    }
    return isGemm1x1(g) ? new Conv2dF32Gemm1x1Scalar(g, filter, fOff, bias, bOff, min, max, parallel)
        : new Conv2dF32DirectScalar(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  /** Which path {@link #prepare} takes for a geometry: "gemm1x1" or "direct". */
  public static String path(Conv2dReference.Geometry g) { return isGemm1x1(g) ? "gemm1x1" : "direct"; }

  /** A 1x1 filter without padding whose every output pixel reads an input pixel: a matrix product. */
  static boolean isGemm1x1(Conv2dReference.Geometry g) {
    return g.kH() == 1 && g.kW() == 1 && g.padTop() == 0 && g.padLeft() == 0
        && (long) (g.outH() - 1) * g.strideH() < g.inH() && (long) (g.outW() - 1) * g.strideW() < g.inW();
  }

  private static void check(Conv2dReference.Geometry g) {
    if (g.batch() < 0 || g.inH() < 1 || g.inW() < 1 || g.inC() < 1 || g.outH() < 0 || g.outW() < 0 || g.outC() < 1
        || g.kH() < 1 || g.kW() < 1 || g.strideH() < 1 || g.strideW() < 1 || g.dilationH() < 1 || g.dilationW() < 1) {
      throw new IllegalArgumentException("bad convolution geometry " + g);
    }
    long in = (long) g.batch() * g.inH() * g.inW() * g.inC(), out = (long) g.batch() * g.outH() * g.outW() * g.outC();
    long filter = (long) g.outC() * g.kH() * g.kW() * g.inC();
    if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE || filter > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("convolution too large for int indexing: " + g);
    }
  }

  /**
   * The filter as blocks of {@code width} output channels: [block][kH][kW][inC][width], the last block zero-padded
   * (for the vector kernels).
   */
  static float[] packFilter(Conv2dReference.Geometry g, float[] filter, int fOff, int width) {
    int outC = g.outC(), taps = g.kH() * g.kW() * g.inC(), blocks = blocks(outC, width);
    float[] p = new float[blocks * taps * width];
    for (int oc = 0; oc < outC; oc++) {
      int blk = oc / width, j = oc % width, dst = blk * taps * width + j, src = fOff + oc * taps;
      for (int t = 0; t < taps; t++) p[dst + t * width] = filter[src + t];
    }
    return p;
  }

  /** The bias padded with zeros to {@code blocks(n, width) * width} values (zeros when there is none). */
  static float[] packBias(float[] bias, int bOff, int n, int width) {
    float[] p = new float[blocks(n, width) * width];
    if (bias != null) System.arraycopy(bias, bOff, p, 0, n);
    return p;
  }

  static int blocks(int n, int width) { return (n + width - 1) / width; }

  /**
   * For the vector kernels' blocks of two vectors of {@code lanes}: with a single, partial block of {@code outC}
   * channels, how many following pixels a pixel's whole-vector stores (one vector below {@code lanes} channels, two
   * above) run into; -1 where a pixel's stores never run over (whole blocks, one exact vector, several blocks).
   */
  static int runOverPixels(int outC, int lanes) {
    int width = 2 * lanes;
    if (outC >= width || outC == lanes) return -1;
    return ((outC < lanes ? lanes : width) - 1) / outC;
  }

  /** {@link Parallel#grain}. */
  static int grain(long macsPerItem) { return Parallel.grain(macsPerItem); }

  /** {@link Parallel#run}. */
  static void forRange(Parallel parallel, int n, int grain, Parallel.Body body) { Parallel.run(parallel, n, grain, body); }

  /** Per output coordinate, the first valid tap: the least k with 0 <= o*stride - pad + k*dilation. */
  static int[] firstTap(int out, int in, int k, int stride, int dilation, int pad) {
    int[] r = new int[out];
    for (int o = 0; o < out; o++) {
      int t = 0, base = o * stride - pad;
      while (t < k && base + t * dilation < 0) t++;
      r[o] = t;
    }
    return r;
  }

  /** Per output coordinate, one past the last valid tap: the greatest k with o*stride - pad + k*dilation < in, plus 1. */
  static int[] endTap(int out, int in, int k, int stride, int dilation, int pad) {
    int[] r = new int[out];
    for (int o = 0; o < out; o++) {
      int t = k, base = o * stride - pad;
      while (t > 0 && base + (t - 1) * dilation >= in) t--;
      r[o] = t;
    }
    return r;
  }
}
