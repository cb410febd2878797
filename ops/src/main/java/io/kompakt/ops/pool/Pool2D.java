package io.kompakt.ops.pool;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Padding;
import io.kompakt.ops.common.QuantMath;

/**
 * AVERAGE_POOL_2D and MAX_POOL_2D: Pool2DOptions (padding, strides, filter size, fused activation) on NHWC input;
 * float32 in {@link Pool2dReference}, int8, uint8 and int16 in {@link Pool2dQuantizedReference}.
 */
public final class Pool2D {
  private Pool2D() {}

  public static Kernel prepareAverage(OpContext ctx) { return prepare(ctx, true); }

  public static Kernel prepareMax(OpContext ctx) { return prepare(ctx, false); }

  private static Kernel prepare(OpContext ctx, boolean average) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    FlatTable o = ctx.options("Pool2DOptions");
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    boolean same = o.getEnumName("padding").equals("SAME");
    int sH = o.getInt("stride_h"), sW = o.getInt("stride_w"), fH = o.getInt("filter_height"), fW = o.getInt("filter_width");
    ctx.require(sH > 0 && sW > 0 && fH > 0 && fW > 0, "strides and filter size must be positive: " + o);
    int inH = in.dim(1), inW = in.dim(2);
    int outH = Padding.outSize(same, inH, fH, sH, 1), outW = Padding.outSize(same, inW, fW, sW, 1);
    ctx.require(outH > 0 && outW > 0, "the filter " + fH + "x" + fW + " does not fit the input " + in);
    int padTop = Padding.padBefore(same, inH, fH, sH, 1, outH), padLeft = Padding.padBefore(same, inW, fW, sW, 1, outW);
    // the first window starts at -pad, the last at (out - 1) * stride - pad: both must overlap the input
    ctx.require(padTop < fH && padLeft < fW && (outH - 1) * sH - padTop < inH && (outW - 1) * sW - padLeft < inW,
        "a pooling window lies wholly in the padding: " + o + " on " + in);
    ctx.setOutputShape(0, in.dim(0), outH, outW, in.dim(3));
    Pool2dReference.Geometry g = new Pool2dReference.Geometry(in.dim(0), inH, inW, in.dim(3), outH, outW, fH, fW,
        sH, sW, padTop, padLeft);
    if (in.type == TensorType.FLOAT32) {
      ctx.requireType(out, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      float min = range[0], max = range[1];
      if (average) return () -> Pool2dReference.average(g, in.f32, in.offset, out.f32, out.offset, min, max);
      return () -> Pool2dReference.max(g, in.f32, in.offset, out.f32, out.offset, min, max);
    }
    if (QuantMath.isQuantizedType(in.type)) {
      // TFLite requires the output to be quantized as the input (values are pooled raw); int16 with zero point 0
      ctx.requireType(out, in.type);
      ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
      ctx.require(Math.abs(in.scale() - out.scale()) <= 1e-6 && in.zeroPoint() == out.zeroPoint(),
          "input " + in + " (" + in.quantization + ") and output " + out + " (" + out.quantization + ") must be quantized alike");
      if (in.type == TensorType.INT16) ctx.require(in.zeroPoint() == 0, "int16 pooling needs zero point 0");
      int[] type = QuantMath.typeRange(out.type);
      int[] r = QuantMath.activationRange(o.getEnumName("fused_activation_function"), out.scale(), out.zeroPoint(), type[0], type[1]);
      int min = r[0], max = r[1];
      if (average) return () -> Pool2dQuantizedReference.average(g, in, out, min, max);
      return () -> Pool2dQuantizedReference.max(g, in, out, min, max);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }
}
