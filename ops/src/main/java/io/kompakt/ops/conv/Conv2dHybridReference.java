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
 * Hybrid (dynamic-range) CONV_2D: float32 input and output, int8 filter (OHWI, zero points 0), optional float32
 * bias. As TensorFlow Lite's {@code conv.cc}, which picks one of two paths at prepare:
 *
 * <ul>
 *   <li><b>Per channel</b> (EvalHybridPerChannel), when the filter has several scales and they are not all equal:
 *       each batch image (all of its {@code H * W * C} values) is quantized <b>asymmetrically</b>
 *       ({@link HybridQuant}; scale {@code s_b}, zero point {@code zp_b}), whatever the options say;
 *   <li><b>Per tensor</b> (EvalHybrid), with one scale, or several all equal (the first is used): each batch image is
 *       quantized <b>symmetrically</b> (zero point 0).
 * </ul>
 *
 * <p>Then {@code acc = sum w * (q - zp_b)} over the taps inside the image (padding contributes nothing, as TFLite's
 * im2col fills it with the zero point), in int32, and
 * {@code out = clamp(acc * (s_b * s_w[oc]) + bias[oc])}: the scales multiplied first, then the accumulator by that
 * product, then the bias, each rounded to float, as TFLite's optimized kernels (HybridConvPerChannel, HybridConv
 * through MatrixBatchVectorMultiplyAccumulate) do; TFLite's reference HybridConvPerChannel instead rounds
 * {@code (acc * s_w) * s_b}, which can differ in the last bit. The clamp is the fused activation's float range
 * (NONE clamps to the largest finite floats, as TFLite's CalculateActivationRange gives it).
 *
 * <p>One instance per prepared operator holds the quantized input, scales and zero points; runs allocate nothing.
 */
public final class Conv2dHybridReference {
  private final Conv2dReference.Geometry g;
  private final float[] weightScales;
  private final boolean perChannel;
  private final byte[] quantized;
  private final float[] imageScales;
  private final int[] zeroPoints;

  /**
   * @param weightScales the filter's scales: one, or one per output channel
   */
  public Conv2dHybridReference(Conv2dReference.Geometry g, float[] weightScales) {
    if (weightScales.length != 1 && weightScales.length != g.outC()) {
      throw new IllegalArgumentException(weightScales.length + " filter scales for " + g.outC() + " output channels");
    }
    this.g = g;
    this.perChannel = perChannel(weightScales);
    this.weightScales = perChannel ? weightScales.clone() : new float[] {weightScales[0]};
    quantized = new byte[g.batch() * g.inH() * g.inW() * g.inC()];
    imageScales = new float[g.batch()];
    zeroPoints = new int[g.batch()];
  }

  /** TFLite's choice of path: several scales, not all equal. */
  public static boolean perChannel(float[] scales) {
    for (float s : scales) if (s != scales[0]) return true;
    return false;
  }

  /** Whether this instance takes the per-channel (asymmetric input) path. */
  public boolean isPerChannel() { return perChannel; }

  /** Checks a CONV_2D with float input and quantized filter and returns its kernel (called by {@link Conv2D}). */
  static Kernel prepare(OpContext ctx, FlatTable o, Conv2dReference.Geometry g) {
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    float[] scales = HybridQuant.weightScales(ctx, filter, g.outC(), 0);
    ctx.requireType(out, TensorType.FLOAT32);
    if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
    float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
    if (filter.type == TensorType.INT8 && VectorSupport.fastApplies(ctx, filter, bias)) {
      // the same arithmetic on the float32 fast kernels where the sums stay exact (HybridAsFloat)
      float[] wf = HybridAsFloat.exactWeights(filter.i8, filter.offset, g.outC() * g.kH() * g.kW() * g.inC(), g.outC(), false);
      if (wf != null) {
        boolean pc = perChannel(scales);
        Conv2dF32Fast.Kernel f = Conv2dF32Fast.prepare(g, wf, 0, null, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
            VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.parallel());
        HybridAsFloat h = new HybridAsFloat(f::run, g.batch(), g.inH() * g.inW() * g.inC(), g.outH() * g.outW() * g.outC(),
            g.outC(), pc ? scales : new float[] {scales[0]}, pc, true, false, ctx.scratch());
        return () -> h.run(in.f32, in.offset, bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32,
            out.offset, range[0], range[1]);
      }
    }
    Conv2dHybridReference k = new Conv2dHybridReference(g, scales);
    return () -> k.run(in.f32, in.offset, filter.i8, filter.offset, bias == null ? null : bias.f32,
        bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
  }

  public void run(float[] in, int inOff, byte[] filter, int fOff, float[] bias, int bOff, float[] out, int outOff,
                  float min, float max) {
    int imageSize = g.inH() * g.inW() * g.inC();
    HybridQuant.quantizeRows(in, inOff, g.batch(), imageSize, quantized, imageScales, zeroPoints, perChannel);
    for (int b = 0; b < g.batch(); b++) {
      int zp = zeroPoints[b];
      float imageScale = imageScales[b];
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
                int qBase = ((b * g.inH() + iy) * g.inW() + ix) * g.inC();
                int fBase = fOff + ((oc * g.kH() + ky) * g.kW() + kx) * g.inC();
                for (int ic = 0; ic < g.inC(); ic++) acc += filter[fBase + ic] * (quantized[qBase + ic] - zp);
              }
            }
            float v = acc * (imageScale * HybridQuant.scale(weightScales, oc));
            if (bias != null) v += bias[bOff + oc];
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.outC() + oc] = Activation.clamp(v, min, max);
          }
        }
      }
    }
  }
}
