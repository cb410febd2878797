package io.kompakt.train;

/** Element-wise activations: RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH. */
final class UnaryNode extends Node {
  UnaryNode(String op, int opIndex, int[] inputs, int output) {
    super(op, opIndex, inputs, output);
    switch (op) {
      case "RELU": case "RELU6": case "RELU_N1_TO_1": case "LOGISTIC": case "TANH": case "HARD_SWISH": break;
      default: throw new IllegalArgumentException(op + " is not an element-wise activation");
    }
  }

  @Override
  void forward(Workspace ws) {
    float[] x = ws.act[inputs[0]], y = ws.act[output];
    switch (op) {
      case "RELU": for (int i = 0; i < x.length; i++) y[i] = Math.max(0f, x[i]); break;
      case "RELU6": for (int i = 0; i < x.length; i++) y[i] = Math.min(6f, Math.max(0f, x[i])); break;
      case "RELU_N1_TO_1": for (int i = 0; i < x.length; i++) y[i] = Math.min(1f, Math.max(-1f, x[i])); break;
      case "LOGISTIC": for (int i = 0; i < x.length; i++) y[i] = (float) (1 / (1 + Math.exp(-x[i]))); break;
      case "TANH": for (int i = 0; i < x.length; i++) y[i] = (float) Math.tanh(x[i]); break;
      default: // HARD_SWISH: x * relu6(x + 3) / 6
        for (int i = 0; i < x.length; i++) y[i] = x[i] * Math.min(6f, Math.max(0f, x[i] + 3f)) / 6f;
    }
  }

  @Override
  void backward(Workspace ws) {
    float[] dx = ws.grad[inputs[0]];
    if (dx == null) return;
    float[] x = ws.act[inputs[0]], y = ws.act[output], dy = ws.grad[output];
    for (int i = 0; i < x.length; i++) {
      float v = x[i], d;
      switch (op) {
        case "RELU": d = v > 0 ? 1 : 0; break;
        case "RELU6": d = v > 0 && v < 6 ? 1 : 0; break;
        case "RELU_N1_TO_1": d = v > -1 && v < 1 ? 1 : 0; break;
        case "LOGISTIC": d = y[i] * (1 - y[i]); break;
        case "TANH": d = 1 - y[i] * y[i]; break;
        default: d = v <= -3 ? 0 : (v >= 3 ? 1 : (2 * v + 3) / 6); break;
      }
      dx[i] += dy[i] * d;
    }
  }
}
