package io.kompakt.train;

/** CONCATENATION along one axis (inputs [outer, size_i, inner] placed side by side), with a fused activation. */
final class ConcatNode extends Node {
  final int outer, inner;
  final int[] sizes;
  final int total;
  final Activation act;

  ConcatNode(int opIndex, int[] inputs, int output, int[][] shapes, int axis, Activation act) {
    super("CONCATENATION", opIndex, inputs, output);
    int[] s0 = shapes[0];
    int o = 1, in = 1;
    for (int i = 0; i < axis; i++) o *= s0[i];
    for (int i = axis + 1; i < s0.length; i++) in *= s0[i];
    outer = o;
    inner = in;
    sizes = new int[shapes.length];
    int t = 0;
    for (int k = 0; k < shapes.length; k++) {
      sizes[k] = shapes[k][axis];
      t += sizes[k];
    }
    total = t;
    this.act = act;
  }

  @Override
  void forward(Workspace ws) {
    float[] y = ws.act[output];
    int at = 0;
    for (int k = 0; k < inputs.length; k++) {
      float[] x = ws.act[inputs[k]];
      int len = sizes[k] * inner;
      for (int o = 0; o < outer; o++) System.arraycopy(x, o * len, y, o * total * inner + at, len);
      at += len;
    }
    act.apply(y, 0, y.length);
  }

  @Override
  void backward(Workspace ws) {
    float[] y = ws.act[output], dy = ws.grad[output];
    act.backward(y, dy);
    int at = 0;
    for (int k = 0; k < inputs.length; k++) {
      float[] dx = ws.grad[inputs[k]];
      int len = sizes[k] * inner;
      if (dx != null) {
        for (int o = 0; o < outer; o++) for (int i = 0; i < len; i++) dx[o * len + i] += dy[o * total * inner + at + i];
      }
      at += len;
    }
  }
}
