package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * TRANSPOSE_CONV for int8 activations and int8 weights, as TFLite's {@code reference_integer_ops::TransposeConv}:
 * every input element scatters {@code (x - inZp) * w} into a 32-bit scratch buffer of the output's size; then per
 * element {@code clamp(MultiplyByQuantizedMultiplier(acc + bias, m[oc], s[oc]) + outZp)}.
 */
public final class TransposeConvInt8Reference {
  private TransposeConvInt8Reference() {}

  /** {@code scratch} holds at least the output's element count (allocated once at prepare). */
  public static void run(TransposeConvReference.Geometry g, byte[] in, int inOff, int inZp, byte[] filter, int fOff,
                         int[] bias, int bOff, byte[] out, int outOff, int outZp, int[] multiplier, int[] shift,
                         int actMin, int actMax, int[] scratch) {
    int n = g.batch() * g.outH() * g.outW() * g.outC(), inputOffset = -inZp;
    java.util.Arrays.fill(scratch, 0, n, 0);
    for (int b = 0; b < g.batch(); b++) {
      for (int iy = 0; iy < g.inH(); iy++) {
        for (int ix = 0; ix < g.inW(); ix++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            int x = in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic] + inputOffset;
            for (int ky = 0; ky < g.kH(); ky++) {
              int oy = iy * g.strideH() - g.padTop() + ky;
              if (oy < 0 || oy >= g.outH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ox = ix * g.strideW() - g.padLeft() + kx;
                if (ox < 0 || ox >= g.outW()) continue;
                int outBase = ((b * g.outH() + oy) * g.outW() + ox) * g.outC();
                for (int oc = 0; oc < g.outC(); oc++) {
                  scratch[outBase + oc] += x * filter[fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC() + ic];
                }
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      int oc = i % g.outC();
      int acc = scratch[i];
      if (bias != null) acc += bias[bOff + oc];
      int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]) + outZp;
      out[outOff + i] = (byte) Math.min(Math.max(v, actMin), actMax);
    }
  }
}
