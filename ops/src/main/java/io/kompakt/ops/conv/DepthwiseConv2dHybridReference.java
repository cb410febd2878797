package io.kompakt.ops.conv;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.HybridAsFloat;
import io.kompakt.ops.common.HybridQuant;
import io.kompakt.ops.common.VectorSupport;

/**
 * Hybrid (dynamic-range) DEPTHWISE_CONV_2D: float32 input and output, int8 filter [1, kH, kW, C * mult] with one
 * scale per output channel along dimension 3 (zero points 0), optional float32 bias. As TensorFlow Lite's
 * {@code depthwise_conv.cc} (EvalHybridPerChannel, its only hybrid path):
 *
 * <ol>
 *   <li>each batch image ({@code H * W * C} values) is quantized <b>asymmetrically</b> ({@link HybridQuant}):
 *       scale {@code s_b}, zero point {@code zp_b};
 *   <li>{@code acc = sum w * (q - zp_b)} over the taps inside the image, in int32;
 *   <li>{@code out = clamp((acc * s_b) * s_w[oc] + bias[oc])}, each product and the sum rounded to float in that
 *       order, as TFLite's generic optimized kernel (DepthwiseConvHybridGeneral) does; its reference kernel rounds
 *       {@code acc * (s_w * s_b)} and its NEON kernel {@code (acc * s_w) * s_b}, which can differ in the last bit.
 *       The clamp is the fused activation's float range.
 * </ol>
 *
 * <p>TFLite requires a scale per output channel; Kompakt also takes a single scale for all channels. One instance per
 * prepared operator holds the quantized input, scales and zero points; runs allocate nothing.
 */
public final class DepthwiseConv2dHybridReference {
  private final DepthwiseConv2dReference.Geometry g;
  private final float[] weightScales;
  private final byte[] quantized;
  private final float[] imageScales;
  private final int[] zeroPoints;

  /**
   * @param weightScales the filter's scales: one, or one per output channel
   */
  public DepthwiseConv2dHybridReference(DepthwiseConv2dReference.Geometry g, float[] weightScales) {
    if (weightScales.length != 1 && weightScales.length != g.outC()) {
      throw new IllegalArgumentException(weightScales.length + " filter scales for " + g.outC() + " output channels");
    }
    this.g = g;
    this.weightScales = weightScales.clone();
    quantized = new byte[g.batch() * g.inH() * g.inW() * g.inC()];
    imageScales = new float[g.batch()];
    zeroPoints = new int[g.batch()];
  }

  /** Checks a DEPTHWISE_CONV_2D with float input and quantized filter and returns its kernel (called by {@link DepthwiseConv2D}). */
  static Kernel prepare(OpContext ctx, FlatTable o, DepthwiseConv2dReference.Geometry g) {
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    float[] scales = HybridQuant.weightScales(ctx, filter, g.outC(), 3);
    ctx.requireType(out, TensorType.FLOAT32);
    if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
    float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
    if (filter.type == TensorType.INT8 && VectorSupport.fastApplies(ctx, filter, bias)) {
      // the same arithmetic on the float32 fast kernels where the sums stay exact (HybridAsFloat)
      float[] wf = HybridAsFloat.exactWeights(filter.i8, filter.offset, g.kH() * g.kW() * g.outC(), g.outC(), true);
      if (wf != null) {
        DepthwiseConv2dF32Fast.Kernel f = DepthwiseConv2dF32Fast.prepare(g, wf, 0, null, 0, Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY, VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.parallel());
        HybridAsFloat h = new HybridAsFloat(f::run, g.batch(), g.inH() * g.inW() * g.inC(), g.outH() * g.outW() * g.outC(),
            g.outC(), scales, true, false, false, ctx.scratch());
        return () -> h.run(in.f32, in.offset, bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32,
            out.offset, range[0], range[1]);
      }
    }
    DepthwiseConv2dHybridReference k = new DepthwiseConv2dHybridReference(g, scales);
    return () -> k.run(in.f32, in.offset, filter.i8, filter.offset, bias == null ? null : bias.f32,
        bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
  }

  public void run(float[] in, int inOff, byte[] filter, int fOff, float[] bias, int bOff, float[] out, int outOff,
                  float min, float max) {
    int imageSize = g.inH() * g.inW() * g.inC(), outC = g.outC();
    HybridQuant.quantizeRows(in, inOff, g.batch(), imageSize, quantized, imageScales, zeroPoints, true);
    for (int b = 0; b < g.batch(); b++) {
      int zp = zeroPoints[b];
      float imageScale = imageScales[b];
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
                  acc += filter[fOff + (ky * g.kW() + kx) * outC + oc]
                      * (quantized[((b * g.inH() + iy) * g.inW() + ix) * g.inC() + ic] - zp);
                }
              }
              float v = acc * imageScale * HybridQuant.scale(weightScales, oc);
              if (bias != null) v += bias[bOff + oc];
              out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * outC + oc] = Activation.clamp(v, min, max);
            }
          }
        }
      }
    }
  }
}
