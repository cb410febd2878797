package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.ScratchPool;
import java.util.Arrays;

/**
 * DEPTHWISE_CONV_2D in plain Java, written for C2's auto-vectorisation, a whole output row at a time.
 *
 * <p>An output row is a flat run q = ox * outC + oc. For each tap (ky, kx), the input values it multiplies along
 * the row are copied into a per-thread buffer indexed by q ({@code System.arraycopy}: one copy with stride 1, one per
 * pixel otherwise; zeros where the tap falls in the padding; input channel oc / mult repeated for a depth multiplier
 * above 1), and the filter is replicated at prepare into one row of its own per tap, also indexed by q. The innermost
 * loop then indexes every array alike, which is what C2 needs to turn it into SIMD:
 * {@code acc[q] = acc[q] + b0[q] * w0[q] + b1[q] * w1[q] + b2[q] * w2[q]} for a 3-wide filter row, five terms for
 * 5-wide, one otherwise (Java evaluates left to right: the same rounding as one tap at a time). Bias initialises the
 * accumulator; the clamp runs in it; {@code System.arraycopy} stores the row. Stride and dilation only change the
 * copies.
 *
 * <p>When the replicated filter would be large (over {@value #MAX_REPLICATED} floats), pixels go one at a time, tap by
 * tap over the valid taps (not vectorised; still cache-friendly, channels innermost).
 */
final class DepthwiseConv2dF32Scalar implements DepthwiseConv2dF32Fast.Kernel {
  /** Largest replicated filter, in floats. */
  static final long MAX_REPLICATED = 4L << 20;

  private final int inH, inW, inC, mult, outH, outW, outC, kH, kW, sH, sW, dH, dW, padTop, padLeft, rows, grain, q;
  private final int[] yLo, yHi, xLo, xHi, tap, colFirst, colEnd;
  private final boolean byRow;
  private final float[] w, bias;
  /** Row mode: the filter of tap t replicated along the output row, [outW * outC]; and the bias likewise. */
  private final float[][] wRow;
  private final float[] biasRow;
  private final float min, max;
  private final ScratchPool scratch;
  private final Parallel parallel;
  private final Parallel.Body body = this::rows;
  private float[] in, out;
  private int inOff, outOff;

  DepthwiseConv2dF32Scalar(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                           float max, Parallel parallel) {
    inH = g.inH();
    inW = g.inW();
    inC = g.inC();
    mult = g.depthMultiplier();
    outH = g.outH();
    outW = g.outW();
    outC = g.outC();
    kH = g.kH();
    kW = g.kW();
    sH = g.strideH();
    sW = g.strideW();
    dH = g.dilationH();
    dW = g.dilationW();
    padTop = g.padTop();
    padLeft = g.padLeft();
    rows = g.batch() * outH;
    q = outW * outC;
    grain = Conv2dF32Fast.grain((long) outW * kH * kW * outC);
    yLo = Conv2dF32Fast.firstTap(outH, inH, kH, sH, dH, padTop);
    yHi = Conv2dF32Fast.endTap(outH, inH, kH, sH, dH, padTop);
    xLo = Conv2dF32Fast.firstTap(outW, inW, kW, sW, dW, padLeft);
    xHi = Conv2dF32Fast.endTap(outW, inW, kW, sW, dW, padLeft);
    tap = DepthwiseConv2dF32Fast.tapOffsets(g);
    w = DepthwiseConv2dF32Fast.packFilter(g, filter, fOff, outC);
    this.bias = Conv2dF32Fast.packBias(bias, bOff, outC, 1);
    // per filter column kx: the output columns whose tap kx lies inside the input, [colFirst, colEnd)
    colFirst = new int[kW];
    colEnd = new int[kW];
    for (int kx = 0; kx < kW; kx++) {
      int first = 0;
      while (first < outW && first * sW - padLeft + kx * dW < 0) first++;
      int end = first;
      while (end < outW && end * sW - padLeft + kx * dW < inW) end++;
      colFirst[kx] = first;
      colEnd[kx] = end;
    }
    byRow = (long) kH * kW * q <= MAX_REPLICATED;
    int threads = parallel == null ? 1 : parallel.threads();
    if (byRow) {
      wRow = new float[kH * kW][q];
      biasRow = new float[q];
      for (int ox = 0; ox < outW; ox++) {
        for (int t = 0; t < kH * kW; t++) System.arraycopy(w, t * outC, wRow[t], ox * outC, outC);
        System.arraycopy(this.bias, 0, biasRow, ox * outC, outC);
      }
      int buffers = kW == 3 || kW == 5 ? kW : 1;
      int[] sizes = new int[1 + buffers];
      Arrays.fill(sizes, q);
      scratch = new ScratchPool(threads, sizes);
    } else {
      wRow = null;
      biasRow = null;
      scratch = null;
    }
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
    if (!byRow) {
      for (int row = from; row < to; row++) pixels(row);
      return;
    }
    int slot = scratch.acquire();
    try {
      float[] acc = scratch.get(slot, 0), b0 = scratch.get(slot, 1);
      float[] b1 = kW == 3 || kW == 5 ? scratch.get(slot, 2) : null, b2 = kW == 3 || kW == 5 ? scratch.get(slot, 3) : null;
      float[] b3 = kW == 5 ? scratch.get(slot, 4) : null, b4 = kW == 5 ? scratch.get(slot, 5) : null;
      for (int row = from; row < to; row++) {
        int b = row / outH, oy = row - b * outH;
        System.arraycopy(biasRow, 0, acc, 0, q);
        for (int ky = yLo[oy]; ky < yHi[oy]; ky++) {
          int inRow = inOff + (b * inH + oy * sH - padTop + ky * dH) * inW * inC;
          int t = ky * kW;
          if (kW == 3) {
            gather(inRow, 0, b0);
            gather(inRow, 1, b1);
            gather(inRow, 2, b2);
            add3(acc, b0, wRow[t], b1, wRow[t + 1], b2, wRow[t + 2], q);
          } else if (kW == 5) {
            gather(inRow, 0, b0);
            gather(inRow, 1, b1);
            gather(inRow, 2, b2);
            gather(inRow, 3, b3);
            gather(inRow, 4, b4);
            add5(acc, b0, wRow[t], b1, wRow[t + 1], b2, wRow[t + 2], b3, wRow[t + 3], b4, wRow[t + 4], q);
          } else {
            for (int kx = 0; kx < kW; kx++) {
              gather(inRow, kx, b0);
              add1(acc, b0, wRow[t + kx], q);
            }
          }
        }
        Conv2dF32Gemm1x1Scalar.clamp(acc, q, min, max);
        System.arraycopy(acc, 0, out, outOff + row * q, q);
      }
    } finally {
      scratch.release(slot);
    }
  }

  /** buf[ox * outC + oc] = the input that tap column kx of output column ox reads for channel oc (0 in the padding). */
  private void gather(int inRow, int kx, float[] buf) {
    final float[] in = this.in;
    int first = colFirst[kx], end = Math.max(first, colEnd[kx]);
    Arrays.fill(buf, 0, first * outC, 0f);
    Arrays.fill(buf, end * outC, q, 0f);
    if (end == first) return;
    int src = inRow + (first * sW - padLeft + kx * dW) * inC;
    if (mult == 1) {
      if (sW == 1) {
        System.arraycopy(in, src, buf, first * outC, (end - first) * outC);
      } else {
        for (int ox = first, dst = first * outC; ox < end; ox++, dst += outC, src += sW * inC) System.arraycopy(in, src, buf, dst, outC);
      }
    } else {
      for (int ox = first, dst = first * outC; ox < end; ox++, src += sW * inC) {
        for (int ic = 0; ic < inC; ic++) {
          float v = in[src + ic];
          for (int m = 0; m < mult; m++) buf[dst++] = v;
        }
      }
    }
  }

  private static void add1(float[] acc, float[] b0, float[] w0, int n) {
    for (int i = 0; i < n; i++) acc[i] += b0[i] * w0[i];
  }

  private static void add3(float[] acc, float[] b0, float[] w0, float[] b1, float[] w1, float[] b2, float[] w2, int n) {
    for (int i = 0; i < n; i++) acc[i] = acc[i] + b0[i] * w0[i] + b1[i] * w1[i] + b2[i] * w2[i];
  }

  private static void add5(float[] acc, float[] b0, float[] w0, float[] b1, float[] w1, float[] b2, float[] w2, float[] b3,
                           float[] w3, float[] b4, float[] w4, int n) {
    for (int i = 0; i < n; i++) acc[i] = acc[i] + b0[i] * w0[i] + b1[i] * w1[i] + b2[i] * w2[i] + b3[i] * w3[i] + b4[i] * w4[i];
  }

  /** Pixel mode (large rows): each output pixel of a row, tap by tap over its valid taps, channels innermost. */
  private void pixels(int row) {
    final float[] in = this.in, out = this.out, w = this.w;
    final int n = outC, mult = this.mult, inC = this.inC;
    int b = row / outH, oy = row - b * outH, ky0 = yLo[oy], ky1 = yHi[oy];
    int rowBase = inOff + ((b * inH + oy * sH - padTop) * inW - padLeft) * inC;
    for (int ox = 0; ox < outW; ox++) {
      int o = outOff + (row * outW + ox) * outC, p = rowBase + ox * sW * inC, kx0 = xLo[ox], kx1 = xHi[ox];
      System.arraycopy(bias, 0, out, o, n);
      for (int ky = ky0; ky < ky1; ky++) {
        for (int kx = kx0; kx < kx1; kx++) {
          int t = ky * kW + kx, src = p + tap[t], k = t * n;
          for (int ic = 0; ic < inC; ic++) {
            float a = in[src + ic];
            int oc = ic * mult;
            for (int m = 0; m < mult; m++) out[o + oc + m] += a * w[k + oc + m];
          }
        }
      }
      for (int c = 0; c < n; c++) out[o + c] = Math.min(Math.max(out[o + c], min), max);
    }
  }
}
