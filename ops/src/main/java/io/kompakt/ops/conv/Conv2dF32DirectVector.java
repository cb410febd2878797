package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * CONV_2D of any filter size, stride, dilation and padding with the Vector API, directly over (ky, kx, ic). Register
 * tile: 4 neighbouring output pixels of a row x 2 vectors of output channels (8 pixels x 1 vector for a block of one
 * vector of channels or fewer), for pixels whose taps are all inside the input along x; pixels near the left and right
 * borders go one at a time. Both add the taps of an output element in
 * the same (ky, kx, ic) order with fused multiply-adds, so an element's value does not depend on the path.
 * Work items: (output row, output-channel block of 2 vectors). A last, partial block is stored as in
 * {@link Conv2dF32Gemm1x1Vector}: without masks, whole vectors running over into the next pixels of the row where
 * there is a single block ({@link #reach}), the row's last pixels through a scratch slot.
 *
 * <p>The taps of a pixel are one flat loop over a table made at prepare: per distinct range of valid kx (one for the
 * interior, a few at the borders), every (ky, kx, ic) with its input offset from the pixel's tap (0, 0) and its weight
 * offset, ky outermost, so the valid ky range of an output row is a contiguous slice. One loop level matters on
 * JDK 17, whose C2 keeps vector accumulators in registers across one loop but boxes them (allocates) across nested
 * loops (measured; JDK 25 handles both).
 *
 * <p>Loaded only through {@link Conv2dF32Fast} after {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class Conv2dF32DirectVector implements Conv2dF32Fast.Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int WIDTH = 2 * L;
  /** Floats per scratch slot: a block and 64 bytes, so threads' slots never share a cache line. */
  private static final int SLOT = WIDTH + 16;

  private final int inH, inW, inC, outH, outW, outC, kH, sH, sW, padTop, padLeft;
  private final int blocks, items, grain, taps, interior0, interior1;
  /** As in {@link Conv2dF32Gemm1x1Vector}: following pixels a pixel's whole-vector stores run into, or -1. */
  private final int reach;
  private final int[] yLo, yHi;
  /** Per output column: its tap table; per table: first entry and entries per filter row. */
  private final int[] xTable, tableStart, tableRow;
  /** Per table entry: input offset from the pixel's tap (0, 0), and weight offset within a block. */
  private final int[] tapIn, tapW;
  private final float[] w, bias;
  /** Scratch for the stores of a partial last block: a slot per output row (one thread has a row). */
  private final float[] tail;
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private float[] in, out;
  private int inOff, outOff;

  static Conv2dF32Fast.Kernel create(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                                     float max, Parallel parallel) {
    return new Conv2dF32DirectVector(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  private Conv2dF32DirectVector(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                                float max, Parallel parallel) {
    inH = g.inH();
    inW = g.inW();
    inC = g.inC();
    outH = g.outH();
    outW = g.outW();
    outC = g.outC();
    kH = g.kH();
    int kW = g.kW();
    sH = g.strideH();
    sW = g.strideW();
    padTop = g.padTop();
    padLeft = g.padLeft();
    taps = kH * kW * inC;
    blocks = Conv2dF32Fast.blocks(outC, WIDTH);
    items = g.batch() * outH * blocks;
    reach = Conv2dF32Fast.runOverPixels(outC, L);
    grain = Conv2dF32Fast.grain((long) outW * taps * WIDTH);
    yLo = Conv2dF32Fast.firstTap(outH, inH, kH, sH, g.dilationH(), padTop);
    yHi = Conv2dF32Fast.endTap(outH, inH, kH, sH, g.dilationH(), padTop);
    int[] xLo = Conv2dF32Fast.firstTap(outW, inW, kW, sW, g.dilationW(), padLeft);
    int[] xHi = Conv2dF32Fast.endTap(outW, inW, kW, sW, g.dilationW(), padLeft);
    int i0 = 0;
    while (i0 < outW && !(xLo[i0] == 0 && xHi[i0] == kW)) i0++;
    int i1 = i0;
    while (i1 < outW && xLo[i1] == 0 && xHi[i1] == kW) i1++;
    interior0 = i0;
    interior1 = i1;
    // one table per distinct kx range
    xTable = new int[outW];
    java.util.List<int[]> ranges = new java.util.ArrayList<>();
    for (int ox = 0; ox < outW; ox++) {
      int id = -1, lo = xLo[ox], hi = Math.max(xLo[ox], xHi[ox]);
      for (int r = 0; r < ranges.size() && id < 0; r++) if (ranges.get(r)[0] == lo && ranges.get(r)[1] == hi) id = r;
      if (id < 0) {
        id = ranges.size();
        ranges.add(new int[] {lo, hi});
      }
      xTable[ox] = id;
    }
    tableStart = new int[ranges.size()];
    tableRow = new int[ranges.size()];
    long total = 0;
    for (int r = 0; r < ranges.size(); r++) {
      tableStart[r] = (int) total;
      tableRow[r] = (ranges.get(r)[1] - ranges.get(r)[0]) * inC;
      total += (long) kH * tableRow[r];
    }
    if (total > Integer.MAX_VALUE / 2) throw new IllegalArgumentException("convolution too large: " + g);
    tapIn = new int[(int) total];
    tapW = new int[(int) total];
    for (int r = 0, e = 0; r < ranges.size(); r++) {
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = ranges.get(r)[0]; kx < ranges.get(r)[1]; kx++) {
          for (int ic = 0; ic < inC; ic++, e++) {
            tapIn[e] = (ky * g.dilationH() * inW + kx * g.dilationW()) * inC + ic;
            tapW[e] = ((ky * kW + kx) * inC + ic) * WIDTH;
          }
        }
      }
    }
    w = Conv2dF32Fast.packFilter(g, filter, fOff, WIDTH);
    this.bias = Conv2dF32Fast.packBias(bias, bOff, outC, WIDTH);
    this.tail = new float[g.batch() * outH * SLOT];
    this.min = min;
    this.max = max;
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

  private void items(int from, int to) {
    for (int item = from; item < to; item++) {
      int row = item / blocks, blk = item - row * blocks;
      int ox = 0;
      for (; ox < interior0; ox++) pixel(row, ox, blk);
      // a block of one vector of channels (or fewer, whose stores run over into the next pixels): 8 x 1 tiles, not
      // 4 x 2 with half the multiply-adds on zero padding
      boolean oneVector = outC - blk * WIDTH == L, narrow = outC < L && reach > 0;
      if (oneVector || narrow) {
        for (; ox + 8 <= interior1 && (oneVector || ox + 8 + reach <= outW); ox += 8) tile8x1(row, ox, blk);
      }
      for (; ox + 4 <= interior1; ox += 4) tile4(row, ox, blk);
      for (; ox < outW; ox++) pixel(row, ox, blk);
    }
  }

  /**
   * Output pixels (row, ox .. ox + 7), all of whose taps along x lie inside the input, the first vector of block
   * {@code blk} (its only real channels). Stores in pixel order, so where channels are fewer than the lanes each runs
   * over into the next pixel's, written next.
   */
  private void tile8x1(int row, int ox, int blk) {
    final float[] in = this.in, w = this.w;
    final int[] tapIn = this.tapIn, tapW = this.tapW;
    final int outC = this.outC, step = sW * inC;
    int b = row / outH, oy = row - b * outH, table = xTable[ox], per = tableRow[table];
    int e0 = tableStart[table] + yLo[oy] * per, e1 = tableStart[table] + Math.max(yLo[oy], yHi[oy]) * per;
    int p0 = inOff + ((b * inH + oy * sH - padTop) * inW + ox * sW - padLeft) * inC;
    int oc0 = blk * WIDTH, wBlock = blk * taps * WIDTH;
    FloatVector bv = FloatVector.fromArray(S, bias, oc0);
    FloatVector a0 = bv, a1 = bv, a2 = bv, a3 = bv, a4 = bv, a5 = bv, a6 = bv, a7 = bv;
    for (int e = e0; e < e1; e++) {
      int d = p0 + tapIn[e];
      FloatVector wv = FloatVector.fromArray(S, w, wBlock + tapW[e]);
      a0 = wv.fma(FloatVector.broadcast(S, in[d]), a0);
      a1 = wv.fma(FloatVector.broadcast(S, in[d + step]), a1);
      a2 = wv.fma(FloatVector.broadcast(S, in[d + 2 * step]), a2);
      a3 = wv.fma(FloatVector.broadcast(S, in[d + 3 * step]), a3);
      a4 = wv.fma(FloatVector.broadcast(S, in[d + 4 * step]), a4);
      a5 = wv.fma(FloatVector.broadcast(S, in[d + 5 * step]), a5);
      a6 = wv.fma(FloatVector.broadcast(S, in[d + 6 * step]), a6);
      a7 = wv.fma(FloatVector.broadcast(S, in[d + 7 * step]), a7);
    }
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    int o = outOff + (row * outW + ox) * outC + oc0;
    a0.max(min).min(max).intoArray(out, o);
    a1.max(min).min(max).intoArray(out, o + outC);
    a2.max(min).min(max).intoArray(out, o + 2 * outC);
    a3.max(min).min(max).intoArray(out, o + 3 * outC);
    a4.max(min).min(max).intoArray(out, o + 4 * outC);
    a5.max(min).min(max).intoArray(out, o + 5 * outC);
    a6.max(min).min(max).intoArray(out, o + 6 * outC);
    a7.max(min).min(max).intoArray(out, o + 7 * outC);
  }

  /** Output pixels (row, ox .. ox + 3), all of whose taps along x lie inside the input. */
  private void tile4(int row, int ox, int blk) {
    final float[] in = this.in, w = this.w;
    final int[] tapIn = this.tapIn, tapW = this.tapW;
    final int outC = this.outC, step = sW * inC;
    int b = row / outH, oy = row - b * outH, table = xTable[ox], per = tableRow[table];
    int e0 = tableStart[table] + yLo[oy] * per, e1 = tableStart[table] + Math.max(yLo[oy], yHi[oy]) * per;
    int p0 = inOff + ((b * inH + oy * sH - padTop) * inW + ox * sW - padLeft) * inC, p1 = p0 + step, p2 = p1 + step, p3 = p2 + step;
    int oc0 = blk * WIDTH, wBlock = blk * taps * WIDTH;
    FloatVector b0 = FloatVector.fromArray(S, bias, oc0), b1 = FloatVector.fromArray(S, bias, oc0 + L);
    FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
    for (int e = e0; e < e1; e++) {
      int d = tapIn[e], k = wBlock + tapW[e];
      FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
      FloatVector x = FloatVector.broadcast(S, in[p0 + d]);
      a00 = w0.fma(x, a00);
      a01 = w1.fma(x, a01);
      x = FloatVector.broadcast(S, in[p1 + d]);
      a10 = w0.fma(x, a10);
      a11 = w1.fma(x, a11);
      x = FloatVector.broadcast(S, in[p2 + d]);
      a20 = w0.fma(x, a20);
      a21 = w1.fma(x, a21);
      x = FloatVector.broadcast(S, in[p3 + d]);
      a30 = w0.fma(x, a30);
      a31 = w1.fma(x, a31);
    }
    int o = outOff + (row * outW + ox) * outC + oc0;
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    // a whole block; or a single narrow block (under two vectors of channels) whose stores run over into the next
    // pixels of this work item, written afterwards in pixel order
    boolean runOver = reach > 0 && ox + 4 + reach <= outW;
    if (outC - oc0 >= WIDTH || runOver && outC > L) {
      a00.max(min).min(max).intoArray(out, o);
      a01.max(min).min(max).intoArray(out, o + L);
      a10.max(min).min(max).intoArray(out, o + outC);
      a11.max(min).min(max).intoArray(out, o + outC + L);
      a20.max(min).min(max).intoArray(out, o + 2 * outC);
      a21.max(min).min(max).intoArray(out, o + 2 * outC + L);
      a30.max(min).min(max).intoArray(out, o + 3 * outC);
      a31.max(min).min(max).intoArray(out, o + 3 * outC + L);
    } else if (outC - oc0 == L || runOver) {
      a00.max(min).min(max).intoArray(out, o);
      a10.max(min).min(max).intoArray(out, o + outC);
      a20.max(min).min(max).intoArray(out, o + 2 * outC);
      a30.max(min).min(max).intoArray(out, o + 3 * outC);
    } else {
      // partial block: through this item's slot of the scratch array (JDK 17 allocates in masked stores)
      final float[] tail = this.tail;
      int t = row * SLOT, width = outC - oc0;
      a00.max(min).min(max).intoArray(tail, t);
      a01.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o, width);
      a10.max(min).min(max).intoArray(tail, t);
      a11.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + outC, width);
      a20.max(min).min(max).intoArray(tail, t);
      a21.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + 2 * outC, width);
      a30.max(min).min(max).intoArray(tail, t);
      a31.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + 3 * outC, width);
    }
  }

  /** One output pixel over its valid taps. */
  private void pixel(int row, int ox, int blk) {
    final float[] in = this.in, w = this.w;
    final int[] tapIn = this.tapIn, tapW = this.tapW;
    int b = row / outH, oy = row - b * outH, table = xTable[ox], per = tableRow[table];
    int e0 = tableStart[table] + yLo[oy] * per, e1 = tableStart[table] + Math.max(yLo[oy], yHi[oy]) * per;
    int p0 = inOff + ((b * inH + oy * sH - padTop) * inW + ox * sW - padLeft) * inC;
    int oc0 = blk * WIDTH, wBlock = blk * taps * WIDTH;
    FloatVector a0 = FloatVector.fromArray(S, bias, oc0), a1 = FloatVector.fromArray(S, bias, oc0 + L);
    for (int e = e0; e < e1; e++) {
      int k = wBlock + tapW[e];
      FloatVector x = FloatVector.broadcast(S, in[p0 + tapIn[e]]);
      a0 = FloatVector.fromArray(S, w, k).fma(x, a0);
      a1 = FloatVector.fromArray(S, w, k + L).fma(x, a1);
    }
    int o = outOff + (row * outW + ox) * outC + oc0;
    if (outC - oc0 >= WIDTH || reach > 0 && ox + 1 + reach <= outW) {
      a0.max(min).min(max).intoArray(out, o);
      if (outC - oc0 > L) a1.max(min).min(max).intoArray(out, o + L);
    } else if (outC - oc0 == L) {
      a0.max(min).min(max).intoArray(out, o);
    } else {
      int t = row * SLOT;
      a0.max(min).min(max).intoArray(tail, t);
      a1.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o, outC - oc0);
    }
  }
}
