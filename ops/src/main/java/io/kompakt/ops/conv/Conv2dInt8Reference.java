package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * CONV_2D for int8 activations and int8 weights, as TFLite's {@code reference_integer_ops::ConvPerChannel}: per output
 * channel {@code acc = sum w * (x - inZp) + bias} in 32 bits (wrapping as C++ does), then
 * {@code clamp(MultiplyByQuantizedMultiplier(acc, m[c], s[c]) + outZp)}. Taps outside the input are skipped (the
 * zero padding of the real values). A per-tensor filter comes with its multiplier repeated per channel.
 */
public final class Conv2dInt8Reference {
  private Conv2dInt8Reference() {}

  public static void run(Conv2dReference.Geometry g, byte[] in, int inOff, int inZp, byte[] filter, int fOff,
                         int[] bias, int bOff, byte[] out, int outOff, int outZp, int[] multiplier, int[] shift,
                         int actMin, int actMax) {
    int inputOffset = -inZp;
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int oc = 0; oc < g.outC(); oc++) {
            int acc = 0;
            for (int ky = 0; ky < g.kH(); ky++) {
              int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
              if (iy < 0 || iy >= g.inH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (ix < 0 || ix >= g.inW()) continue;
                int inBase = inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC();
                int fBase = fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC();
                for (int ic = 0; ic < g.inC(); ic++) acc += filter[fBase + ic] * (in[inBase + ic] + inputOffset);
              }
            }
            if (bias != null) acc += bias[bOff + oc];
            int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]) + outZp;
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] = (byte) Math.min(Math.max(v, actMin), actMax);
          }
        }
      }
    }
  }
}
