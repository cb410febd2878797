package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.ScratchPool;

/**
 * 1x1 CONV_2D without padding as a matrix product in plain Java: out[p][oc] = bias[oc] + sum_ic in[p][ic] * w[ic][oc],
 * written for C2's auto-vectorisation.
 *
 * <p>C2 (JDK 17 to 25) turns a loop into SIMD only when it can tell that its stores do not feed its loads in a later
 * iteration; with float arrays that may be one and the same, it can only when every array is indexed by the same
 * expression. So the innermost loop is {@code acc[j] = acc[j] + a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j]}:
 * a row accumulator taken from a per-thread {@link ScratchPool} slot, and weight rows that are arrays of their own
 * ({@code [block][inC]} rows of up to {@value #MAX_WIDTH} output channels), all indexed by {@code j}. Four input channels
 * go into one statement, which Java evaluates left to right: the same rounding as one at a time. Bias initialises the
 * accumulator; the clamp runs in it; {@code System.arraycopy} stores it.
 */
final class Conv2dF32Gemm1x1Scalar implements Conv2dF32Fast.Kernel {
  /** Most output channels per block: long loops, as C2 unrolls its SIMD loops several vectors deep. */
  static final int MAX_WIDTH = 512;
  /** Output pixels per work item. */
  static final int PIXELS = 16;

  private final int inC, outC, outH, outW, inH, inW, strideH, strideW, pixels, bw, blocks, items, grain;
  private final boolean contiguous;
  private final float[][] rows, biasRows;
  private final float min, max;
  private final ScratchPool scratch;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private float[] in, out;
  private int inOff, outOff;

  Conv2dF32Gemm1x1Scalar(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min, float max,
                         Parallel parallel) {
    this.inC = g.inC();
    this.outC = g.outC();
    this.inH = g.inH();
    this.inW = g.inW();
    this.outH = g.outH();
    this.outW = g.outW();
    this.strideH = g.strideH();
    this.strideW = g.strideW();
    this.contiguous = g.strideH() == 1 && g.strideW() == 1 && g.inH() == g.outH() && g.inW() == g.outW();
    this.pixels = g.batch() * g.outH() * g.outW();
    this.bw = blockWidth(outC);
    this.blocks = Conv2dF32Fast.blocks(outC, bw);
    this.items = Conv2dF32Fast.blocks(pixels, PIXELS) * blocks;
    this.grain = Conv2dF32Fast.grain((long) PIXELS * inC * bw);
    this.rows = weightRows(g, filter, fOff, bw);
    this.biasRows = biasRows(bias, bOff, outC, bw);
    this.min = min;
    this.max = max;
    this.scratch = new ScratchPool(parallel == null ? 1 : parallel.threads(), bw);
    this.parallel = parallel;
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) {
    this.in = in;
    this.inOff = inOff;
    this.out = out;
    this.outOff = outOff;
    try {
      Conv2dF32Fast.forRange(parallel, items, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  /** Input offset of output pixel p (flat over batch, y, x). */
  private int inputPixel(int p) {
    if (contiguous) return inOff + p * inC;
    int plane = outH * outW, b = p / plane, r = p - b * plane, oy = r / outW, ox = r - oy * outW;
    return inOff + ((b * inH + oy * strideH) * inW + ox * strideW) * inC;
  }

  private void items(int from, int to) {
    int slot = scratch.acquire();
    try {
      final float[] acc = scratch.get(slot), out = this.out;
      final int inC = this.inC, outC = this.outC;
      for (int item = from; item < to; item++) {
        int pb = item / blocks, blk = item - pb * blocks;
        float[] bias = biasRows[blk];
        int oc0 = blk * bw, width = bias.length, row0 = blk * inC;
        int p1 = Math.min(pixels, (pb + 1) * PIXELS);
        for (int p = pb * PIXELS; p < p1; p++) {
          System.arraycopy(bias, 0, acc, 0, width);
          accumulate(in, inputPixel(p), inC, rows, row0, acc, width);
          clamp(acc, width, min, max);
          System.arraycopy(acc, 0, out, outOff + p * outC + oc0, width);
        }
      }
    } finally {
      scratch.release(slot);
    }
  }

  /**
   * acc[j] += sum over i < n of in[src + i] * rows[row + i][j], for j < width, i in order (four at a time, in one
   * left-to-right statement: the same rounding as one at a time). Shared with {@link Conv2dF32DirectScalar}.
   */
  static void accumulate(float[] in, int src, int n, float[][] rows, int row, float[] acc, int width) {
    int i = 0;
    for (; i + 4 <= n; i += 4, row += 4) {
      float a0 = in[src + i], a1 = in[src + i + 1], a2 = in[src + i + 2], a3 = in[src + i + 3];
      float[] w0 = rows[row], w1 = rows[row + 1], w2 = rows[row + 2], w3 = rows[row + 3];
      for (int j = 0; j < width; j++) acc[j] = acc[j] + a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
    }
    for (; i < n; i++, row++) {
      float a = in[src + i];
      float[] w0 = rows[row];
      for (int j = 0; j < width; j++) acc[j] += a * w0[j];
    }
  }

  /** Clamps acc[0 .. width) to [min, max]. */
  static void clamp(float[] acc, int width, float min, float max) {
    for (int j = 0; j < width; j++) acc[j] = Math.min(Math.max(acc[j], min), max);
  }

  /** Output channels per block: all up to {@link #MAX_WIDTH}, else blocks of equal size, rounded up to 16. */
  static int blockWidth(int outC) {
    int blocks = Conv2dF32Fast.blocks(outC, MAX_WIDTH);
    return blocks == 1 ? outC : (Conv2dF32Fast.blocks(outC, blocks) + 15) / 16 * 16;
  }

  /**
   * The OHWI filter as weight rows: row {@code blk * taps + t} (t over (ky, kx, ic)) holds the weights of output
   * channels blk * width .. of tap t, an array of its own (the last block's are shorter).
   */
  static float[][] weightRows(Conv2dReference.Geometry g, float[] filter, int fOff, int width) {
    int outC = g.outC(), taps = g.kH() * g.kW() * g.inC(), blocks = Conv2dF32Fast.blocks(outC, width);
    float[][] rows = new float[blocks * taps][];
    for (int blk = 0; blk < blocks; blk++) {
      int oc0 = blk * width, n = Math.min(width, outC - oc0);
      for (int t = 0; t < taps; t++) {
        float[] r = new float[n];
        for (int j = 0; j < n; j++) r[j] = filter[fOff + (oc0 + j) * taps + t];
        rows[blk * taps + t] = r;
      }
    }
    return rows;
  }

  /** The bias in blocks of {@code width} (zeros when there is none). */
  static float[][] biasRows(float[] bias, int bOff, int outC, int width) {
    int blocks = Conv2dF32Fast.blocks(outC, width);
    float[][] rows = new float[blocks][];
    for (int blk = 0; blk < blocks; blk++) {
      int n = Math.min(width, outC - blk * width);
      rows[blk] = new float[n];
      if (bias != null) System.arraycopy(bias, bOff + blk * width, rows[blk], 0, n);
    }
    return rows;
  }
}
