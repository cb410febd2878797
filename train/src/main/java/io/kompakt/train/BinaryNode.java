package io.kompakt.train;

/**
 * ADD, SUB and MUL with NumPy broadcasting and a fused activation. Each output element's positions in the two
 * inputs are computed once (index maps); the backward pass sums gradients over broadcast dimensions.
 */
final class BinaryNode extends Node {
  final int[] ia, ib;
  final Activation act;

  BinaryNode(String op, int opIndex, int[] inputs, int output, int[] aShape, int[] bShape, int[] outShape, Activation act) {
    super(op, opIndex, inputs, output);
    if (!op.equals("ADD") && !op.equals("SUB") && !op.equals("MUL")) throw new IllegalArgumentException(op + " is not ADD, SUB or MUL");
    this.act = act;
    int n = 1;
    for (int d : outShape) n *= d;
    ia = map(aShape, outShape, n);
    ib = map(bShape, outShape, n);
  }

  /** For each element of the output, the index of the element of an input of shape {@code s} it reads. */
  static int[] map(int[] s, int[] out, int n) {
    int r = out.length;
    int[] m = new int[n];
    int[] strides = new int[r];
    int k = 1;
    for (int i = r - 1; i >= 0; i--) {
      int si = i - (r - s.length);
      int dim = si < 0 ? 1 : s[si];
      if (dim != 1 && dim != out[i]) throw new IllegalArgumentException("shapes " + java.util.Arrays.toString(s) + " and "
          + java.util.Arrays.toString(out) + " do not broadcast");
      strides[i] = dim == 1 ? 0 : k;
      k *= dim;
    }
    int[] idx = new int[r];
    for (int e = 0; e < n; e++) {
      int off = 0;
      for (int i = 0; i < r; i++) off += idx[i] * strides[i];
      m[e] = off;
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < out[i]) break;
        idx[i] = 0;
      }
    }
    return m;
  }

  @Override
  void forward(Workspace ws) {
    float[] a = ws.act[inputs[0]], b = ws.act[inputs[1]], y = ws.act[output];
    switch (op) {
      case "ADD": for (int e = 0; e < y.length; e++) y[e] = a[ia[e]] + b[ib[e]]; break;
      case "SUB": for (int e = 0; e < y.length; e++) y[e] = a[ia[e]] - b[ib[e]]; break;
      default: for (int e = 0; e < y.length; e++) y[e] = a[ia[e]] * b[ib[e]]; break;
    }
    act.apply(y, 0, y.length);
  }

  @Override
  void backward(Workspace ws) {
    float[] a = ws.act[inputs[0]], b = ws.act[inputs[1]], y = ws.act[output], dy = ws.grad[output];
    float[] da = ws.grad[inputs[0]], db = ws.grad[inputs[1]];
    act.backward(y, dy);
    for (int e = 0; e < y.length; e++) {
      float g = dy[e];
      switch (op) {
        case "ADD":
          if (da != null) da[ia[e]] += g;
          if (db != null) db[ib[e]] += g;
          break;
        case "SUB":
          if (da != null) da[ia[e]] += g;
          if (db != null) db[ib[e]] -= g;
          break;
        default:
          if (da != null) da[ia[e]] += g * b[ib[e]];
          if (db != null) db[ib[e]] += g * a[ia[e]];
      }
    }
  }
}
