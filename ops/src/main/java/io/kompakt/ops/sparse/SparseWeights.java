package io.kompakt.ops.sparse;

/**
 * A constant weight matrix [n][k] (n outputs, k inputs; FULLY_CONNECTED's [units][depth], a 1x1 filter's
 * [outC][inC]) in compressed sparse rows, made once at prepare: for output {@code o}, entries
 * {@code start[o] .. start[o + 1]} hold the inputs {@code index[e]} (ascending) whose weight is not zero and the
 * weights {@code f32[e]} (float) or {@code i32[e] = w - zeroPoint} (integers). "Zero" is the value that contributes
 * nothing: 0 (or -0) for floats, the zero point for integers, so skipping it changes no integer sum.
 */
public final class SparseWeights {
  public final int n, k;
  public final int[] start, index;
  public final float[] f32;
  public final int[] i32;

  private SparseWeights(int n, int k, int[] start, int[] index, float[] f32, int[] i32) {
    this.n = n;
    this.k = k;
    this.start = start;
    this.index = index;
    this.f32 = f32;
    this.i32 = i32;
  }

  /** Stored (nonzero) weights. */
  public int nonzeros() { return start[n]; }

  /** Float weights [n][k] from {@code off}. */
  public static SparseWeights ofFloat(float[] w, int off, int n, int k) {
    check(n, k);
    int nnz = 0;
    for (int i = 0; i < n * k; i++) if (w[off + i] != 0f) nnz++;
    int[] start = new int[n + 1], index = new int[nnz];
    float[] v = new float[nnz];
    int e = 0;
    for (int o = 0; o < n; o++) {
      start[o] = e;
      for (int i = 0; i < k; i++) {
        float x = w[off + o * k + i];
        if (x != 0f) {
          index[e] = i;
          v[e++] = x;
        }
      }
    }
    start[n] = e;
    return new SparseWeights(n, k, start, index, v, null);
  }

  /** int8 ({@code unsigned} false) or uint8 weights [n][k] from {@code off}, stored minus {@code zeroPoint}. */
  public static SparseWeights ofBytes(byte[] w, int off, int n, int k, boolean unsigned, int zeroPoint) {
    check(n, k);
    int nnz = 0;
    for (int i = 0; i < n * k; i++) if (value(w[off + i], unsigned) != zeroPoint) nnz++;
    int[] start = new int[n + 1], index = new int[nnz], v = new int[nnz];
    int e = 0;
    for (int o = 0; o < n; o++) {
      start[o] = e;
      for (int i = 0; i < k; i++) {
        int x = value(w[off + o * k + i], unsigned) - zeroPoint;
        if (x != 0) {
          index[e] = i;
          v[e++] = x;
        }
      }
    }
    start[n] = e;
    return new SparseWeights(n, k, start, index, null, v);
  }

  /** Share of float weights that are zero (0 for an empty range). */
  public static double sparsity(float[] w, int off, int count) {
    if (count <= 0) return 0;
    int zeros = 0;
    for (int i = 0; i < count; i++) if (w[off + i] == 0f) zeros++;
    return (double) zeros / count;
  }

  /** Share of integer weights equal to the zero point. */
  public static double sparsity(byte[] w, int off, int count, boolean unsigned, int zeroPoint) {
    if (count <= 0) return 0;
    int zeros = 0;
    for (int i = 0; i < count; i++) if (value(w[off + i], unsigned) == zeroPoint) zeros++;
    return (double) zeros / count;
  }

  private static int value(byte b, boolean unsigned) { return unsigned ? b & 0xFF : b; }

  private static void check(int n, int k) {
    if (n < 1 || k < 1 || (long) n * k > Integer.MAX_VALUE) throw new IllegalArgumentException("bad sparse matrix " + n + "x" + k);
  }
}
