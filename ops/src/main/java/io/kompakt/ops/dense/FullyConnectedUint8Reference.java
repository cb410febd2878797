package io.kompakt.ops.dense;

import io.kompakt.ops.common.QuantMath;

/**
 * FULLY_CONNECTED for uint8 activations and uint8 weights (legacy per-tensor quantization), as TFLite's
 * {@code reference_ops::FullyConnected} for uint8: {@code acc = sum (w - wZp) * (x - inZp) + bias} in 32 bits, then
 * {@code clamp(MultiplyByQuantizedMultiplier(acc, m, s) + outZp)}.
 */
public final class FullyConnectedUint8Reference {
  private FullyConnectedUint8Reference() {}

  public static void run(int batch, int depth, int units, byte[] in, int inOff, int inZp, byte[] weights, int wOff, int wZp,
                         int[] bias, int bOff, byte[] out, int outOff, int outZp, int multiplier, int shift,
                         int actMin, int actMax) {
    int inputOffset = -inZp, filterOffset = -wZp;
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        int acc = 0;
        int inBase = inOff + b * depth, wBase = wOff + u * depth;
        for (int d = 0; d < depth; d++) acc += ((weights[wBase + d] & 0xFF) + filterOffset) * ((in[inBase + d] & 0xFF) + inputOffset);
        if (bias != null) acc += bias[bOff + u];
        int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier, shift) + outZp;
        out[outOff + b * units + u] = (byte) Math.min(Math.max(v, actMin), actMax);
      }
    }
  }
}
