package io.kompakt.ops.dense;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * FULLY_CONNECTED with the Vector API: per block of 4 vectors of units, four accumulators in registers; per depth, one
 * broadcast of the input and four weight loads from the packed [block][depth][4 * lanes] weights feed four fused
 * multiply-adds. Blocks are zero-padded; the last, partial block is stored through a scratch block (no masked stores:
 * JDK 17 allocates in them).
 *
 * <p>Loaded only through {@link FullyConnectedF32Fast} after {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class FullyConnectedF32Vector implements FullyConnectedF32Fast.Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int WIDTH = 4 * L;

  private final int batch, depth, units, blocks, grain;
  private final float[] w, bias;
  /** Scratch for the stores of the last, partial block. */
  private final float[] tail = new float[WIDTH];
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::blocks;
  private float[] in, out;
  private int inOff, outOff;

  static FullyConnectedF32Fast.Kernel create(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff,
                                             float min, float max, Parallel parallel) {
    return new FullyConnectedF32Vector(batch, depth, units, weights, wOff, bias, bOff, min, max, parallel);
  }

  private FullyConnectedF32Vector(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff, float min,
                                  float max, Parallel parallel) {
    this.batch = batch;
    this.depth = depth;
    this.units = units;
    this.blocks = FullyConnectedF32Fast.blocks(units, WIDTH);
    this.grain = FullyConnectedF32Fast.grain((long) batch * depth * WIDTH);
    this.w = FullyConnectedF32Fast.packWeights(depth, units, weights, wOff, WIDTH);
    this.bias = FullyConnectedF32Fast.packBias(bias, bOff, units, WIDTH);
    this.min = min;
    this.max = max;
    this.parallel = parallel;
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) {
    this.in = in;
    this.inOff = inOff;
    this.out = out;
    this.outOff = outOff;
    try {
      FullyConnectedF32Fast.forRange(parallel, blocks, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private void blocks(int from, int to) {
    final float[] in = this.in, w = this.w, out = this.out;
    final int depth = this.depth, units = this.units;
    final float min = this.min, max = this.max;
    for (int blk = from; blk < to; blk++) {
      int u0 = blk * WIDTH, wBlock = blk * depth * WIDTH;
      for (int b = 0; b < batch; b++) {
        int src = inOff + b * depth;
        FloatVector a0 = FloatVector.fromArray(S, bias, u0), a1 = FloatVector.fromArray(S, bias, u0 + L);
        FloatVector a2 = FloatVector.fromArray(S, bias, u0 + 2 * L), a3 = FloatVector.fromArray(S, bias, u0 + 3 * L);
        for (int d = 0, k = wBlock; d < depth; d++, k += WIDTH) {
          FloatVector x = FloatVector.broadcast(S, in[src + d]);
          a0 = FloatVector.fromArray(S, w, k).fma(x, a0);
          a1 = FloatVector.fromArray(S, w, k + L).fma(x, a1);
          a2 = FloatVector.fromArray(S, w, k + 2 * L).fma(x, a2);
          a3 = FloatVector.fromArray(S, w, k + 3 * L).fma(x, a3);
        }
        int o = outOff + b * units + u0;
        if (u0 + WIDTH <= units) {
          a0.max(min).min(max).intoArray(out, o);
          a1.max(min).min(max).intoArray(out, o + L);
          a2.max(min).min(max).intoArray(out, o + 2 * L);
          a3.max(min).min(max).intoArray(out, o + 3 * L);
        } else {
          // the last, partial block (one thread has it): through a scratch block, as JDK 17 allocates in masked stores
          final float[] tail = this.tail;
          a0.max(min).min(max).intoArray(tail, 0);
          a1.max(min).min(max).intoArray(tail, L);
          a2.max(min).min(max).intoArray(tail, 2 * L);
          a3.max(min).min(max).intoArray(tail, 3 * L);
          System.arraycopy(tail, 0, out, o, units - u0);
        }
      }
    }
  }
}
