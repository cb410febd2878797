package io.kompakt.ops.sparse;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.IntAsFloat;
import io.kompakt.ops.common.VectorSupport;

/**
 * {@code out[r][o] = clamp(bias[o] + sum over the nonzero weights w[o][i] of in[r][i] * w[o][i])} for rows r (pixels of a
 * 1x1 convolution, batch rows of a fully connected layer): the float product of a dense input and a constant sparse
 * weight matrix ({@link SparseWeights}), skipping the zeros. Same results as the dense reference up to float rounding
 * (other summation orders; zero weights add exact zeros in the reference, unless an input is infinite or NaN).
 *
 * <p>Two paths. With at least {@value #TILE_MIN} rows, tiles of {@value #TILE} to {@value #TILE_MAX} rows (longer
 * for fewer inputs: the per-output loop overhead is paid once per tile): the tile's input is
 * transposed once into per-thread rows {@code t[i][0 .. tile)} (one array per input channel), then per output
 * {@code acc[j] = acc[j] + w0 * t[i0][j] + w1 * t[i1][j] + ...} over its nonzeros, all arrays indexed by {@code j}
 * (C2 turns that into SIMD over the rows), and the clamped accumulator is stored into the output column. With fewer
 * rows (a batch-1 classifier), per output a dot product over its nonzeros, gathering the inputs, in four partial sums
 * (inputs e, e+4, ... in each) added up and then to the bias. Work items are tiles,
 * or blocks of outputs; each output element is computed by one thread in one fixed order, so results do not depend on
 * the thread count; after prepare a run allocates nothing.
 */
public final class SparseGemmF32 {
  /** A prepared sparse product: reads the rows at {@code inOff} (plus each row's offset), writes [rows][n] at {@code outOff}. */
  public interface Kernel {
    void run(float[] in, int inOff, float[] out, int outOff);
  }

  /**
   * The kernel for these weights: with {@code vector}, the Vector API's column blocks ({@link SparseBlocksF32Vector},
   * blocks of {@link #vectorWidth()} outputs), else this class's scalar kernel. Arguments as for the constructor, with
   * the dense weights [n][k] from {@code wOff}.
   *
   * @throws UnsupportedOperationException if {@code vector} and the Vector API is not available
   */
  public static Kernel prepare(int[] rowIn, float[] w, int wOff, int n, int k, float[] bias, int bOff, float min, float max,
                               boolean vector, Parallel parallel) {
    if (vector) {
      if (!VectorSupport.available()) {
        throw new UnsupportedOperationException("vector kernels need the Vector API: " + VectorSupport.describe());
      }
      return new SparseBlocksF32Vector(rowIn, w, wOff, n, k, bias, bOff, min, max, parallel);
    }
    return new SparseGemmF32(rowIn, SparseWeights.ofFloat(w, wOff, n, k), bias, bOff, min, max, parallel)::run;
  }

  /**
   * An int8 product (weights [n][k] from {@code wOff} minus {@code wZp}, 8-bit rows minus {@code inZp}, then bias and
   * TFLite's requantization per output) computed exactly on the Vector API column-block kernel ({@link IntAsFloat}):
   * when the weights allow it and their column blocks are sparse enough for {@link SparseSupport#useF32}; else null.
   * Bit-exact with the integer reference kernels.
   *
   * @param inSize input elements the rows span (the conversion to floats covers them)
   */
  public static IntAsFloat.ByteKernel prepareExactInt8(int[] rowIn, int inSize, byte[] w, int wOff, int n, int k, int wZp, int inZp,
                                                       int[] bias, int bOff, int outZp, int[] multiplier, int[] shift, int actMin,
                                                       int actMax, SparseSupport.Kind kind, Parallel parallel,
                                                       io.kompakt.engine.run.SharedScratch scratch) {
    if (!VectorSupport.available() || scratch == null) return null;
    float[] wf = IntAsFloat.exactWeights(w, wOff, n * k, n, false, false, wZp, false, inZp);
    if (wf == null || !SparseSupport.useF32(wf, 0, n, k, rowIn.length, kind, true)) return null;
    Kernel f = new SparseBlocksF32Vector(rowIn, wf, 0, n, k, null, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, parallel);
    return IntAsFloat.wrap(f::run, inSize, rowIn.length * n, n, false, inZp, bias, bOff, outZp, multiplier, shift, actMin, actMax,
        true, parallel, scratch);
  }

  /** Outputs per column block of the vector kernel: the preferred float lanes. */
  public static int vectorWidth() { return VectorSupport.floatLanes(); }

  /** Fewest and most rows per tile: as many as keep the transposed tile within {@value #TILE_BYTES} bytes. */
  static final int TILE = 32, TILE_MAX = 256, TILE_BYTES = 64 * 1024;
  /** Fewest rows for the tiled path. */
  static final int TILE_MIN = 8;
  /** Outputs per work item of the dot path. */
  static final int DOT_BLOCK = 32;

  /** Rows per tile for {@code k} inputs: a multiple of 16 from {@link #TILE} to {@link #TILE_MAX}. */
  static int tileRows(int k, int rows) {
    int t = Math.max(TILE, Math.min(TILE_MAX, TILE_BYTES / 4 / Math.max(1, k) / 16 * 16));
    return Math.min(t, Math.max(TILE, (rows + 15) / 16 * 16));
  }

  private final int rows, k, n;
  private final int[] rowIn;
  private final SparseWeights w;
  private final float[] bias;
  private final float min, max;
  private final SparseSchedule schedule;
  private final int tile;
  private final float[][][] tiles;
  private final float[][] accs;
  private final Parallel parallel;
  private final Parallel.Body body;
  private float[] in, out;
  private int inOff, outOff;

  /**
   * @param rowIn  per row, the offset of its k inputs relative to the input offset given to {@link #run}; row r's n
   *               outputs are at {@code r * n} from the output offset
   * @param bias   [n] from {@code bOff}, or null
   * @param parallel threads, or null for the calling thread only
   */
  public SparseGemmF32(int[] rowIn, SparseWeights w, float[] bias, int bOff, float min, float max, Parallel parallel) {
    if (w.f32 == null) throw new IllegalArgumentException("float kernel needs float weights");
    this.rows = rowIn.length;
    this.k = w.k;
    this.n = w.n;
    this.rowIn = rowIn.clone();
    this.w = w;
    this.bias = new float[n];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, n);
    this.min = min;
    this.max = max;
    this.schedule = new SparseSchedule(rows, k, n, w.nonzeros(), parallel);
    this.tile = schedule.tile;
    this.tiles = schedule.tiled ? new float[schedule.threads][k][tile] : null;
    this.accs = schedule.tiled ? new float[schedule.threads][tile + 32] : null;
    this.parallel = parallel;
    this.body = schedule.tiled ? this::tiles : this::dots;
  }

  /** Reads the input at {@code inOff} (plus each row's offset), writes [rows][n] at {@code outOff}. */
  public void run(float[] in, int inOff, float[] out, int outOff) {
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

  private void tiles(int from, int to) {
    int slot = schedule.acquire();
    try {
      final float[][] t = slot >= 0 ? tiles[slot] : new float[k][tile];
      final float[] acc = slot >= 0 ? accs[slot] : new float[tile];
      final float[] in = this.in, out = this.out, vals = w.f32, bias = this.bias;
      final int[] start = w.start, index = w.index;
      final int k = this.k, n = this.n;
      final float min = this.min, max = this.max;
      for (int item = from; item < to; item++) {
        int r0 = item * tile, width = Math.min(tile, rows - r0);
        for (int j = 0; j < width; j++) {
          int src = inOff + rowIn[r0 + j];
          for (int i = 0; i < k; i++) t[i][j] = in[src + i];
        }
        int dst0 = outOff + r0 * n;
        for (int o = 0; o < n; o++) {
          float b = bias[o];
          for (int j = 0; j < width; j++) acc[j] = b;
          int e = start[o], end = start[o + 1];
          for (; e + 4 <= end; e += 4) {
            float w0 = vals[e], w1 = vals[e + 1], w2 = vals[e + 2], w3 = vals[e + 3];
            float[] t0 = t[index[e]], t1 = t[index[e + 1]], t2 = t[index[e + 2]], t3 = t[index[e + 3]];
            for (int j = 0; j < width; j++) acc[j] = acc[j] + w0 * t0[j] + w1 * t1[j] + w2 * t2[j] + w3 * t3[j];
          }
          for (; e < end; e++) {
            float w0 = vals[e];
            float[] t0 = t[index[e]];
            for (int j = 0; j < width; j++) acc[j] += w0 * t0[j];
          }
          for (int j = 0, d = dst0 + o; j < width; j++, d += n) out[d] = Math.min(Math.max(acc[j], min), max);
        }
      }
    } finally {
      schedule.release(slot);
    }
  }

  private void dots(int from, int to) {
    final float[] in = this.in, out = this.out, vals = w.f32, bias = this.bias;
    final int[] start = w.start, index = w.index;
    final float min = this.min, max = this.max;
    for (int item = from; item < to; item++) {
      int o0 = item * DOT_BLOCK, o1 = Math.min(n, o0 + DOT_BLOCK);
      for (int r = 0; r < rows; r++) {
        int src = inOff + rowIn[r], dst = outOff + r * n;
        for (int o = o0; o < o1; o++) {
          // four partial sums (a dependency chain of one would wait on every add)
          float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
          int e = start[o], end = start[o + 1];
          for (; e + 4 <= end; e += 4) {
            a0 += vals[e] * in[src + index[e]];
            a1 += vals[e + 1] * in[src + index[e + 1]];
            a2 += vals[e + 2] * in[src + index[e + 2]];
            a3 += vals[e + 3] * in[src + index[e + 3]];
          }
          for (; e < end; e++) a0 += vals[e] * in[src + index[e]];
          float acc = bias[o] + ((a0 + a1) + (a2 + a3));
          out[dst + o] = Math.min(Math.max(acc, min), max);
        }
      }
    }
  }
}
