package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.QuantMath;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Integer DEPTHWISE_CONV_2D (int8 and uint8) in plain Java, a whole output row at a time, as
 * {@link DepthwiseConv2dF32Scalar}: an output row is a flat run q = ox * outC + oc; for each tap (ky, kx) the input
 * values it multiplies along the row are gathered into a per-thread int buffer indexed by q, the input zero point
 * subtracted (0 where the tap falls in the padding, which then adds nothing, as in the reference that skips it; input
 * channel oc / mult repeated for a depth multiplier above 1); the filter, its zero point subtracted, is replicated at
 * prepare into one int row per tap, also indexed by q. The innermost loop indexes every array alike (C2 SIMD):
 * {@code acc[q] = acc[q] + b0[q] * w0[q] + b1[q] * w1[q] + b2[q] * w2[q]} for a 3-wide filter row, five terms for
 * 5-wide, one otherwise. Bias initialises the accumulator; the reference requantization writes the row.
 *
 * <p>When the replicated filter would be large (over {@value #MAX_REPLICATED} ints), pixels go one at a time, tap by
 * tap over the valid taps, channels innermost.
 */
final class DepthwiseConv2dInt8Scalar implements DepthwiseConv2dInt8Fast.Kernel {
  /** Largest replicated filter, in ints. */
  static final long MAX_REPLICATED = 4L << 20;

  private final int inH, inW, inC, mult, outH, outW, outC, kH, kW, sH, sW, dH, dW, padTop, padLeft, rows, grain, q;
  private final int inZp, outZp, actMin, actMax;
  private final boolean unsigned, byRow;
  private final int[] yLo, yHi, xLo, xHi, tap, colFirst, colEnd, lut, multiplier, shift, w, bias;
  /** Row mode: the filter of tap t replicated along the output row, [outW * outC]; and the bias likewise. */
  private final int[][] wRow;
  private final int[] biasRow;
  /** Per thread slot: the accumulator and the gather buffers (row mode), or the accumulator of one pixel. */
  private final int[][][] scratch;
  private final AtomicIntegerArray busy;
  private final Parallel parallel;
  private final Parallel.Body body = this::rows;
  private byte[] in, out;
  private int inOff, outOff;

  DepthwiseConv2dInt8Scalar(DepthwiseConv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp,
                            int[] bias, int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                            Parallel parallel) {
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
    this.unsigned = unsigned;
    this.inZp = inZp;
    this.outZp = outZp;
    this.actMin = actMin;
    this.actMax = actMax;
    this.lut = Conv2dInt8Fast.offsetTable(unsigned, inZp);
    this.multiplier = multiplier.clone();
    this.shift = shift.clone();
    int taps = kH * kW;
    w = new int[taps * outC];
    for (int i = 0; i < taps * outC; i++) {
      byte v = filter[fOff + i];
      w[i] = (unsigned ? v & 0xFF : v) - filterZp;
    }
    this.bias = new int[outC];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, outC);
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
    byRow = (long) taps * q <= MAX_REPLICATED;
    int threads = parallel == null ? 1 : parallel.threads();
    scratch = new int[threads][][];
    if (byRow) {
      wRow = new int[taps][q];
      biasRow = new int[q];
      for (int ox = 0; ox < outW; ox++) {
        for (int t = 0; t < taps; t++) System.arraycopy(w, t * outC, wRow[t], ox * outC, outC);
        System.arraycopy(this.bias, 0, biasRow, ox * outC, outC);
      }
      int buffers = kW == 3 || kW == 5 ? kW : 1;
      for (int s = 0; s < threads; s++) scratch[s] = newBuffers(1 + buffers, q);
    } else {
      wRow = null;
      biasRow = null;
      for (int s = 0; s < threads; s++) scratch[s] = newBuffers(1, outC);
    }
    busy = new AtomicIntegerArray(threads);
    this.parallel = parallel;
  }

  private static int[][] newBuffers(int n, int size) {
    int[][] b = new int[n][];
    for (int i = 0; i < n; i++) b[i] = new int[size + 32]; // padded: neighbouring threads' arrays off each other's cache lines
    return b;
  }

  @Override
  public void run(byte[] in, int inOff, byte[] out, int outOff) {
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
    int slot = Conv2dInt8Scalar.acquire(busy);
    try {
      int[][] s = slot >= 0 ? scratch[slot] : newBuffers(scratch[0].length, byRow ? q : outC);
      if (byRow) byRows(from, to, s); else for (int row = from; row < to; row++) pixels(row, s[0]);
    } finally {
      if (slot >= 0) busy.set(slot, 0);
    }
  }

  private void byRows(int from, int to, int[][] s) {
    int[] acc = s[0], b0 = s[1];
    int[] b1 = kW == 3 || kW == 5 ? s[2] : null, b2 = kW == 3 || kW == 5 ? s[3] : null;
    int[] b3 = kW == 5 ? s[4] : null, b4 = kW == 5 ? s[5] : null;
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
      int o = outOff + row * q;
      for (int ox = 0, i = 0; ox < outW; ox++) {
        for (int c = 0; c < outC; c++, i++) {
          int v = QuantMath.multiplyByQuantizedMultiplier(acc[i], multiplier[c], shift[c]) + outZp;
          out[o + i] = (byte) Math.min(Math.max(v, actMin), actMax);
        }
      }
    }
  }

  /** buf[ox * outC + oc] = the input that tap column kx of output column ox reads for channel oc, minus inZp (0 in the padding). */
  private void gather(int inRow, int kx, int[] buf) {
    final byte[] in = this.in;
    final int zp = inZp;
    int first = colFirst[kx], end = Math.max(first, colEnd[kx]);
    Arrays.fill(buf, 0, first * outC, 0);
    Arrays.fill(buf, end * outC, q, 0);
    if (end == first) return;
    int src = inRow + (first * sW - padLeft + kx * dW) * inC;
    if (mult == 1 && sW == 1) {
      int n = (end - first) * outC, dst = first * outC;
      if (unsigned) {
        for (int i = 0; i < n; i++) buf[dst + i] = (in[src + i] & 0xFF) - zp;
      } else {
        for (int i = 0; i < n; i++) buf[dst + i] = in[src + i] - zp;
      }
    } else if (mult == 1) {
      for (int ox = first, dst = first * outC; ox < end; ox++, dst += outC, src += sW * inC) {
        if (unsigned) {
          for (int i = 0; i < outC; i++) buf[dst + i] = (in[src + i] & 0xFF) - zp;
        } else {
          for (int i = 0; i < outC; i++) buf[dst + i] = in[src + i] - zp;
        }
      }
    } else {
      final int[] lut = this.lut;
      for (int ox = first, dst = first * outC; ox < end; ox++, src += sW * inC) {
        for (int ic = 0; ic < inC; ic++) {
          int v = lut[in[src + ic] & 0xFF];
          for (int m = 0; m < mult; m++) buf[dst++] = v;
        }
      }
    }
  }

  private static void add1(int[] acc, int[] b0, int[] w0, int n) {
    for (int i = 0; i < n; i++) acc[i] += b0[i] * w0[i];
  }

  private static void add3(int[] acc, int[] b0, int[] w0, int[] b1, int[] w1, int[] b2, int[] w2, int n) {
    for (int i = 0; i < n; i++) acc[i] = acc[i] + b0[i] * w0[i] + b1[i] * w1[i] + b2[i] * w2[i];
  }

  private static void add5(int[] acc, int[] b0, int[] w0, int[] b1, int[] w1, int[] b2, int[] w2, int[] b3, int[] w3,
                           int[] b4, int[] w4, int n) {
    for (int i = 0; i < n; i++) acc[i] = acc[i] + b0[i] * w0[i] + b1[i] * w1[i] + b2[i] * w2[i] + b3[i] * w3[i] + b4[i] * w4[i];
  }

  /** Pixel mode (large rows): each output pixel of a row, tap by tap over its valid taps, channels innermost. */
  private void pixels(int row, int[] acc) {
    final byte[] in = this.in, out = this.out;
    final int[] w = this.w, lut = this.lut;
    final int n = outC, mult = this.mult, inC = this.inC;
    int b = row / outH, oy = row - b * outH, ky0 = yLo[oy], ky1 = yHi[oy];
    int rowBase = inOff + ((b * inH + oy * sH - padTop) * inW - padLeft) * inC;
    for (int ox = 0; ox < outW; ox++) {
      int o = outOff + (row * outW + ox) * outC, p = rowBase + ox * sW * inC, kx0 = xLo[ox], kx1 = xHi[ox];
      System.arraycopy(bias, 0, acc, 0, n);
      for (int ky = ky0; ky < ky1; ky++) {
        for (int kx = kx0; kx < kx1; kx++) {
          int t = ky * kW + kx, src = p + tap[t], k = t * n;
          for (int ic = 0; ic < inC; ic++) {
            int a = lut[in[src + ic] & 0xFF];
            int oc = ic * mult;
            for (int m = 0; m < mult; m++) acc[oc + m] += a * w[k + oc + m];
          }
        }
      }
      Conv2dInt8Fast.requantize(acc, n, multiplier, shift, 0, outZp, actMin, actMax, out, o);
    }
  }
}
