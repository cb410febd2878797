package io.kompakt.ops.dense;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.ScratchPool;

/**
 * FULLY_CONNECTED in plain Java, written for C2's auto-vectorisation: per block of up to {@value #WIDTH} units,
 * acc[j] = bias[u0 + j] + sum_d in[b][d] * w[d][u0 + j]. C2 turns a loop into SIMD only when every array in it is
 * indexed alike, so the accumulator is a per-thread {@link ScratchPool} array and the weights are rows of their own,
 * [block][depth] rows of the block's units; four depths go into one statement, evaluated left to right (the same
 * rounding as one at a time). The clamp runs in the accumulator; {@code System.arraycopy} stores it.
 */
final class FullyConnectedF32Scalar implements FullyConnectedF32Fast.Kernel {
  /** Units per block (long loops for C2's SIMD; several blocks for the threads). */
  static final int WIDTH = 128;

  private final int batch, depth, units, blocks, grain;
  private final float[][] rows, biasRows;
  private final float min, max;
  private final ScratchPool scratch;
  private final Parallel parallel;
  private final Parallel.Body body = this::blocks;
  private float[] in, out;
  private int inOff, outOff;

  FullyConnectedF32Scalar(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff, float min,
                          float max, Parallel parallel) {
    this.batch = batch;
    this.depth = depth;
    this.units = units;
    this.blocks = FullyConnectedF32Fast.blocks(units, WIDTH);
    this.grain = FullyConnectedF32Fast.grain((long) batch * depth * Math.min(units, WIDTH));
    this.rows = new float[blocks * depth][];
    this.biasRows = new float[blocks][];
    for (int blk = 0; blk < blocks; blk++) {
      int u0 = blk * WIDTH, n = Math.min(WIDTH, units - u0);
      for (int d = 0; d < depth; d++) {
        float[] r = new float[n];
        for (int j = 0; j < n; j++) r[j] = weights[wOff + (u0 + j) * depth + d];
        rows[blk * depth + d] = r;
      }
      biasRows[blk] = new float[n];
      if (bias != null) System.arraycopy(bias, bOff + u0, biasRows[blk], 0, n);
    }
    this.min = min;
    this.max = max;
    this.scratch = new ScratchPool(parallel == null ? 1 : parallel.threads(), Math.min(units, WIDTH));
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
    int slot = scratch.acquire();
    try {
      final float[] acc = scratch.get(slot), in = this.in;
      final float[][] rows = this.rows;
      final int depth = this.depth;
      final float min = this.min, max = this.max;
      for (int blk = from; blk < to; blk++) {
        float[] bias = biasRows[blk];
        int width = bias.length, row0 = blk * depth;
        for (int b = 0; b < batch; b++) {
          int src = inOff + b * depth;
          System.arraycopy(bias, 0, acc, 0, width);
          int d = 0;
          for (; d + 4 <= depth; d += 4) {
            float a0 = in[src + d], a1 = in[src + d + 1], a2 = in[src + d + 2], a3 = in[src + d + 3];
            float[] w0 = rows[row0 + d], w1 = rows[row0 + d + 1], w2 = rows[row0 + d + 2], w3 = rows[row0 + d + 3];
            for (int j = 0; j < width; j++) acc[j] = acc[j] + a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
          }
          for (; d < depth; d++) {
            float a = in[src + d];
            float[] w0 = rows[row0 + d];
            for (int j = 0; j < width; j++) acc[j] += a * w0[j];
          }
          for (int j = 0; j < width; j++) acc[j] = Math.min(Math.max(acc[j], min), max);
          System.arraycopy(acc, 0, out, outOff + b * units + blk * WIDTH, width);
        }
      }
    } finally {
      scratch.release(slot);
    }
  }
}
