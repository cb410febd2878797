package io.kompakt.ops.detection;

/**
 * TFLite's {@code DecreasingPartialArgSort} on an index array, ordering indices by {@code values[off + index]}
 * descending, with the comparator {@code values[i] > values[j]}: for one element the first maximum
 * ({@code ArgMaxVector}), otherwise {@code std::partial_sort} as LLVM's libc++ implements it (a heap over the first
 * {@code k} positions, then heap sort). The C++ standard leaves the order of equal values to the implementation;
 * libc++ is the library of TFLite's Android, iOS and WebAssembly builds, and this reproduces its order. (A TFLite
 * built on libstdc++, e.g. the Linux x86 wheels, may order equal values differently.)
 *
 * <p>The heap steps follow libc++ since LLVM 15, whose {@code pop_heap} uses Floyd's sift-down (sift to a leaf,
 * then sift the displaced last element up). Checked against TFLite's WebAssembly build, equal scores included; on
 * 400,000 random inputs with ties, the earlier swap-and-sift-down {@code pop_heap} gave the same orders.
 */
final class PartialSort {
  private PartialSort() {}

  /**
   * Fills {@code idx[0, n)} with 0..n-1 and puts the {@code k} largest first in decreasing order, as TFLite's
   * {@code DecreasingPartialArgSort(values + off, n, k, idx)} does; {@code idx[k, n)} is left in libc++'s order.
   */
  static void decreasingPartialArgSort(float[] values, int off, int n, int k, int[] idx) {
    if (k == 1) {
      idx[0] = argMax(values, off, n);
      return;
    }
    for (int i = 0; i < n; i++) idx[i] = i;
    partialSort(idx, k, n, values, off);
  }

  /** The first index of the maximum (TFLite's scalar ArgMaxVector: {@code if (v > max)}). */
  static int argMax(float[] values, int off, int n) {
    int best = 0;
    float max = values[off];
    for (int i = 1; i < n; i++) {
      float v = values[off + i];
      if (v > max) {
        max = v;
        best = i;
      }
    }
    return best;
  }

  private static boolean comp(float[] v, int off, int a, int b) { return v[off + a] > v[off + b]; }

  /** libc++ {@code std::partial_sort(a, a + k, a + n, comp)}. */
  static void partialSort(int[] a, int k, int n, float[] v, int off) {
    if (k == 0) return;
    for (int start = (k - 2) / 2; k > 1 && start >= 0; start--) siftDown(a, k, start, v, off); // make_heap
    for (int i = k; i < n; i++) {
      if (comp(v, off, a[i], a[0])) {
        int t = a[i];
        a[i] = a[0];
        a[0] = t;
        siftDown(a, k, 0, v, off);
      }
    }
    for (int len = k; len > 1; len--) popHeap(a, len, v, off); // sort_heap
  }

  /** libc++ {@code __sift_down(first, comp, len, first + start)}. */
  private static void siftDown(int[] a, int len, int start, float[] v, int off) {
    int child = start;
    if (len < 2 || (len - 2) / 2 < child) return;
    child = 2 * child + 1;
    if (child + 1 < len && comp(v, off, a[child], a[child + 1])) child++;
    if (comp(v, off, a[child], a[start])) return;
    int top = a[start];
    do {
      a[start] = a[child];
      start = child;
      if ((len - 2) / 2 < child) break;
      child = 2 * child + 1;
      if (child + 1 < len && comp(v, off, a[child], a[child + 1])) child++;
    } while (!comp(v, off, a[child], top));
    a[start] = top;
  }

  /** libc++ {@code __pop_heap(first, first + len, comp, len)}: the heap's top moves to {@code len - 1}. */
  private static void popHeap(int[] a, int len, float[] v, int off) {
    int top = a[0];
    // __floyd_sift_down: move the larger child up until the hole is a leaf
    int hole = 0, child = 0;
    while (true) {
      child = 2 * child + 1;
      if (child + 1 < len && comp(v, off, a[child], a[child + 1])) child++;
      a[hole] = a[child];
      hole = child;
      if (child > (len - 2) / 2) break;
    }
    int last = len - 1;
    if (hole == last) {
      a[hole] = top;
      return;
    }
    a[hole] = a[last];
    a[last] = top;
    siftUp(a, hole + 1, v, off);
  }

  /** libc++ {@code __sift_up(first, first + len, comp, len)}: the element at {@code len - 1} rises. */
  private static void siftUp(int[] a, int len, float[] v, int off) {
    if (len <= 1) return;
    int last = len - 1;
    int parent = (len - 2) / 2;
    if (!comp(v, off, a[parent], a[last])) return;
    int t = a[last];
    do {
      a[last] = a[parent];
      last = parent;
      if (parent == 0) break;
      parent = (parent - 1) / 2;
    } while (comp(v, off, a[parent], t));
    a[last] = t;
  }
}
