package io.kompakt.ops.conv;

import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.sparse.SparseGemmF32;
import io.kompakt.ops.sparse.SparseSupport;
import io.kompakt.ops.common.VectorSupport;

/**
 * Sparse float32 CONV_2D for a 1x1 filter without padding (any stride): the filter [outC][inC] packed once, at prepare,
 * and the output pixels computed by {@link SparseGemmF32}'s kernels, which skip the zeros (the Vector API's column
 * blocks, or compressed rows of the nonzero weights in scalar code). Same results as {@link Conv2dReference} up to float
 * rounding. Chosen by {@link #select} where the filter is sparse enough for {@link SparseSupport} (pruned models).
 */
public final class Conv2dF32Sparse1x1 implements Conv2dF32Fast.Kernel {
  private final SparseGemmF32.Kernel gemm;

  /**
   * @param filter OHWI filter [outC][1][1][inC] from {@code fOff}
   * @param bias   [outC] from {@code bOff}, or null
   * @param vector the Vector API kernel (requires {@link VectorSupport#available()}), else the scalar one
   * @throws IllegalArgumentException if the geometry is not a 1x1 filter without padding ({@link #applies})
   */
  public Conv2dF32Sparse1x1(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min, float max,
                            boolean vector, Parallel parallel) {
    if (!applies(g)) throw new IllegalArgumentException("the sparse kernel needs a 1x1 filter without padding: " + g);
    this.gemm = SparseGemmF32.prepare(pixelOffsets(g), filter, fOff, g.outC(), g.inC(), bias, bOff, min, max, vector, parallel);
  }

  /** A 1x1 filter without padding, every output pixel reading one input pixel. */
  public static boolean applies(Conv2dReference.Geometry g) {
    return Conv2dF32Fast.isGemm1x1(g) && (long) g.batch() * g.outH() * g.outW() <= Integer.MAX_VALUE
        && (long) g.batch() * g.inH() * g.inW() * g.inC() <= Integer.MAX_VALUE;
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) { gemm.run(in, inOff, out, outOff); }

  /** Per output pixel (flat over batch, y, x), the offset of its input pixel. */
  static int[] pixelOffsets(Conv2dReference.Geometry g) {
    int[] r = new int[g.batch() * g.outH() * g.outW()];
    int p = 0;
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          r[p++] = ((b * g.inH() + oy * g.strideH()) * g.inW() + ox * g.strideW()) * g.inC();
        }
      }
    }
    return r;
  }

  /**
   * The hook of {@link Conv2D}: this kernel for the op when its (constant) filter is 1x1 and sparse enough for
   * {@link SparseSupport#use}, else null.
   */
  static io.kompakt.engine.run.Kernel select(OpContext ctx, Conv2dReference.Geometry g, float[] range) {
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    if (!applies(g)) return null;
    boolean vector = VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR;
    if (!SparseSupport.useF32(filter.f32, filter.offset, g.outC(), g.inC(), g.batch() * g.outH() * g.outW(),
        SparseSupport.Kind.CONV_1X1_F32, vector)) return null;
    Conv2dF32Sparse1x1 k = new Conv2dF32Sparse1x1(g, filter.f32, filter.offset, bias == null ? null : bias.f32,
        bias == null ? 0 : bias.offset, range[0], range[1], vector, ctx.parallel());
    return () -> k.run(in.f32, in.offset, out.f32, out.offset);
  }
}
