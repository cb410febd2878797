package io.kompakt.ops.dense;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.QuantMath;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Integer FULLY_CONNECTED (int8 and uint8) in plain Java, as {@link FullyConnectedF32Scalar}: per block of up to
 * {@value #WIDTH} units, {@code acc[j] = bias[u0 + j] + sum_d (x[b][d] - inZp) * (w[u0 + j][d] - wZp)} in wrapping
 * int32, with a per-thread int accumulator and int weight rows of their own ([block][depth], zero point subtracted),
 * all indexed alike in the innermost loop (C2 SIMD); four depths a statement. The input value comes through a
 * 256-entry table that applies the sign convention and the input zero point at once. Then the reference
 * requantization per unit.
 */
final class FullyConnectedInt8Scalar implements FullyConnectedInt8Fast.Kernel {
  /** Units per block (long loops for C2's SIMD; several blocks for the threads). */
  static final int WIDTH = 128;

  private final int batch, depth, units, blocks, grain, outZp, actMin, actMax;
  private final int[] lut, multiplier, shift;
  private final int[][] rows, biasRows, acc;
  private final AtomicIntegerArray busy;
  private final Parallel parallel;
  private final Parallel.Body body = this::blocks;
  private byte[] in, out;
  private int inOff, outOff;

  FullyConnectedInt8Scalar(int batch, int depth, int units, byte[] weights, int wOff, boolean unsigned, int wZp, int[] bias,
                           int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                           Parallel parallel) {
    this.batch = batch;
    this.depth = depth;
    this.units = units;
    this.blocks = FullyConnectedF32Fast.blocks(units, WIDTH);
    this.grain = FullyConnectedF32Fast.grain((long) batch * depth * Math.min(units, WIDTH));
    this.rows = new int[blocks * depth][];
    this.biasRows = new int[blocks][];
    for (int blk = 0; blk < blocks; blk++) {
      int u0 = blk * WIDTH, n = Math.min(WIDTH, units - u0);
      for (int d = 0; d < depth; d++) {
        int[] r = new int[n];
        for (int j = 0; j < n; j++) {
          byte w = weights[wOff + (u0 + j) * depth + d];
          r[j] = (unsigned ? w & 0xFF : w) - wZp;
        }
        rows[blk * depth + d] = r;
      }
      biasRows[blk] = new int[n];
      if (bias != null) System.arraycopy(bias, bOff + u0, biasRows[blk], 0, n);
    }
    this.lut = new int[256];
    for (int b = 0; b < 256; b++) lut[b] = (unsigned ? b : (byte) b) - inZp;
    this.multiplier = multiplier.clone();
    this.shift = shift.clone();
    this.outZp = outZp;
    this.actMin = actMin;
    this.actMax = actMax;
    int threads = parallel == null ? 1 : parallel.threads();
    this.acc = new int[threads][Math.min(units, WIDTH) + 32];
    this.busy = new AtomicIntegerArray(threads);
    this.parallel = parallel;
  }

  @Override
  public void run(byte[] in, int inOff, byte[] out, int outOff) {
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

  private int acquire() {
    for (int i = 0; i < busy.length(); i++) if (busy.get(i) == 0 && busy.compareAndSet(i, 0, 1)) return i;
    return -1;
  }

  private void blocks(int from, int to) {
    int slot = acquire();
    try {
      final int[] acc = slot >= 0 ? this.acc[slot] : new int[WIDTH], lut = this.lut;
      final byte[] in = this.in, out = this.out;
      final int[][] rows = this.rows;
      final int depth = this.depth;
      for (int blk = from; blk < to; blk++) {
        int[] bias = biasRows[blk];
        int width = bias.length, row0 = blk * depth, u0 = blk * WIDTH;
        for (int b = 0; b < batch; b++) {
          int src = inOff + b * depth;
          System.arraycopy(bias, 0, acc, 0, width);
          int d = 0;
          for (; d + 4 <= depth; d += 4) {
            int a0 = lut[in[src + d] & 0xFF], a1 = lut[in[src + d + 1] & 0xFF], a2 = lut[in[src + d + 2] & 0xFF];
            int a3 = lut[in[src + d + 3] & 0xFF];
            int[] w0 = rows[row0 + d], w1 = rows[row0 + d + 1], w2 = rows[row0 + d + 2], w3 = rows[row0 + d + 3];
            for (int j = 0; j < width; j++) acc[j] = acc[j] + a0 * w0[j] + a1 * w1[j] + a2 * w2[j] + a3 * w3[j];
          }
          for (; d < depth; d++) {
            int a = lut[in[src + d] & 0xFF];
            int[] w0 = rows[row0 + d];
            for (int j = 0; j < width; j++) acc[j] += a * w0[j];
          }
          int o = outOff + b * units + u0;
          for (int j = 0; j < width; j++) {
            int v = QuantMath.multiplyByQuantizedMultiplier(acc[j], multiplier[u0 + j], shift[u0 + j]) + outZp;
            out[o + j] = (byte) Math.min(Math.max(v, actMin), actMax);
          }
        }
      }
    } finally {
      if (slot >= 0) busy.set(slot, 0);
    }
  }
}
