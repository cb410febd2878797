package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * BATCH_TO_SPACE_ND on 4-D NHWC (or 3-D NHC) input, the inverse of SPACE_TO_BATCH_ND: input batch b goes to
 * output batch b % N at spatial offset (b / N) within each block_shape block, then crops (non-negative) are
 * cut from the spatial dimensions. block_shape and crops must be constant.
 */
public final class BatchToSpaceNd {
  private BatchToSpaceNd() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    Shapes.requireSameQuantization(ctx, in, out);
    int rank = in.rank();
    ctx.require(rank == 3 || rank == 4, "input must be 3-D or 4-D, is " + in);
    int spatial = rank - 2;
    int[] block = Shapes.constantInts(ctx, ctx.input(1), "block_shape");
    int[] crops = Shapes.constantInts(ctx, ctx.input(2), "crops");
    ctx.require(block.length == spatial, "block_shape needs " + spatial + " values, has " + block.length);
    ctx.require(ctx.input(2).rank() == 2 && crops.length == 2 * spatial, "crops must have shape [" + spatial + ", 2]");
    for (int b : block) ctx.require(b > 0, "block_shape values must be positive");
    for (int p : crops) ctx.require(p >= 0, "crops must not be negative");
    int n = in.shape[0], h = in.shape[1], w = rank == 4 ? in.shape[2] : 1, c = in.shape[rank - 1];
    int bh = block[0], bw = rank == 4 ? block[1] : 1, top = crops[0], left = rank == 4 ? crops[2] : 0;
    ctx.require(n % (bh * bw) == 0, "batch " + n + " is not a multiple of the block " + bh + "x" + bw);
    int on = n / (bh * bw), oh = h * bh - crops[0] - crops[1], ow = w * bw - (rank == 4 ? crops[2] + crops[3] : 0);
    ctx.require(oh >= 0 && ow >= 0, "crops are larger than the spatial size " + (h * bh) + "x" + (w * bw));
    if (rank == 4) ctx.setOutputShape(0, on, oh, ow, c); else ctx.setOutputShape(0, on, oh, c);
    return () -> {
      for (int b = 0; b < n; b++) {
        int outB = b % on, offset = b / on, offH = offset / bw, offW = offset % bw;
        for (int y = 0; y < h; y++) {
          int oy = y * bh + offH - top;
          if (oy < 0 || oy >= oh) continue;
          for (int x = 0; x < w; x++) {
            int ox = x * bw + offW - left;
            if (ox < 0 || ox >= ow) continue;
            Elements.copy(in, ((b * h + y) * w + x) * c, out, ((outB * oh + oy) * ow + ox) * c, c);
          }
        }
      }
    };
  }
}
