package io.kompakt.ops.dense;

import io.kompakt.ops.common.Activation;

/**
 * FULLY_CONNECTED in float32, plain loops, as TFLite's reference kernel: input as [batch, depth] rows, weights
 * [units, depth], {@code out[b, u] = clamp(sum_d in[b, d] * w[u, d] + bias[u])}.
 */
public final class FullyConnectedReference {
  private FullyConnectedReference() {}

  public static void run(int batch, int depth, int units, float[] in, int inOff, float[] weights, int wOff,
                         float[] bias, int bOff, float[] out, int outOff, float min, float max) {
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        float acc = 0f;
        for (int d = 0; d < depth; d++) acc += in[inOff + b * depth + d] * weights[wOff + u * depth + d];
        float biasValue = bias == null ? 0f : bias[bOff + u];
        out[outOff + b * units + u] = Activation.clamp(acc + biasValue, min, max);
      }
    }
  }
}
