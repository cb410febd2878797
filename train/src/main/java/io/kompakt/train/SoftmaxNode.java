package io.kompakt.train;

/**
 * SOFTMAX over the last dimension with {@code beta}. When it is the graph's output, the loss takes the gradient with
 * respect to its input directly (softmax cross-entropy); elsewhere its own backward pass applies.
 */
final class SoftmaxNode extends Node {
  final int rows, n;
  final float beta;

  SoftmaxNode(int opIndex, int[] inputs, int output, int rows, int n, float beta) {
    super("SOFTMAX", opIndex, inputs, output);
    this.rows = rows;
    this.n = n;
    this.beta = beta;
  }

  @Override
  void forward(Workspace ws) {
    float[] x = ws.act[inputs[0]], y = ws.act[output];
    for (int r = 0; r < rows; r++) softmax(x, r * n, n, beta, y);
  }

  static void softmax(float[] x, int off, int n, float beta, float[] y) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = off; i < off + n; i++) max = Math.max(max, x[i]);
    double sum = 0;
    for (int i = off; i < off + n; i++) {
      float e = (float) Math.exp((x[i] - max) * beta);
      y[i] = e;
      sum += e;
    }
    float inv = (float) (1 / sum);
    for (int i = off; i < off + n; i++) y[i] *= inv;
  }

  @Override
  void backward(Workspace ws) {
    float[] dx = ws.grad[inputs[0]];
    if (dx == null) return;
    float[] y = ws.act[output], dy = ws.grad[output];
    for (int r = 0; r < rows; r++) {
      int off = r * n;
      double dot = 0;
      for (int i = off; i < off + n; i++) dot += dy[i] * y[i];
      for (int i = off; i < off + n; i++) dx[i] += (float) (beta * y[i] * (dy[i] - dot));
    }
  }
}
