package io.kompakt.ops.sparse;

/**
 * A constant float weight matrix [n][k] (n outputs, k inputs) cut into blocks of {@code width} consecutive outputs,
 * each stored as the list of input columns in which any of its outputs has a nonzero weight, and for each such column
 * the block's {@code width} weights side by side (zeros included; a last, partial block zero-padded). This is the
 * layout of {@link SparseBlocksF32Vector}: one vector load of a column's weights, one broadcast input, one fused
 * multiply-add per (column, pixel), so the work is the share of kept columns, {@link #density()}. Weights pruned in
 * blocks along the output dimension (the pruner's {@code block4x1}) keep few columns; unstructured 90 % sparsity keeps
 * {@code 1 - 0.9^width} of them.
 */
public final class SparseColumnBlocks {
  public final int n, k, width, blocks;
  /** Block b's columns are {@code cols[start[b] .. start[b + 1])}, ascending. */
  public final int[] start, cols;
  /** Column e's weights: {@code vals[e * width .. (e + 1) * width)}, output {@code b * width + j} at j. */
  public final float[] vals;

  private SparseColumnBlocks(int n, int k, int width, int[] start, int[] cols, float[] vals) {
    this.n = n;
    this.k = k;
    this.width = width;
    this.blocks = start.length - 1;
    this.start = start;
    this.cols = cols;
    this.vals = vals;
  }

  /** Weights [n][k] from {@code off}, in blocks of {@code width} outputs. */
  public static SparseColumnBlocks of(float[] w, int off, int n, int k, int width) {
    if (n < 1 || k < 1 || width < 1 || (long) n * k > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("bad sparse matrix " + n + "x" + k + " in blocks of " + width);
    }
    int blocks = (n + width - 1) / width;
    int[] start = new int[blocks + 1];
    int kept = 0;
    for (int b = 0; b < blocks; b++) {
      start[b] = kept;
      for (int i = 0; i < k; i++) if (columnKept(w, off, n, k, width, b, i)) kept++;
    }
    start[blocks] = kept;
    if ((long) kept * width > Integer.MAX_VALUE) throw new IllegalArgumentException("sparse matrix too large: " + n + "x" + k);
    int[] cols = new int[kept];
    float[] vals = new float[kept * width];
    int e = 0;
    for (int b = 0; b < blocks; b++) {
      for (int i = 0; i < k; i++) {
        if (!columnKept(w, off, n, k, width, b, i)) continue;
        cols[e] = i;
        for (int j = 0, o = b * width; j < width && o < n; j++, o++) vals[e * width + j] = w[off + o * k + i];
        e++;
      }
    }
    return new SparseColumnBlocks(n, k, width, start, cols, vals);
  }

  private static boolean columnKept(float[] w, int off, int n, int k, int width, int b, int i) {
    for (int o = b * width, end = Math.min(n, o + width); o < end; o++) if (w[off + o * k + i] != 0f) return true;
    return false;
  }

  /** Kept columns over all columns ({@code blocks * k}): the kernel's work relative to the dense product. */
  public double density() { return (double) start[blocks] / ((double) blocks * k); }

  /**
   * The share of columns kept for weights [n][k] in blocks of {@code width}, without building the blocks (what a
   * selector needs to decide).
   */
  public static double density(float[] w, int off, int n, int k, int width) {
    int blocks = (n + width - 1) / width;
    long kept = 0;
    for (int b = 0; b < blocks; b++) for (int i = 0; i < k; i++) if (columnKept(w, off, n, k, width, b, i)) kept++;
    return (double) kept / ((double) blocks * k);
  }
}
