package io.kompakt.ops.common;

import io.kompakt.engine.run.OpContext;
import java.util.Arrays;

/** NumPy-style broadcasting of two shapes, as TFLite's binary ops do. */
public final class Broadcast {
  private Broadcast() {}

  /** The broadcast shape of a and b; refuses shapes that do not broadcast. */
  public static int[] shape(OpContext ctx, int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
      int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw ctx.unsupported("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /**
   * For each output element (row-major over {@code out}), the index into an input of shape {@code in}
   * (right-aligned, size-1 dimensions repeated). Made once at prepare.
   */
  public static int[] indexMap(int[] in, int[] out) {
    int n = 1;
    for (int d : out) n *= d;
    int[] map = new int[n];
    int rank = out.length;
    int[] strides = new int[rank];
    int s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      int k = i - (rank - in.length);
      int d = k < 0 ? 1 : in[k];
      strides[i] = d == 1 ? 0 : s;
      s *= d;
    }
    int[] idx = new int[rank];
    for (int e = 0; e < n; e++) {
      int src = 0;
      for (int i = 0; i < rank; i++) src += idx[i] * strides[i];
      map[e] = src;
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < out[i]) break;
        idx[i] = 0;
      }
    }
    return map;
  }

  /**
   * The period P if {@code map[i] == i % P} for every i (P == map.length: the identity; 1: a scalar repeated;
   * C: a per-channel vector repeated over pixels), else -1. For fast paths chosen at prepare.
   */
  public static int period(int[] map) {
    int n = map.length;
    if (n == 0) return -1;
    int p = 1;
    while (p < n && map[p] != 0) p++;
    if (n % p != 0) return -1;
    for (int i = 0; i < n; i++) if (map[i] != i % p) return -1;
    return p;
  }
}
