package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * DEPTHWISE_CONV_2D with the Vector API, channels innermost: per output pixel and vector of channels, one accumulator
 * in a register over all the valid taps, then clamp and store. 3x3 rows away from the top and bottom border go along
 * the row with the nine filter vectors held in registers ({@link #row3x3}). The last, partial vector of channels is
 * computed in full (the packed filter and bias are zero-padded) and stored through a scratch slot ({@link #tail}).
 * Depth multiplier above 1: the input of output channel {@code oc} is channel {@code oc / mult}, gathered through an
 * index map made at prepare.
 *
 * <p>The taps of a pixel are one flat loop over a table made at prepare (per distinct range of valid kx, every
 * (ky, kx) with its input and weight offsets, ky outermost, so the valid ky range of a row is a contiguous slice):
 * JDK 17's C2 keeps a vector accumulator in a register across one loop level but boxes it across nested loops.
 *
 * <p>Loaded only through {@link DepthwiseConv2dF32Fast} after {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class DepthwiseConv2dF32Vector implements DepthwiseConv2dF32Fast.Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Floats per scratch slot: a vector and 64 bytes, so threads' slots never share a cache line. */
  private static final int SLOT = L + 16;

  private final int inH, inW, inC, mult, outH, outW, outC, padded, full, kH, kW, sH, sW, padTop, padLeft, rows, grain;
  private final int[] yLo, yHi, xLo, xHi, tap, channelMap;
  /** Output columns whose taps all lie inside the input along x: [interior0, interior1). */
  private final int interior0, interior1;
  /** Per output column: its tap table; per table: first entry and entries per filter row. */
  private final int[] xTable, tableStart, tableRow;
  /** Per table entry: input offset from the pixel's tap (0, 0), and weight offset. */
  private final int[] tapIn, tapW;
  private final float[] w, bias;
  /** Scratch for the stores of the last, partial vector of channels: a slot per output row (one thread has a row). */
  private final float[] tail;
  /** The largest input offset of a tap from the pixel's tap (0, 0). */
  private final int tapMax;
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::rows;
  private float[] in, out;
  private int inOff, outOff;

  static DepthwiseConv2dF32Fast.Kernel create(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias,
                                              int bOff, float min, float max, Parallel parallel) {
    return new DepthwiseConv2dF32Vector(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  private DepthwiseConv2dF32Vector(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff,
                                   float min, float max, Parallel parallel) {
    inH = g.inH();
    inW = g.inW();
    inC = g.inC();
    mult = g.depthMultiplier();
    outH = g.outH();
    outW = g.outW();
    outC = g.outC();
    padded = Conv2dF32Fast.blocks(outC, L) * L;
    full = outC - outC % L;
    kH = g.kH();
    kW = g.kW();
    sH = g.strideH();
    sW = g.strideW();
    padTop = g.padTop();
    padLeft = g.padLeft();
    rows = g.batch() * outH;
    grain = Conv2dF32Fast.grain((long) outW * kH * kW * padded);
    yLo = Conv2dF32Fast.firstTap(outH, inH, kH, sH, g.dilationH(), padTop);
    yHi = Conv2dF32Fast.endTap(outH, inH, kH, sH, g.dilationH(), padTop);
    xLo = Conv2dF32Fast.firstTap(outW, inW, kW, sW, g.dilationW(), padLeft);
    xHi = Conv2dF32Fast.endTap(outW, inW, kW, sW, g.dilationW(), padLeft);
    tap = DepthwiseConv2dF32Fast.tapOffsets(g);
    int i0 = 0;
    while (i0 < outW && !(xLo[i0] == 0 && xHi[i0] == kW)) i0++;
    int i1 = i0;
    while (i1 < outW && xLo[i1] == 0 && xHi[i1] == kW) i1++;
    interior0 = i0;
    interior1 = i1;
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
    int total = 0;
    for (int r = 0; r < ranges.size(); r++) {
      tableStart[r] = total;
      tableRow[r] = ranges.get(r)[1] - ranges.get(r)[0];
      total += kH * tableRow[r];
    }
    tapIn = new int[total];
    tapW = new int[total];
    for (int r = 0, e = 0; r < ranges.size(); r++) {
      for (int ky = 0; ky < kH; ky++) {
        for (int kx = ranges.get(r)[0]; kx < ranges.get(r)[1]; kx++, e++) {
          tapIn[e] = tap[ky * kW + kx];
          tapW[e] = (ky * kW + kx) * padded;
        }
      }
    }
    w = DepthwiseConv2dF32Fast.packFilter(g, filter, fOff, padded);
    this.bias = Conv2dF32Fast.packBias(bias, bOff, outC, L);
    // input channel of every (padded) output channel; padding lanes read the last channel, inside the pixel
    channelMap = new int[padded];
    for (int oc = 0; oc < padded; oc++) channelMap[oc] = Math.min(oc, outC - 1) / mult;
    this.tail = new float[rows * SLOT];
    int tm = 0;
    for (int t : tap) tm = Math.max(tm, t);
    this.tapMax = tm;
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
      Conv2dF32Fast.forRange(parallel, rows, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private void rows(int from, int to) {
    for (int row = from; row < to; row++) {
      int b = row / outH, oy = row - b * outH, ky0 = yLo[oy], ky1 = yHi[oy];
      boolean fullY = ky0 == 0 && ky1 == kH;
      int rowBase = inOff + ((b * inH + oy * sH - padTop) * inW - padLeft) * inC;
      // 3x3, multiplier 1, all rows of taps inside: the interior of the row in one pass per vector of channels
      boolean row3x3 = mult == 1 && fullY && kH == 3 && kW == 3;
      if (row3x3) row3x3(row, rowBase);
      for (int ox = 0; ox < outW; ox++) {
        int o = outOff + (row * outW + ox) * outC, p = rowBase + ox * sW * inC;
        int table = xTable[ox], per = tableRow[table];
        int e0 = tableStart[table] + ky0 * per, e1 = tableStart[table] + Math.max(ky0, ky1) * per;
        if (mult != 1) {
          gatherPixel(row, p, o, e0, e1);
          continue;
        }
        if (!(row3x3 && ox >= interior0 && ox < interior1)) pixel(p, o, e0, e1);
        if (full < outC) tail(row, p, o, e0, e1);
      }
    }
  }

  /**
   * Multiplier 1, 3x3, a row whose taps all lie inside the input along y: for each full vector of channels, the nine
   * filter vectors and the bias stay in registers over the interior columns of the row, each column nine loads and
   * fused multiply-adds, in the same tap order as {@link #pixel}.
   */
  private void row3x3(int row, int rowBase) {
    final float[] in = this.in, w = this.w, out = this.out;
    final int n = padded, full = this.full, x0 = interior0, x1 = interior1, step = sW * inC, outC = this.outC;
    final float min = this.min, max = this.max;
    final int t0 = tap[0], t1 = tap[1], t2 = tap[2], t3 = tap[3], t4 = tap[4], t5 = tap[5], t6 = tap[6], t7 = tap[7], t8 = tap[8];
    for (int c = 0; c < full; c += L) {
      FloatVector bv = FloatVector.fromArray(S, bias, c);
      FloatVector w0 = FloatVector.fromArray(S, w, c), w1 = FloatVector.fromArray(S, w, n + c);
      FloatVector w2 = FloatVector.fromArray(S, w, 2 * n + c), w3 = FloatVector.fromArray(S, w, 3 * n + c);
      FloatVector w4 = FloatVector.fromArray(S, w, 4 * n + c), w5 = FloatVector.fromArray(S, w, 5 * n + c);
      FloatVector w6 = FloatVector.fromArray(S, w, 6 * n + c), w7 = FloatVector.fromArray(S, w, 7 * n + c);
      FloatVector w8 = FloatVector.fromArray(S, w, 8 * n + c);
      int p = rowBase + x0 * step + c, o = outOff + (row * outW + x0) * outC + c;
      int ox = x0;
      // two columns at a time: two independent chains of fused multiply-adds (each column's taps in the same order)
      for (; ox + 2 <= x1; ox += 2, p += 2 * step, o += 2 * outC) {
        int q = p + step;
        FloatVector a = FloatVector.fromArray(S, in, p + t0).fma(w0, bv);
        FloatVector b = FloatVector.fromArray(S, in, q + t0).fma(w0, bv);
        a = FloatVector.fromArray(S, in, p + t1).fma(w1, a);
        b = FloatVector.fromArray(S, in, q + t1).fma(w1, b);
        a = FloatVector.fromArray(S, in, p + t2).fma(w2, a);
        b = FloatVector.fromArray(S, in, q + t2).fma(w2, b);
        a = FloatVector.fromArray(S, in, p + t3).fma(w3, a);
        b = FloatVector.fromArray(S, in, q + t3).fma(w3, b);
        a = FloatVector.fromArray(S, in, p + t4).fma(w4, a);
        b = FloatVector.fromArray(S, in, q + t4).fma(w4, b);
        a = FloatVector.fromArray(S, in, p + t5).fma(w5, a);
        b = FloatVector.fromArray(S, in, q + t5).fma(w5, b);
        a = FloatVector.fromArray(S, in, p + t6).fma(w6, a);
        b = FloatVector.fromArray(S, in, q + t6).fma(w6, b);
        a = FloatVector.fromArray(S, in, p + t7).fma(w7, a);
        b = FloatVector.fromArray(S, in, q + t7).fma(w7, b);
        a = FloatVector.fromArray(S, in, p + t8).fma(w8, a);
        b = FloatVector.fromArray(S, in, q + t8).fma(w8, b);
        a.max(min).min(max).intoArray(out, o);
        b.max(min).min(max).intoArray(out, o + outC);
      }
      for (; ox < x1; ox++, p += step, o += outC) {
        FloatVector a = FloatVector.fromArray(S, in, p + t0).fma(w0, bv);
        a = FloatVector.fromArray(S, in, p + t1).fma(w1, a);
        a = FloatVector.fromArray(S, in, p + t2).fma(w2, a);
        a = FloatVector.fromArray(S, in, p + t3).fma(w3, a);
        a = FloatVector.fromArray(S, in, p + t4).fma(w4, a);
        a = FloatVector.fromArray(S, in, p + t5).fma(w5, a);
        a = FloatVector.fromArray(S, in, p + t6).fma(w6, a);
        a = FloatVector.fromArray(S, in, p + t7).fma(w7, a);
        a = FloatVector.fromArray(S, in, p + t8).fma(w8, a);
        a.max(min).min(max).intoArray(out, o);
      }
    }
  }

  /** Multiplier 1, any size: the full vectors of channels over the valid taps, table entries [e0, e1). */
  private void pixel(int p, int o, int e0, int e1) {
    final float[] in = this.in, w = this.w, out = this.out;
    final int[] tapIn = this.tapIn, tapW = this.tapW;
    final int full = this.full;
    final float min = this.min, max = this.max;
    for (int c = 0; c < full; c += L) {
      FloatVector a = FloatVector.fromArray(S, bias, c);
      for (int e = e0; e < e1; e++) {
        a = FloatVector.fromArray(S, in, p + tapIn[e] + c).fma(FloatVector.fromArray(S, w, tapW[e] + c), a);
      }
      a.max(min).min(max).intoArray(out, o + c);
    }
  }

  /**
   * Multiplier 1: the last, partial vector of channels. JDK 17 allocates in masked stores and in masked loads that
   * reach past the array, so: full loads (the lanes past the last channel read neighbours and are never stored), the
   * store through the row's slot of a scratch array; near the end of the input array, the same fused multiply-adds
   * one channel at a time (bit-identical to the lanes).
   */
  private void tail(int row, int p, int o, int e0, int e1) {
    final float[] in = this.in, w = this.w;
    final int[] tapIn = this.tapIn, tapW = this.tapW;
    final int c = full;
    if (p + tapMax + c + L <= in.length) {
      FloatVector a = FloatVector.fromArray(S, bias, c);
      for (int e = e0; e < e1; e++) {
        a = FloatVector.fromArray(S, in, p + tapIn[e] + c).fma(FloatVector.fromArray(S, w, tapW[e] + c), a);
      }
      a.max(min).min(max).intoArray(tail, row * SLOT);
      System.arraycopy(tail, row * SLOT, out, o + c, outC - c);
    } else {
      for (int ch = c; ch < outC; ch++) {
        float acc = bias[ch];
        for (int e = e0; e < e1; e++) acc = Math.fma(in[p + tapIn[e] + ch], w[tapW[e] + ch], acc);
        out[o + ch] = Math.min(Math.max(acc, min), max);
      }
    }
  }

  /** Multiplier above 1: lanes of output channels gather their input channels through {@link #channelMap}. */
  private void gatherPixel(int row, int p, int o, int e0, int e1) {
    final float[] in = this.in, w = this.w, out = this.out;
    final int[] tapIn = this.tapIn, tapW = this.tapW, channelMap = this.channelMap;
    final float min = this.min, max = this.max;
    int c = 0;
    for (; c < full; c += L) {
      FloatVector a = FloatVector.fromArray(S, bias, c);
      for (int e = e0; e < e1; e++) {
        a = FloatVector.fromArray(S, in, p + tapIn[e], channelMap, c).fma(FloatVector.fromArray(S, w, tapW[e] + c), a);
      }
      a.max(min).min(max).intoArray(out, o + c);
    }
    if (c < outC) {
      FloatVector a = FloatVector.fromArray(S, bias, c);
      for (int e = e0; e < e1; e++) {
        a = FloatVector.fromArray(S, in, p + tapIn[e], channelMap, c).fma(FloatVector.fromArray(S, w, tapW[e] + c), a);
      }
      a.max(min).min(max).intoArray(tail, row * SLOT);
      System.arraycopy(tail, row * SLOT, out, o + c, outC - c);
    }
  }
}
