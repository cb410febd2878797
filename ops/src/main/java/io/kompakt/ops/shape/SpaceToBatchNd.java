package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * SPACE_TO_BATCH_ND on 4-D NHWC (or 3-D NHC) input: pads the spatial dimensions (with 0, or the zero point of
 * 8- and 16-bit types), then moves each block_shape[0] x block_shape[1] block's positions into the batch:
 * output batch (shiftH * blockW + shiftW) * N + n holds padded input[n, oh * blockH + shiftH, ow * blockW + shiftW].
 * block_shape and paddings must be constant.
 */
public final class SpaceToBatchNd {
  private SpaceToBatchNd() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    Shapes.requireSameQuantization(ctx, in, out);
    int rank = in.rank();
    ctx.require(rank == 3 || rank == 4, "input must be 3-D or 4-D, is " + in);
    int spatial = rank - 2;
    int[] block = Shapes.constantInts(ctx, ctx.input(1), "block_shape");
    int[] pads = Shapes.constantInts(ctx, ctx.input(2), "paddings");
    ctx.require(block.length == spatial, "block_shape needs " + spatial + " values, has " + block.length);
    ctx.require(ctx.input(2).rank() == 2 && pads.length == 2 * spatial, "paddings must have shape [" + spatial + ", 2]");
    for (int b : block) ctx.require(b > 0, "block_shape values must be positive");
    for (int p : pads) ctx.require(p >= 0, "paddings must not be negative");
    int n = in.shape[0], h = in.shape[1], w = rank == 4 ? in.shape[2] : 1, c = in.shape[rank - 1];
    int bh = block[0], bw = rank == 4 ? block[1] : 1, top = pads[0], left = rank == 4 ? pads[2] : 0;
    int paddedH = h + pads[0] + pads[1], paddedW = w + (rank == 4 ? pads[2] + pads[3] : 0);
    ctx.require(paddedH % bh == 0 && paddedW % bw == 0,
        "padded spatial size " + paddedH + "x" + paddedW + " is not a multiple of the block " + bh + "x" + bw);
    int oh = paddedH / bh, ow = paddedW / bw, ob = n * bh * bw;
    if (rank == 4) ctx.setOutputShape(0, ob, oh, ow, c); else ctx.setOutputShape(0, ob, oh, c);
    RuntimeTensor.Storage st = RuntimeTensor.storage(in.type);
    long zero = st == RuntimeTensor.Storage.I8 || st == RuntimeTensor.Storage.I16 ? out.zeroPoint() : 0;
    int total = ob * oh * ow * c;
    return () -> {
      Elements.fill(out, 0, total, zero);
      for (int b = 0; b < ob; b++) {
        int inB = b % n, shiftW = (b / n) % bw, shiftH = (b / n) / bw;
        for (int y = 0; y < oh; y++) {
          int iy = y * bh + shiftH - top;
          if (iy < 0 || iy >= h) continue;
          for (int x = 0; x < ow; x++) {
            int ix = x * bw + shiftW - left;
            if (ix < 0 || ix >= w) continue;
            Elements.copy(in, ((inB * h + iy) * w + ix) * c, out, ((b * oh + y) * ow + x) * c, c);
          }
        }
      }
    };
  }
}
