package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;

/**
 * Integer CONV_2D (int8 and uint8) of any filter size, stride, dilation and padding in plain Java, directly over
 * (ky, kx, ic) with a block of output channels innermost, as {@link Conv2dF32DirectScalar}:
 * {@code acc[oc] = bias[oc] + sum (x[tap(p)][ic] - inZp) * (w[ky][kx][ic][oc] - wZp)} in wrapping int32, then the
 * reference requantization. Weight rows are int arrays of their own with the filter zero point subtracted; the
 * accumulator is a per-thread int row; the input value of a tap comes through a 256-entry table that applies the sign
 * convention and the input zero point at once. Taps in the padding are skipped (the reference skips them too). A 1x1
 * filter without padding is the same loop with one run of inC taps per pixel.
 */
final class Conv2dInt8Scalar implements Conv2dInt8Fast.Kernel {
  private final Conv2dReference.Geometry g;
  private final int bw, blocks, items, grain, taps, outZp, actMin, actMax;
  private final int[] yLo, yHi, xLo, xHi, lut, multiplier, shift;
  private final int[][] rows, biasRows, acc;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private final java.util.concurrent.atomic.AtomicIntegerArray busy;
  private byte[] in, out;
  private int inOff, outOff;

  Conv2dInt8Scalar(Conv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp, int[] bias, int bOff,
                   int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax, Parallel parallel) {
    this.g = g;
    this.taps = g.kH() * g.kW() * g.inC();
    this.bw = Conv2dF32Gemm1x1Scalar.blockWidth(g.outC());
    this.blocks = Conv2dF32Fast.blocks(g.outC(), bw);
    this.items = g.batch() * g.outH() * blocks;
    this.grain = Conv2dF32Fast.grain((long) g.outW() * taps * bw);
    this.yLo = Conv2dF32Fast.firstTap(g.outH(), g.inH(), g.kH(), g.strideH(), g.dilationH(), g.padTop());
    this.yHi = Conv2dF32Fast.endTap(g.outH(), g.inH(), g.kH(), g.strideH(), g.dilationH(), g.padTop());
    this.xLo = Conv2dF32Fast.firstTap(g.outW(), g.inW(), g.kW(), g.strideW(), g.dilationW(), g.padLeft());
    this.xHi = Conv2dF32Fast.endTap(g.outW(), g.inW(), g.kW(), g.strideW(), g.dilationW(), g.padLeft());
    this.rows = weightRows(g.outC(), taps, filter, fOff, unsigned, filterZp, bw);
    this.biasRows = biasRows(bias, bOff, g.outC(), bw);
    this.lut = Conv2dInt8Fast.offsetTable(unsigned, inZp);
    this.multiplier = multiplier.clone();
    this.shift = shift.clone();
    this.outZp = outZp;
    this.actMin = actMin;
    this.actMax = actMax;
    int threads = parallel == null ? 1 : parallel.threads();
    this.acc = new int[threads][bw + 32];
    this.busy = new java.util.concurrent.atomic.AtomicIntegerArray(threads);
    this.parallel = parallel;
  }

  @Override
  public void run(byte[] in, int inOff, byte[] out, int outOff) {
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
    int slot = acquire(busy);
    try {
      rows(from, to, slot >= 0 ? acc[slot] : new int[bw]);
    } finally {
      if (slot >= 0) busy.set(slot, 0);
    }
  }

  /** A free slot of {@code busy}, now taken, or -1 (more concurrent chunks than slots: the caller uses a fresh array). */
  static int acquire(java.util.concurrent.atomic.AtomicIntegerArray busy) {
    for (int i = 0; i < busy.length(); i++) if (busy.get(i) == 0 && busy.compareAndSet(i, 0, 1)) return i;
    return -1;
  }

  private void rows(int from, int to, int[] acc) {
    final byte[] in = this.in, out = this.out;
    final int[][] rows = this.rows;
    final int inH = g.inH(), inW = g.inW(), inC = g.inC(), outH = g.outH(), outW = g.outW(), outC = g.outC(), kW = g.kW();
    final int sH = g.strideH(), sW = g.strideW(), dH = g.dilationH(), dW = g.dilationW(), padTop = g.padTop(), padLeft = g.padLeft();
    for (int item = from; item < to; item++) {
      int row = item / blocks, blk = item - row * blocks, b = row / outH, oy = row - b * outH;
      int[] bias = biasRows[blk];
      int oc0 = blk * bw, width = bias.length, row0 = blk * taps;
      int ky0 = yLo[oy], ky1 = yHi[oy];
      for (int ox = 0; ox < outW; ox++) {
        int kx0 = xLo[ox], kx1 = xHi[ox];
        System.arraycopy(bias, 0, acc, 0, width);
        // with dilation 1 along x, the taps (kx, ic) of a filter row are contiguous in the input and in the rows: one run
        int nx = Math.max(0, kx1 - kx0), runs = dW == 1 ? Math.min(nx, 1) : nx, runLen = dW == 1 ? nx * inC : inC;
        for (int ky = ky0; ky < ky1; ky++) {
          int rowBase = (b * inH + oy * sH - padTop + ky * dH) * inW + ox * sW - padLeft + kx0 * dW;
          for (int r = 0; r < runs; r++) {
            int src = inOff + (rowBase + r * dW) * inC;
            accumulate(in, src, runLen, lut, rows, row0 + (ky * kW + kx0 + r) * inC, acc, width);
          }
        }
        Conv2dInt8Fast.requantize(acc, width, multiplier, shift, oc0, outZp, actMin, actMax, out, outOff + (row * outW + ox) * outC + oc0);
      }
    }
  }

  /**
   * acc[j] += sum over i < n of lut[in[src + i]] * rows[row + i][j], for j < width (wrapping int32, four taps a
   * statement).
   */
  static void accumulate(byte[] in, int src, int n, int[] lut, int[][] rows, int row, int[] acc, int width) {
    int i = 0;
    for (; i + 4 <= n; i += 4, row += 4) {
      int a0 = lut[in[src + i] & 0xFF], a1 = lut[in[src + i + 1] & 0xFF], a2 = lut[in[src + i + 2] & 0xFF];
      int a3 = lut[in[src + i + 3] & 0xFF];
      int[] w0 = rows[row], w1 = rows[row + 1], w2 = rows[row + 2], w3 = rows[row + 3];
      for (int j = 0; j < width; j++) acc[j] = acc[j] + a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
    }
    for (; i < n; i++, row++) {
      int a = lut[in[src + i] & 0xFF];
      int[] w0 = rows[row];
      for (int j = 0; j < width; j++) acc[j] += a * w0[j];
    }
  }

  /**
   * The OHWI filter as int weight rows minus the filter zero point: row {@code blk * taps + t} (t over (ky, kx, ic))
   * holds tap t of output channels blk * width .. (the last block's rows are shorter).
   */
  static int[][] weightRows(int outC, int taps, byte[] filter, int fOff, boolean unsigned, int filterZp, int width) {
    int blocks = Conv2dF32Fast.blocks(outC, width);
    int[][] rows = new int[blocks * taps][];
    for (int blk = 0; blk < blocks; blk++) {
      int oc0 = blk * width, n = Math.min(width, outC - oc0);
      for (int t = 0; t < taps; t++) {
        int[] r = new int[n];
        for (int j = 0; j < n; j++) {
          byte w = filter[fOff + (oc0 + j) * taps + t];
          r[j] = (unsigned ? w & 0xFF : w) - filterZp;
        }
        rows[blk * taps + t] = r;
      }
    }
    return rows;
  }

  /** The bias in blocks of {@code width} (zeros when there is none). */
  static int[][] biasRows(int[] bias, int bOff, int outC, int width) {
    int blocks = Conv2dF32Fast.blocks(outC, width);
    int[][] rows = new int[blocks][];
    for (int blk = 0; blk < blocks; blk++) {
      int n = Math.min(width, outC - blk * width);
      rows[blk] = new int[n];
      if (bias != null) System.arraycopy(bias, bOff + blk * width, rows[blk], 0, n);
    }
    return rows;
  }
}
