package io.kompakt.ops.conv;

import io.kompakt.ops.common.Activation;

/**
 * TRANSPOSE_CONV in float32, plain loops, as TFLite's reference kernel: every input element is scattered into the
 * output through the filter ([outC, kH, kW, inC]) at {@code in * stride - pad + k}; then the optional bias is added
 * and the result clamped to the fused activation's range.
 */
public final class TransposeConvReference {
  private TransposeConvReference() {}

  /** Geometry of one transposed convolution; {@code padTop/padLeft} are those of the matching forward convolution. */
  public record Geometry(int batch, int inH, int inW, int inC, int outH, int outW, int outC, int kH, int kW,
                         int strideH, int strideW, int padTop, int padLeft) {}

  public static void run(Geometry g, float[] in, int inOff, float[] filter, int fOff, float[] bias, int bOff,
                         float[] out, int outOff, float min, float max) {
    int n = g.batch() * g.outH() * g.outW() * g.outC();
    for (int i = 0; i < n; i++) out[outOff + i] = 0f;
    for (int b = 0; b < g.batch(); b++) {
      for (int iy = 0; iy < g.inH(); iy++) {
        for (int ix = 0; ix < g.inW(); ix++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            float x = in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic];
            for (int ky = 0; ky < g.kH(); ky++) {
              int oy = iy * g.strideH() - g.padTop() + ky;
              if (oy < 0 || oy >= g.outH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ox = ix * g.strideW() - g.padLeft() + kx;
                if (ox < 0 || ox >= g.outW()) continue;
                for (int oc = 0; oc < g.outC(); oc++) {
                  out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] +=
                      x * filter[fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC() + ic];
                }
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < n; i++) {
      float v = out[outOff + i];
      if (bias != null) v += bias[bOff + i % g.outC()];
      out[outOff + i] = Activation.clamp(v, min, max);
    }
  }
}
