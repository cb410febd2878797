package io.kompakt.ops.conv;

/**
 * CONV_2D in float32, plain loops: NHWC input, OHWI filter, optional bias, stride, dilation, padding,
 * clamp to the fused activation's range. The definition every faster kernel is tested against.
 */
public final class Conv2dReference {
  private Conv2dReference() {}

  /** Geometry of one convolution. */
  public record Geometry(int batch, int inH, int inW, int inC, int outH, int outW, int outC, int kH, int kW,
                         int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft) {}

  public static void run(Geometry g, float[] in, int inOff, float[] filter, int fOff, float[] bias, int bOff,
                         float[] out, int outOff, float min, float max) {
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int oc = 0; oc < g.outC(); oc++) {
            float acc = 0f;
            for (int ky = 0; ky < g.kH(); ky++) {
              int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
              if (iy < 0 || iy >= g.inH()) continue;
              for (int kx = 0; kx < g.kW(); kx++) {
                int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                if (ix < 0 || ix >= g.inW()) continue;
                int inBase = inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC();
                int fBase = fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC();
                for (int ic = 0; ic < g.inC(); ic++) acc += in[inBase + ic] * filter[fBase + ic];
              }
            }
            if (bias != null) acc += bias[bOff + oc];
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] = Math.min(Math.max(acc, min), max);
          }
        }
      }
    }
  }
}
