package io.kompakt.train;

/** RESHAPE and SQUEEZE: the same values in a new shape (a copy; the gradient flows back unchanged). */
final class ReshapeNode extends Node {
  ReshapeNode(String op, int opIndex, int[] inputs, int output) {
    super(op, opIndex, inputs, output);
  }

  @Override
  void forward(Workspace ws) {
    float[] x = ws.act[inputs[0]];
    System.arraycopy(x, 0, ws.act[output], 0, x.length);
  }

  @Override
  void backward(Workspace ws) {
    float[] dx = ws.grad[inputs[0]];
    if (dx == null) return;
    float[] dy = ws.grad[output];
    for (int i = 0; i < dx.length; i++) dx[i] += dy[i];
  }
}
