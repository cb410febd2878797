package io.kompakt.ops.dense;

import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.IntAsFloat;
import io.kompakt.ops.sparse.SparseGemmF32;
import io.kompakt.ops.sparse.SparseGemmInt8;
import io.kompakt.ops.sparse.SparseSupport;
import io.kompakt.ops.sparse.SparseWeights;
import io.kompakt.ops.common.VectorSupport;
import io.kompakt.ops.conv.ConvQuantParams;

/**
 * Sparse integer FULLY_CONNECTED (int8 per channel or per tensor with the weights' zero point, as
 * {@link FullyConnectedInt8Reference}; uint8 as {@link FullyConnectedUint8Reference}): the weights packed once into
 * compressed rows of the values that differ from the zero point, computed by {@link SparseGemmInt8}. Bit-exact with
 * the reference kernels.
 */
public final class FullyConnectedInt8Sparse implements FullyConnectedInt8Fast.Kernel {
  private final SparseGemmInt8 gemm;

  /** As {@link FullyConnectedInt8Fast#prepare}. */
  public FullyConnectedInt8Sparse(int batch, int depth, int units, byte[] weights, int wOff, boolean unsigned, int wZp, int[] bias,
                                  int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                                  Parallel parallel) {
    this.gemm = new SparseGemmInt8(FullyConnectedF32Sparse.rowOffsets(batch, depth),
        SparseWeights.ofBytes(weights, wOff, units, depth, unsigned, wZp), unsigned, inZp, bias, bOff, outZp, multiplier, shift,
        actMin, actMax, parallel);
  }

  @Override
  public void run(byte[] in, int inOff, byte[] out, int outOff) { gemm.run(in, inOff, out, outOff); }

  /** The hook of {@link FullyConnected} for int8: this kernel where the weights are sparse enough, else null. */
  static io.kompakt.engine.run.Kernel select(OpContext ctx, int batch, int depth, int units, int wZp, ConvQuantParams.Requant q) {
    RuntimeTensor in = ctx.input(0), weights = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    if (VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR) {
      // exactly on the float column blocks, where the weights are sparse in blocks of units
      IntAsFloat.ByteKernel f = SparseGemmF32.prepareExactInt8(FullyConnectedF32Sparse.rowOffsets(batch, depth), batch * depth, weights.i8, weights.offset,
          units, depth, wZp, in.zeroPoint(), bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.zeroPoint(),
          q.multiplier(), q.shift(), q.actMin(), q.actMax(), SparseSupport.Kind.DENSE_INT, ctx.parallel(), ctx.scratch());
      if (f != null) return () -> f.run(in.i8, in.offset, out.i8, out.offset);
    }
    if (!SparseSupport.use(SparseWeights.sparsity(weights.i8, weights.offset, units * depth, false, wZp), SparseSupport.Kind.DENSE_INT, depth)) return null;
    FullyConnectedInt8Sparse k = new FullyConnectedInt8Sparse(batch, depth, units, weights.i8, weights.offset, false, wZp,
        bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, in.zeroPoint(), out.zeroPoint(), q.multiplier(), q.shift(),
        q.actMin(), q.actMax(), ctx.parallel());
    return () -> k.run(in.i8, in.offset, out.i8, out.offset);
  }
}
