package io.kompakt.ops.conv;

import io.kompakt.ops.common.QuantMath;

/**
 * TRANSPOSE_CONV for int16 activations (zero point 0) and int8 weights, as TFLite's 16x8
 * {@code reference_integer_ops::TransposeConv<Scalar>}: scatter {@code x * w} into a scratch buffer as wide as the
 * bias ({@link #run64}: int64, 64-bit MultiplyByQuantizedMultiplier; {@link #run32}: int32, 32-bit), add the bias,
 * scale, clamp; no output offset.
 */
public final class TransposeConvInt16Reference {
  private TransposeConvInt16Reference() {}

  public static void run64(TransposeConvReference.Geometry g, short[] in, int inOff, byte[] filter, int fOff, long[] bias,
                           int bOff, short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax,
                           long[] scratch) {
    int n = g.batch() * g.outH() * g.outW() * g.outC();
    java.util.Arrays.fill(scratch, 0, n, 0L);
    for (int b = 0; b < g.batch(); b++) {
      for (int iy = 0; iy < g.inH(); iy++) {
        for (int ix = 0; ix < g.inW(); ix++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            int x = in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic];
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
      long acc = scratch[i];
      if (bias != null) acc += bias[bOff + oc];
      int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]);
      out[outOff + i] = (short) Math.min(Math.max(v, actMin), actMax);
    }
  }

  public static void run32(TransposeConvReference.Geometry g, short[] in, int inOff, byte[] filter, int fOff, int[] bias,
                           int bOff, short[] out, int outOff, int[] multiplier, int[] shift, int actMin, int actMax,
                           int[] scratch) {
    int n = g.batch() * g.outH() * g.outW() * g.outC();
    java.util.Arrays.fill(scratch, 0, n, 0);
    for (int b = 0; b < g.batch(); b++) {
      for (int iy = 0; iy < g.inH(); iy++) {
        for (int ix = 0; ix < g.inW(); ix++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            int x = in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic];
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
      int v = QuantMath.multiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]);
      out[outOff + i] = (short) Math.min(Math.max(v, actMin), actMax);
    }
  }
}
