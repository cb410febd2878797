package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * DEPTHWISE_CONV_2D for uint8 activations and weights (legacy per-tensor quantization), as TFLite's
 * {@code reference_ops::DepthwiseConv} for uint8 (rounding away from zero: MultiplyByQuantizedMultiplier):
 * {@code acc = sum (w - wZp) * (x - inZp) + bias}, then {@code clamp(MultiplyByQuantizedMultiplier(acc, m, s) + outZp)}.
 */
public final class DepthwiseConv2dUint8Reference {
  private DepthwiseConv2dUint8Reference() {}

  public static void run(DepthwiseConv2dReference.Geometry g, byte[] in, int inOff, int inZp, byte[] filter, int fOff,
                         int filterZp, int[] bias, int bOff, byte[] out, int outOff, int outZp, int multiplier, int shift,
                         int actMin, int actMax) {
    int outC = g.outC(), inputOffset = -inZp, filterOffset = -filterZp;
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            for (int m = 0; m < g.depthMultiplier(); m++) {
              int oc = ic * g.depthMultiplier() + m;
              int acc = 0;
              for (int ky = 0; ky < g.kH(); ky++) {
                int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                if (iy < 0 || iy >= g.inH()) continue;
                for (int kx = 0; kx < g.kW(); kx++) {
                  int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                  if (ix < 0 || ix >= g.inW()) continue;
                  acc += ((filter[fOff + (ky * g.kW() + kx) * outC + oc] & 0xFF) + filterOffset)
                      * ((in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic] & 0xFF) + inputOffset);
                }
              }
              if (bias != null) acc += bias[bOff + oc];
              int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier, shift) + outZp;
              out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * outC + oc] = (byte) Math.min(Math.max(v, actMin), actMax);
            }
          }
        }
      }
    }
  }
}
