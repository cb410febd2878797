package io.kompakt.ops.sparse;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.QuantMath;

/**
 * The integer form of {@link SparseGemmF32} (int8 or uint8 activations and weights): per row r and output o,
 * {@code acc = bias[o] + sum over the nonzero (w[o][i] - wZp) of (in[r][i] - inZp) * (w[o][i] - wZp)} in wrapping int32,
 * then {@code clamp(QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[o], shift[o]) + outZp)}. The weights
 * skipped are those equal to their zero point, whose products are 0, and int32 addition wraps alike in any order: so
 * the result is bit-exact with the dense reference kernels. Paths, tiles, threads and allocation as in
 * {@link SparseGemmF32} (the split: {@link SparseSchedule}); the input value comes through a 256-entry table that
 * applies the sign convention and the input zero point at once.
 */
public final class SparseGemmInt8 {
  static final int DOT_BLOCK = SparseGemmF32.DOT_BLOCK;

  private final int rows, k, n, outZp, actMin, actMax;
  private final int[] rowIn, bias, lut, multiplier, shift;
  private final SparseWeights w;
  private final SparseSchedule schedule;
  private final int tile;
  private final int[][][] tiles;
  private final int[][] accs;
  private final Parallel parallel;
  private final Parallel.Body body;
  private byte[] in, out;
  private int inOff, outOff;

  /**
   * @param rowIn      per row, the offset of its k inputs relative to the input offset given to {@link #run}; row r's
   *                   n outputs are at {@code r * n} from the output offset
   * @param w          weights minus their zero point ({@link SparseWeights#ofBytes})
   * @param unsigned   uint8 activations; else int8
   * @param bias       [n] from {@code bOff}, or null
   * @param multiplier per output (repeated when per tensor), with {@code shift}
   * @param parallel   threads, or null for the calling thread only
   */
  public SparseGemmInt8(int[] rowIn, SparseWeights w, boolean unsigned, int inZp, int[] bias, int bOff, int outZp,
                        int[] multiplier, int[] shift, int actMin, int actMax, Parallel parallel) {
    if (w.i32 == null) throw new IllegalArgumentException("integer kernel needs integer weights");
    this.rows = rowIn.length;
    this.k = w.k;
    this.n = w.n;
    this.rowIn = rowIn.clone();
    this.w = w;
    this.bias = new int[n];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, n);
    this.lut = new int[256];
    for (int b = 0; b < 256; b++) lut[b] = (unsigned ? b : (byte) b) - inZp;
    this.multiplier = java.util.Arrays.copyOf(multiplier, n);
    this.shift = java.util.Arrays.copyOf(shift, n);
    this.outZp = outZp;
    this.actMin = actMin;
    this.actMax = actMax;
    this.schedule = new SparseSchedule(rows, k, n, w.nonzeros(), parallel);
    this.tile = schedule.tile;
    this.tiles = schedule.tiled ? new int[schedule.threads][k][tile] : null;
    this.accs = schedule.tiled ? new int[schedule.threads][tile + 32] : null;
    this.parallel = parallel;
    this.body = schedule.tiled ? this::tiles : this::dots;
  }

  /** Reads the input at {@code inOff} (plus each row's offset), writes [rows][n] at {@code outOff}. */
  public void run(byte[] in, int inOff, byte[] out, int outOff) {
    this.in = in;
    this.inOff = inOff;
    this.out = out;
    this.outOff = outOff;
    try {
      schedule.run(parallel, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private int requantize(int acc, int o) {
    int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[o], shift[o]) + outZp;
    return Math.min(Math.max(v, actMin), actMax);
  }

  private void tiles(int from, int to) {
    int slot = schedule.acquire();
    try {
      final int[][] t = slot >= 0 ? tiles[slot] : new int[k][tile];
      final int[] acc = slot >= 0 ? accs[slot] : new int[tile];
      final byte[] in = this.in, out = this.out;
      final int[] vals = w.i32, bias = this.bias, start = w.start, index = w.index, lut = this.lut;
      final int k = this.k, n = this.n;
      for (int item = from; item < to; item++) {
        int r0 = item * tile, width = Math.min(tile, rows - r0);
        for (int j = 0; j < width; j++) {
          int src = inOff + rowIn[r0 + j];
          for (int i = 0; i < k; i++) t[i][j] = lut[in[src + i] & 0xFF];
        }
        int dst0 = outOff + r0 * n;
        for (int o = 0; o < n; o++) {
          int b = bias[o];
          for (int j = 0; j < width; j++) acc[j] = b;
          int e = start[o], end = start[o + 1];
          for (; e + 4 <= end; e += 4) {
            int w0 = vals[e], w1 = vals[e + 1], w2 = vals[e + 2], w3 = vals[e + 3];
            int[] t0 = t[index[e]], t1 = t[index[e + 1]], t2 = t[index[e + 2]], t3 = t[index[e + 3]];
            for (int j = 0; j < width; j++) acc[j] = acc[j] + w0 * t0[j] + w1 * t1[j] + w2 * t2[j] + w3 * t3[j];
          }
          for (; e < end; e++) {
            int w0 = vals[e];
            int[] t0 = t[index[e]];
            for (int j = 0; j < width; j++) acc[j] += w0 * t0[j];
          }
          for (int j = 0, d = dst0 + o; j < width; j++, d += n) out[d] = (byte) requantize(acc[j], o);
        }
      }
    } finally {
      schedule.release(slot);
    }
  }

  private void dots(int from, int to) {
    final byte[] in = this.in, out = this.out;
    final int[] vals = w.i32, bias = this.bias, start = w.start, index = w.index, lut = this.lut;
    for (int item = from; item < to; item++) {
      int o0 = item * DOT_BLOCK, o1 = Math.min(n, o0 + DOT_BLOCK);
      for (int r = 0; r < rows; r++) {
        int src = inOff + rowIn[r], dst = outOff + r * n;
        for (int o = o0; o < o1; o++) {
          int a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          int e = start[o], end = start[o + 1];
          for (; e + 4 <= end; e += 4) {
            a0 += vals[e] * lut[in[src + index[e]] & 0xFF];
            a1 += vals[e + 1] * lut[in[src + index[e + 1]] & 0xFF];
            a2 += vals[e + 2] * lut[in[src + index[e + 2]] & 0xFF];
            a3 += vals[e + 3] * lut[in[src + index[e + 3]] & 0xFF];
          }
          for (; e < end; e++) a0 += vals[e] * lut[in[src + index[e]] & 0xFF];
          out[dst + o] = (byte) requantize(bias[o] + a0 + a1 + a2 + a3, o);
        }
      }
    }
  }
}
