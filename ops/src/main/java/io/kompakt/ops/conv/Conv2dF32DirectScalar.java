package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.ScratchPool;

/**
 * CONV_2D of any filter size, stride, dilation and padding in plain Java, directly over (ky, kx, ic) with a block of
 * output channels innermost: out[p][oc] = bias[oc] + sum in[tap(p)][ic] * w[ky][kx][ic][oc]. The valid tap ranges of
 * every output row and column are computed at prepare, so border pixels skip the padding without a branch in the
 * loops; with dilation 1 along x, the (kx, ic) taps of a filter row are one contiguous run of the input. The
 * innermost loops are those of {@link Conv2dF32Gemm1x1Scalar#accumulate} (a per-thread row accumulator and weight rows
 * of their own, all indexed alike, which C2 turns into SIMD). Work items: (output row, output-channel block).
 */
final class Conv2dF32DirectScalar implements Conv2dF32Fast.Kernel {
  private final Conv2dReference.Geometry g;
  private final int bw, blocks, items, grain, taps;
  private final int[] yLo, yHi, xLo, xHi;
  private final float[][] rows, biasRows;
  private final float min, max;
  private final ScratchPool scratch;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private float[] in, out;
  private int inOff, outOff;

  Conv2dF32DirectScalar(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min, float max,
                        Parallel parallel) {
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
    this.rows = Conv2dF32Gemm1x1Scalar.weightRows(g, filter, fOff, bw);
    this.biasRows = Conv2dF32Gemm1x1Scalar.biasRows(bias, bOff, g.outC(), bw);
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

  private void items(int from, int to) {
    int slot = scratch.acquire();
    try {
      rows(from, to, scratch.get(slot));
    } finally {
      scratch.release(slot);
    }
  }

  private void rows(int from, int to, float[] acc) {
    final float[] in = this.in, out = this.out;
    final float[][] rows = this.rows;
    final int inH = g.inH(), inW = g.inW(), inC = g.inC(), outH = g.outH(), outW = g.outW(), outC = g.outC(), kW = g.kW();
    final int sH = g.strideH(), sW = g.strideW(), dH = g.dilationH(), dW = g.dilationW(), padTop = g.padTop(), padLeft = g.padLeft();
    for (int item = from; item < to; item++) {
      int row = item / blocks, blk = item - row * blocks, b = row / outH, oy = row - b * outH;
      float[] bias = biasRows[blk];
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
            Conv2dF32Gemm1x1Scalar.accumulate(in, src, runLen, rows, row0 + (ky * kW + kx0 + r) * inC, acc, width);
          }
        }
        Conv2dF32Gemm1x1Scalar.clamp(acc, width, min, max);
        System.arraycopy(acc, 0, out, outOff + (row * outW + ox) * outC + oc0, width);
      }
    }
  }
}
