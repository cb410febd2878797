package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * DEPTHWISE_CONV_2D for int16 activations (zero point 0) and int8 weights, as TFLite's 16x8
 * {@code reference_integer_ops::DepthwiseConvPerChannel}: {@code acc = sum w * x + bias} in 64 bits (the bias is
 * int64), scaled by the 64-bit MultiplyByQuantizedMultiplier, clamped; no output offset.
 */
public final class DepthwiseConv2dInt16Reference {
  private DepthwiseConv2dInt16Reference() {}

  public static void run(DepthwiseConv2dReference.Geometry g, short[] in, int inOff, byte[] filter, int fOff,
                         long[] bias, int bOff, short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax) {
    int outC = g.outC();
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            for (int m = 0; m < g.depthMultiplier(); m++) {
              int oc = ic * g.depthMultiplier() + m;
              long acc = 0;
              for (int ky = 0; ky < g.kH(); ky++) {
                int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                if (iy < 0 || iy >= g.inH()) continue;
                for (int kx = 0; kx < g.kW(); kx++) {
                  int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                  if (ix < 0 || ix >= g.inW()) continue;
                  acc += filter[fOff + (ky * g.kW() + kx) * outC + oc] * in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic];
                }
              }
              if (bias != null) acc += bias[bOff + oc];
              int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]);
              out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * outC + oc] = (short) Math.min(Math.max(v, actMin), actMax);
            }
          }
        }
      }
    }
  }
}
