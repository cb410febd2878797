package io.kompakt.ops.dense;

import io.kompakt.ops.common.QuantMath;

/**
 * FULLY_CONNECTED for int8 activations and int8 weights, as TFLite's {@code reference_integer_ops::FullyConnected}
 * (per tensor, with the weights' offset kept for backward compatibility) and {@code FullyConnectedPerChannel}
 * (weights zero point 0): {@code acc = sum (w - wZp) * (x - inZp) + bias} in 32 bits, then
 * {@code clamp(MultiplyByQuantizedMultiplier(acc, m[u], s[u]) + outZp)}.
 */
public final class FullyConnectedInt8Reference {
  private FullyConnectedInt8Reference() {}

  public static void run(int batch, int depth, int units, byte[] in, int inOff, int inZp, byte[] weights, int wOff, int wZp,
                         int[] bias, int bOff, byte[] out, int outOff, int outZp, int[] multiplier, int[] shift,
                         int actMin, int actMax) {
    int inputOffset = -inZp, filterOffset = -wZp;
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        int acc = 0;
        int inBase = inOff + b * depth, wBase = wOff + u * depth;
        for (int d = 0; d < depth; d++) acc += (weights[wBase + d] + filterOffset) * (in[inBase + d] + inputOffset);
        if (bias != null) acc += bias[bOff + u];
        int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[u], shift[u]) + outZp;
        out[outOff + b * units + u] = (byte) Math.min(Math.max(v, actMin), actMax);
      }
    }
  }
}
