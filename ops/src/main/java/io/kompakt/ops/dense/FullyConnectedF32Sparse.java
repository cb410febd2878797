package io.kompakt.ops.dense;

import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.sparse.SparseGemmF32;
import io.kompakt.ops.sparse.SparseSupport;
import io.kompakt.ops.common.VectorSupport;

/**
 * Sparse float32 FULLY_CONNECTED: the weights [units][depth] packed once, at prepare, for {@link SparseGemmF32}'s
 * kernels (the Vector API's column blocks, or compressed rows of the nonzeros in scalar code, where a batch-1
 * classifier takes the dot-product path). Same results as {@link FullyConnectedReference} up to float rounding. Chosen
 * by {@link #select} where the weights are sparse enough for {@link SparseSupport}.
 */
public final class FullyConnectedF32Sparse implements FullyConnectedF32Fast.Kernel {
  private final SparseGemmF32.Kernel gemm;

  /**
   * Weights [units][depth] from {@code wOff}; bias [units] from {@code bOff} or null; {@code vector}: the Vector API
   * kernel (requires {@link VectorSupport#available()}), else the scalar one.
   */
  public FullyConnectedF32Sparse(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff, float min,
                                 float max, boolean vector, Parallel parallel) {
    this.gemm = SparseGemmF32.prepare(rowOffsets(batch, depth), weights, wOff, units, depth, bias, bOff, min, max, vector, parallel);
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) { gemm.run(in, inOff, out, outOff); }

  /** Row b's inputs at b * depth. */
  static int[] rowOffsets(int batch, int depth) {
    if (batch < 0 || depth < 1 || (long) batch * depth > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("bad fully connected geometry: batch " + batch + ", depth " + depth);
    }
    int[] r = new int[batch];
    for (int b = 0; b < batch; b++) r[b] = b * depth;
    return r;
  }

  /** The hook of {@link FullyConnected}: this kernel where the (constant) weights are sparse enough, else null. */
  static io.kompakt.engine.run.Kernel select(OpContext ctx, int batch, int depth, int units, float[] range) {
    RuntimeTensor in = ctx.input(0), weights = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    boolean vector = VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR;
    if (!SparseSupport.useF32(weights.f32, weights.offset, units, depth, batch, SparseSupport.Kind.DENSE_F32, vector)) return null;
    FullyConnectedF32Sparse k = new FullyConnectedF32Sparse(batch, depth, units, weights.f32, weights.offset,
        bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, range[0], range[1], vector, ctx.parallel());
    return () -> k.run(in.f32, in.offset, out.f32, out.offset);
  }
}
