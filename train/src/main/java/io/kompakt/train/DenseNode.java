package io.kompakt.train;

/**
 * FULLY_CONNECTED for one sample: the input read as {@code rows} rows of {@code in} values, weights [O, in], optional
 * bias [O], output [rows, O]. The forward pass reads the weights transposed ([in][O], inner loop over outputs).
 */
final class DenseNode extends Node {
  final int rows, in, o;
  final int weights, bias;
  final Activation act;
  private final float[] packed;
  private final float[][] constants;

  DenseNode(int opIndex, int[] inputs, int output, int rows, int in, int o, Activation act, float[][] constants) {
    super("FULLY_CONNECTED", opIndex, inputs, output);
    this.rows = rows;
    this.in = in;
    this.o = o;
    this.act = act;
    weights = inputs[1];
    bias = inputs.length > 2 ? inputs[2] : -1;
    packed = new float[in * o];
    this.constants = constants;
  }

  @Override
  void refresh() {
    float[] wt = constants[weights];
    for (int j = 0; j < o; j++) for (int i = 0; i < in; i++) packed[i * o + j] = wt[j * in + i];
  }

  @Override
  void forward(Workspace ws) {
    float[] x = ws.act[inputs[0]], out = ws.act[output];
    float[] b = bias >= 0 ? ws.act[bias] : null;
    for (int r = 0; r < rows; r++) {
      int base = r * o, xb = r * in;
      if (b != null) System.arraycopy(b, 0, out, base, o);
      else java.util.Arrays.fill(out, base, base + o, 0f);
      for (int i = 0; i < in; i++) {
        float v = x[xb + i];
        if (v == 0f) continue;
        int pb = i * o;
        for (int j = 0; j < o; j++) out[base + j] += v * packed[pb + j];
      }
      act.apply(out, base, o);
    }
  }

  @Override
  void backward(Workspace ws) {
    float[] x = ws.act[inputs[0]], out = ws.act[output], dOut = ws.grad[output];
    float[] dx = ws.grad[inputs[0]], wt = ws.act[weights], dW = ws.grad[weights];
    float[] dB = bias >= 0 ? ws.grad[bias] : null;
    act.backward(out, dOut);
    for (int r = 0; r < rows; r++) {
      int base = r * o, xb = r * in;
      for (int j = 0; j < o; j++) {
        float g = dOut[base + j];
        if (g == 0f) continue;
        if (dB != null) dB[j] += g;
        int wb = j * in;
        if (dW != null) for (int i = 0; i < in; i++) dW[wb + i] += g * x[xb + i];
        if (dx != null) for (int i = 0; i < in; i++) dx[xb + i] += g * wt[wb + i];
      }
    }
  }
}
