package io.kompakt.ops.conv;

import io.kompakt.ops.common.Activation;

/**
 * DEPTHWISE_CONV_2D in float32, plain loops, as TFLite's reference kernel: NHWC input, filter [1, kH, kW, inC * mult],
 * optional bias, stride, dilation, padding, clamp to the fused activation's range. Output channel
 * {@code oc = ic * mult + m} sees input channel {@code ic} only.
 */
public final class DepthwiseConv2dReference {
  private DepthwiseConv2dReference() {}

  /** Geometry of one depthwise convolution; the output has {@code inC * depthMultiplier} channels. */
  public record Geometry(int batch, int inH, int inW, int inC, int depthMultiplier, int outH, int outW, int kH, int kW,
                         int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft) {
    public int outC() { return inC * depthMultiplier; }
  }

  public static void run(Geometry g, float[] in, int inOff, float[] filter, int fOff, float[] bias, int bOff,
                         float[] out, int outOff, float min, float max) {
    int outC = g.outC();
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int ic = 0; ic < g.inC(); ic++) {
            for (int m = 0; m < g.depthMultiplier(); m++) {
              int oc = ic * g.depthMultiplier() + m;
              float acc = 0f;
              for (int ky = 0; ky < g.kH(); ky++) {
                int iy = oy * g.strideH() - g.padTop() + ky * g.dilationH();
                if (iy < 0 || iy >= g.inH()) continue;
                for (int kx = 0; kx < g.kW(); kx++) {
                  int ix = ox * g.strideW() - g.padLeft() + kx * g.dilationW();
                  if (ix < 0 || ix >= g.inW()) continue;
                  acc += in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic]
                      * filter[fOff + (ky * g.kW() + kx) * outC + oc];
                }
              }
              float biasValue = bias == null ? 0f : bias[bOff + oc];
              out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * outC + oc] = Activation.clamp(acc + biasValue, min, max);
            }
          }
        }
      }
    }
  }
}
