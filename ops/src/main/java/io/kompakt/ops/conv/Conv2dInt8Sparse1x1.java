package io.kompakt.ops.conv;

import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.IntAsFloat;
import io.kompakt.ops.sparse.SparseGemmF32;
import io.kompakt.ops.sparse.SparseGemmInt8;
import io.kompakt.ops.sparse.SparseSupport;
import io.kompakt.ops.sparse.SparseWeights;
import io.kompakt.ops.common.VectorSupport;

/**
 * Sparse integer CONV_2D (int8 per channel as {@link Conv2dInt8Reference}, uint8 per tensor as
 * {@link Conv2dUint8Reference}) for a 1x1 filter without padding: the filter packed once into compressed rows of the
 * weights that differ from the filter zero point, the pixels computed by {@link SparseGemmInt8}. Bit-exact with the
 * reference kernels (the skipped products are 0; int32 sums wrap alike in any order; the same requantization). With the
 * Vector API, a filter sparse in blocks of output channels runs instead on the float column blocks, exactly
 * ({@link SparseGemmF32#prepareExactInt8}).
 */
public final class Conv2dInt8Sparse1x1 implements Conv2dInt8Fast.Kernel {
  private final SparseGemmInt8 gemm;

  /**
   * @param unsigned uint8 tensors; else int8
   * @param filterZp the filter's zero point (uint8; 0 for int8, whose reference ignores it)
   * @throws IllegalArgumentException if the geometry is not a 1x1 filter without padding
   */
  public Conv2dInt8Sparse1x1(Conv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp, int[] bias,
                             int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                             Parallel parallel) {
    if (!Conv2dF32Sparse1x1.applies(g)) throw new IllegalArgumentException("the sparse kernel needs a 1x1 filter without padding: " + g);
    this.gemm = new SparseGemmInt8(Conv2dF32Sparse1x1.pixelOffsets(g),
        SparseWeights.ofBytes(filter, fOff, g.outC(), g.inC(), unsigned, filterZp), unsigned, inZp, bias, bOff, outZp, multiplier,
        shift, actMin, actMax, parallel);
  }

  @Override
  public void run(byte[] in, int inOff, byte[] out, int outOff) { gemm.run(in, inOff, out, outOff); }

  /** The hook of {@link Conv2D} for int8: this kernel where the filter is 1x1 and sparse enough, else null. */
  static io.kompakt.engine.run.Kernel select(OpContext ctx, Conv2dReference.Geometry g, ConvQuantParams.Requant q) {
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    if (!Conv2dF32Sparse1x1.applies(g)) return null;
    if (VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR) {
      // exactly on the float column blocks, where the filter is sparse in blocks of output channels
      IntAsFloat.ByteKernel f = SparseGemmF32.prepareExactInt8(Conv2dF32Sparse1x1.pixelOffsets(g),
          g.batch() * g.inH() * g.inW() * g.inC(), filter.i8, filter.offset, g.outC(), g.inC(), 0, in.zeroPoint(),
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.zeroPoint(), q.multiplier(), q.shift(), q.actMin(),
          q.actMax(), SparseSupport.Kind.CONV_1X1_INT, ctx.parallel(), ctx.scratch());
      if (f != null) return () -> f.run(in.i8, in.offset, out.i8, out.offset);
    }
    if (!SparseSupport.use(SparseWeights.sparsity(filter.i8, filter.offset, g.outC() * g.inC(), false, 0), SparseSupport.Kind.CONV_1X1_INT, g.inC())) {
      return null;
    }
    Conv2dInt8Sparse1x1 k = new Conv2dInt8Sparse1x1(g, filter.i8, filter.offset, false, 0, bias == null ? null : bias.i32,
        bias == null ? 0 : bias.offset, in.zeroPoint(), out.zeroPoint(), q.multiplier(), q.shift(), q.actMin(), q.actMax(),
        ctx.parallel());
    return () -> k.run(in.i8, in.offset, out.i8, out.offset);
  }
}
