package io.kompakt.ops.dense;

import io.kompakt.ops.common.QuantMath;

/**
 * FULLY_CONNECTED for int16 activations (zero point 0) and int8 weights, as TFLite's 16x8
 * {@code reference_integer_ops::FullyConnected<AccumScalar>} / {@code FullyConnectedPerChannel<AccumScalar>}:
 * {@code acc = sum (w - wZp) * x + bias} with an accumulator as wide as the bias ({@link #run64}: int64 and the
 * 64-bit MultiplyByQuantizedMultiplier; {@link #run32}: int32 and the 32-bit one); clamp, no output offset.
 */
public final class FullyConnectedInt16Reference {
  private FullyConnectedInt16Reference() {}

  public static void run64(int batch, int depth, int units, short[] in, int inOff, byte[] weights, int wOff, int wZp,
                           long[] bias, int bOff, short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax) {
    int filterOffset = -wZp;
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        long acc = 0;
        int inBase = inOff + b * depth, wBase = wOff + u * depth;
        for (int d = 0; d < depth; d++) acc += (weights[wBase + d] + filterOffset) * in[inBase + d];
        if (bias != null) acc += bias[bOff + u];
        int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[u], shift[u]);
        out[outOff + b * units + u] = (short) Math.min(Math.max(v, actMin), actMax);
      }
    }
  }

  public static void run32(int batch, int depth, int units, short[] in, int inOff, byte[] weights, int wOff, int wZp,
                           int[] bias, int bOff, short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax) {
    int filterOffset = -wZp;
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        int acc = 0;
        int inBase = inOff + b * depth, wBase = wOff + u * depth;
        for (int d = 0; d < depth; d++) acc += (weights[wBase + d] + filterOffset) * in[inBase + d];
        if (bias != null) acc += bias[bOff + u];
        int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[u], shift[u]);
        out[outOff + b * units + u] = (short) Math.min(Math.max(v, actMin), actMax);
      }
    }
  }
}
