package io.kompakt.ops.dense;

import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.SparseGemmF32;
import io.kompakt.ops.common.SparseSupport;
import io.kompakt.ops.common.SparseWeights;

/**
 * Sparse float32 FULLY_CONNECTED: the weights [units][depth] packed once, at prepare, into compressed rows of their
 * nonzeros ({@link SparseWeights}), computed by {@link SparseGemmF32} (a batch-1 classifier takes its dot-product
 * path). Same results as {@link FullyConnectedReference} up to float rounding. Chosen by {@link #select} where the
 * weights' sparsity reaches the crossover of {@link SparseSupport}.
 */
public final class FullyConnectedF32Sparse implements FullyConnectedF32Fast.Kernel {
  private final SparseGemmF32 gemm;

  /** Weights [units][depth] from {@code wOff}; bias [units] from {@code bOff} or null. */
  public FullyConnectedF32Sparse(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff, float min,
                                 float max, Parallel parallel) {
    this.gemm = new SparseGemmF32(rowOffsets(batch, depth), SparseWeights.ofFloat(weights, wOff, units, depth), bias, bOff, min,
        max, parallel);
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
    if (!SparseSupport.use(SparseWeights.sparsity(weights.f32, weights.offset, units * depth), SparseSupport.Kind.DENSE_F32, depth)) return null;
    FullyConnectedF32Sparse k = new FullyConnectedF32Sparse(batch, depth, units, weights.f32, weights.offset,
        bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, range[0], range[1], ctx.parallel());
    return () -> k.run(in.f32, in.offset, out.f32, out.offset);
  }
}
