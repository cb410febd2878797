package io.kompakt.ops.sparse;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API form of {@link SparseGemmF32}: {@code out[r][o] = clamp(bias[o] + sum_i in[r][i] * w[o][i])} with the
 * weights in {@link SparseColumnBlocks} of one vector of outputs. Per block and per kept column, one vector load of the
 * block's weights and, for each of eight rows, a broadcast of that row's input and a fused multiply-add into the row's
 * accumulator (register tile: 8 rows x 1 vector). The rows stay in their NHWC layout (no transposes), so this wins over
 * the dense kernel where few columns are kept: weights pruned in blocks along the output channels, or unstructured
 * sparsity on narrow vectors (a Pi 4's 128 bits keep {@code 1 - 0.9^4} = 34 % of the columns at 90 %).
 *
 * <p>The vector is the preferred one, as in every other kernel. (A 256-bit species on this 512-bit machine, which keeps
 * fewer columns of unstructured weights, made the whole of MobileNet V2 three times slower, the dense kernels too:
 * two vector shapes in one JVM make the Vector API's shared code polymorphic, and C2 stops compiling it to plain
 * vector instructions.) Rows left over after the tiles of eight (a batch-1
 * classifier has one) take a one-row path with four partial sums over alternating columns. Every output element is
 * computed by one thread in one fixed order: results do not depend on the thread count; a run allocates nothing.
 * Loaded only after {@link VectorSupport#available()}.
 */
final class SparseBlocksF32Vector implements SparseGemmF32.Kernel {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  /** Rows per work item. */
  private static final int ROWS = 32;
  /** Floats per scratch slot: a block and 64 bytes, so threads' slots never share a cache line. */
  private static final int SLOT = 32;

  private final int rows, n, blocks, items, grain;
  private final int[] rowIn, start, cols;
  private final float[] vals, bias, tail;
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private float[] in, out;
  private int inOff, outOff;

  /** Float weights [n][k] from {@code wOff}; otherwise as {@link SparseGemmF32#SparseGemmF32}. */
  SparseBlocksF32Vector(int[] rowIn, float[] w, int wOff, int n, int k, float[] bias, int bOff, float min, float max,
                        Parallel parallel) {
    SparseColumnBlocks b = SparseColumnBlocks.of(w, wOff, n, k, L);
    this.rows = rowIn.length;
    this.rowIn = rowIn.clone();
    this.n = n;
    this.blocks = b.blocks;
    this.start = b.start;
    this.cols = b.cols;
    this.vals = b.vals;
    this.bias = new float[blocks * L];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, n);
    int rowBlocks = (rows + ROWS - 1) / ROWS;
    this.items = rowBlocks * blocks;
    long perItem = (long) Math.min(rows, ROWS) * Math.max(1, b.start[blocks] / Math.max(1, blocks)) * L;
    this.grain = Parallel.grain(perItem);
    this.tail = new float[rowBlocks * SLOT];
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
      Parallel.run(parallel, items, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private void items(int from, int to) {
    for (int item = from; item < to; item++) {
      int rb = item / blocks, blk = item - rb * blocks;
      int r = rb * ROWS, r1 = Math.min(rows, r + ROWS);
      for (; r + 8 <= r1; r += 8) tile8(r, blk, rb);
      for (; r < r1; r++) tile1(r, blk, rb);
    }
  }

  private void tile8(int r, int blk, int rb) {
    final float[] in = this.in, vals = this.vals;
    final int[] cols = this.cols;
    final int base = inOff;
    final int i0 = base + rowIn[r], i1 = base + rowIn[r + 1], i2 = base + rowIn[r + 2], i3 = base + rowIn[r + 3];
    final int i4 = base + rowIn[r + 4], i5 = base + rowIn[r + 5], i6 = base + rowIn[r + 6], i7 = base + rowIn[r + 7];
    FloatVector b = FloatVector.fromArray(S, bias, blk * L);
    FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    for (int e = start[blk], end = start[blk + 1]; e < end; e++) {
      int c = cols[e];
      FloatVector w = FloatVector.fromArray(S, vals, e * L);
      a0 = w.fma(FloatVector.broadcast(S, in[i0 + c]), a0);
      a1 = w.fma(FloatVector.broadcast(S, in[i1 + c]), a1);
      a2 = w.fma(FloatVector.broadcast(S, in[i2 + c]), a2);
      a3 = w.fma(FloatVector.broadcast(S, in[i3 + c]), a3);
      a4 = w.fma(FloatVector.broadcast(S, in[i4 + c]), a4);
      a5 = w.fma(FloatVector.broadcast(S, in[i5 + c]), a5);
      a6 = w.fma(FloatVector.broadcast(S, in[i6 + c]), a6);
      a7 = w.fma(FloatVector.broadcast(S, in[i7 + c]), a7);
    }
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    final int n = this.n, o = outOff + r * n + blk * L;
    if (n - blk * L >= L) {
      a0.max(min).min(max).intoArray(out, o);
      a1.max(min).min(max).intoArray(out, o + n);
      a2.max(min).min(max).intoArray(out, o + 2 * n);
      a3.max(min).min(max).intoArray(out, o + 3 * n);
      a4.max(min).min(max).intoArray(out, o + 4 * n);
      a5.max(min).min(max).intoArray(out, o + 5 * n);
      a6.max(min).min(max).intoArray(out, o + 6 * n);
      a7.max(min).min(max).intoArray(out, o + 7 * n);
    } else {
      // partial last block: through the row block's scratch slot (JDK 17 allocates in masked stores)
      final float[] tail = this.tail;
      final int t = rb * SLOT, width = n - blk * L;
      a0.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o, width);
      a1.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + n, width);
      a2.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 2 * n, width);
      a3.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 3 * n, width);
      a4.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 4 * n, width);
      a5.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 5 * n, width);
      a6.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 6 * n, width);
      a7.max(min).min(max).intoArray(tail, t);
      System.arraycopy(tail, t, out, o + 7 * n, width);
    }
  }

  private void tile1(int r, int blk, int rb) {
    final float[] in = this.in, vals = this.vals;
    final int[] cols = this.cols;
    final int i0 = inOff + rowIn[r];
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    int e = start[blk], end = start[blk + 1];
    for (; e + 4 <= end; e += 4) {
      a0 = FloatVector.fromArray(S, vals, e * L).fma(FloatVector.broadcast(S, in[i0 + cols[e]]), a0);
      a1 = FloatVector.fromArray(S, vals, (e + 1) * L).fma(FloatVector.broadcast(S, in[i0 + cols[e + 1]]), a1);
      a2 = FloatVector.fromArray(S, vals, (e + 2) * L).fma(FloatVector.broadcast(S, in[i0 + cols[e + 2]]), a2);
      a3 = FloatVector.fromArray(S, vals, (e + 3) * L).fma(FloatVector.broadcast(S, in[i0 + cols[e + 3]]), a3);
    }
    for (; e < end; e++) a0 = FloatVector.fromArray(S, vals, e * L).fma(FloatVector.broadcast(S, in[i0 + cols[e]]), a0);
    FloatVector v = FloatVector.fromArray(S, bias, blk * L).add(a0.add(a1).add(a2.add(a3))).max(min).min(max);
    int o = outOff + r * n + blk * L, width = n - blk * L;
    if (width >= L) {
      v.intoArray(out, o);
    } else {
      int t = rb * SLOT;
      v.intoArray(tail, t);
      System.arraycopy(tail, t, out, o, width);
    }
  }
}
