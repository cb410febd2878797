package io.kompakt.train;

/** MEAN over constant axes (e.g. global average pooling): each input element's output index is computed once. */
final class MeanNode extends Node {
  final int[] map;
  final float inv;

  MeanNode(int opIndex, int[] inputs, int output, int[] inShape, int[] axes) {
    super("MEAN", opIndex, inputs, output);
    int r = inShape.length;
    boolean[] reduced = new boolean[r];
    for (int a : axes) {
      int ax = a < 0 ? a + r : a;
      if (ax < 0 || ax >= r) throw new IllegalArgumentException("MEAN axis " + a + " is out of range for rank " + r);
      reduced[ax] = true;
    }
    int n = 1, count = 1;
    for (int i = 0; i < r; i++) {
      n *= inShape[i];
      if (reduced[i]) count *= inShape[i];
    }
    inv = 1f / count;
    map = new int[n];
    int[] idx = new int[r];
    for (int e = 0; e < n; e++) {
      int off = 0;
      for (int i = 0; i < r; i++) if (!reduced[i]) off = off * inShape[i] + idx[i];
      map[e] = off;
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < inShape[i]) break;
        idx[i] = 0;
      }
    }
  }

  @Override
  void forward(Workspace ws) {
    float[] x = ws.act[inputs[0]], y = ws.act[output];
    java.util.Arrays.fill(y, 0f);
    for (int e = 0; e < x.length; e++) y[map[e]] += x[e];
    for (int i = 0; i < y.length; i++) y[i] *= inv;
  }

  @Override
  void backward(Workspace ws) {
    float[] dx = ws.grad[inputs[0]];
    if (dx == null) return;
    float[] dy = ws.grad[output];
    for (int e = 0; e < dx.length; e++) dx[e] += dy[map[e]] * inv;
  }
}
