package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * TRANSPOSE_CONV for uint8 activations and weights (legacy per-tensor quantization), as TFLite's
 * {@code reference_ops::TransposeConv} for uint8: scatter {@code (x - inZp) * (w - wZp)} into a 32-bit scratch buffer,
 * then {@code clamp(MultiplyByQuantizedMultiplier(acc + bias, m, s) + outZp)}.
 */
public final class TransposeConvUint8Reference {
  private TransposeConvUint8Reference() {}

  public static void run(TransposeConvReference.Geometry g, byte[] in, int inOff, int inZp, byte[] filter, int fOff,
                         int filterZp, int[] bias, int bOff, byte[] out, int outOff, int outZp, int multiplier, int shift,
                         int actMin, int actMax, int[] scratch) {
    int n = g.batch() * g.outH() * g.outW() * g.outC(), inputOffset = -inZp, filterOffset = -filterZp;
    java.util.Arrays.fill(scratch, 0, n, 0);
    for (int b = 0; b < g.batch(); b++) {
      for (int iy = 0; iy < g.inH(); iy++) {
        for (int ix = 0; ix < g.inW(); ix++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            int x = (in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic] & 0xFF) + inputOffset;
            for (int ky = 0; ky < g.kH(); ky++) {
              int oy = iy * g.strideH() - g.padTop() + ky;
              if (oy < 0 || oy >= g.outH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ox = ix * g.strideW() - g.padLeft() + kx;
                if (ox < 0 || ox >= g.outW()) continue;
                int outBase = ((b * g.outH() + oy) * g.outW() + ox) * g.outC();
                for (int oc = 0; oc < g.outC(); oc++) {
                  scratch[outBase + oc] += x * ((filter[fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC() + ic] & 0xFF) + filterOffset);
                }
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      int acc = scratch[i];
      if (bias != null) acc += bias[bOff + i % g.outC()];
      int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier, shift) + outZp;
      out[outOff + i] = (byte) Math.min(Math.max(v, actMin), actMax);
    }
  }
}
