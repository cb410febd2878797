package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * CONV_2D for int16 activations (zero point 0) and int8 weights, as TFLite's 16x8
 * {@code reference_integer_ops::ConvPerChannel<AccumScalar>}: {@code acc = sum w * x + bias} with the accumulator
 * as wide as the bias. With an int64 bias ({@link #run64}) the 64-bit MultiplyByQuantizedMultiplier (multiplier
 * rounded to 16 bits) scales it; with an int32 bias or none ({@link #run32}) the 32-bit one, as TFLite's template
 * instantiates it. No output offset; clamp to the activation range.
 */
public final class Conv2dInt16Reference {
  private Conv2dInt16Reference() {}

  public static void run64(Conv2dReference.Geometry g, short[] in, int inOff, byte[] filter, int fOff, long[] bias, int bOff,
                           short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax) {
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int oc = 0; oc < g.outC(); oc++) {
            long acc = 0;
            for (int ky = 0; ky < g.kH(); ky++) {
              int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
              if (iy < 0 || iy >= g.inH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (ix < 0 || ix >= g.inW()) continue;
                int inBase = inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC();
                int fBase = fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC();
                for (int ic = 0; ic < g.inC(); ic++) acc += filter[fBase + ic] * in[inBase + ic];
              }
            }
            if (bias != null) acc += bias[bOff + oc];
            int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]);
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] = (short) Math.min(Math.max(v, actMin), actMax);
          }
        }
      }
    }
  }

  public static void run32(Conv2dReference.Geometry g, short[] in, int inOff, byte[] filter, int fOff, int[] bias, int bOff,
                           short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax) {
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
                for (int ic = 0; ic < g.inC(); ic++) acc += filter[fBase + ic] * in[inBase + ic];
              }
            }
            if (bias != null) acc += bias[bOff + oc];
            int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]);
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] = (short) Math.min(Math.max(v, actMin), actMax);
          }
        }
      }
    }
  }
}
