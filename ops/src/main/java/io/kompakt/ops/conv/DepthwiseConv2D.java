package io.kompakt.ops.conv;

import io.kompakt.ops.common.VectorSupport;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Padding;

/**
 * DEPTHWISE_CONV_2D: checks shapes and options, computes the output shape and padding, picks the kernel.
 *
 * <p>As TFLite does (ComputeDepthMultiplier), the depth multiplier is the filter's channels over the input's; the
 * option {@code depth_multiplier} is redundant and not relied on (converters do not always set it).
 */
public final class DepthwiseConv2D {
  private DepthwiseConv2D() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    FlatTable o = ctx.options("DepthwiseConv2DOptions");
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    ctx.require(filter.rank() == 4, "filter must be 4-D ([1, kH, kW, channels]), is " + filter);
    ctx.require(filter.dim(0) == 1, "filter's first dimension must be 1, is " + filter);
    int inC = in.dim(3), outC = filter.dim(3), kH = filter.dim(1), kW = filter.dim(2);
    ctx.require(inC > 0 && outC % inC == 0, "filter channels " + outC + " are not a multiple of the input's " + inC);
    int mult = outC / inC;
    if (bias != null) ctx.require(bias.size() == outC, "bias has " + bias.size() + " values for " + outC + " output channels");
    boolean same = o.getEnumName("padding").equals("SAME");
    int sH = o.getInt("stride_h"), sW = o.getInt("stride_w"), dH = o.getInt("dilation_h_factor"), dW = o.getInt("dilation_w_factor");
    ctx.require(sH > 0 && sW > 0 && dH > 0 && dW > 0, "strides and dilations must be positive: " + o);
    int outH = Padding.outSize(same, in.dim(1), kH, sH, dH), outW = Padding.outSize(same, in.dim(2), kW, sW, dW);
    ctx.require(outH > 0 && outW > 0, "the filter " + kH + "x" + kW + " does not fit the input " + in);
    ctx.setOutputShape(0, in.dim(0), outH, outW, outC);
    DepthwiseConv2dReference.Geometry g = new DepthwiseConv2dReference.Geometry(in.dim(0), in.dim(1), in.dim(2), inC, mult,
        outH, outW, kH, kW, sH, sW, dH, dW,
        Padding.padBefore(same, in.dim(1), kH, sH, dH, outH), Padding.padBefore(same, in.dim(2), kW, sW, dW, outW));
    if (in.type == TensorType.FLOAT32) {
      if (filter.type == TensorType.INT8 || filter.type == TensorType.UINT8) {
        return DepthwiseConv2dHybridReference.prepare(ctx, o, g); // hybrid (dynamic-range)
      }
      ctx.requireType(filter, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      VectorSupport.Variant variant = VectorSupport.variant(ctx);
      if (VectorSupport.fastApplies(ctx, filter, bias)) {
        DepthwiseConv2dF32Fast.Kernel fast = DepthwiseConv2dF32Fast.prepare(g, filter.f32, filter.offset, bias == null ? null : bias.f32,
            bias == null ? 0 : bias.offset, range[0], range[1], variant == VectorSupport.Variant.VECTOR, ctx.parallel());
        return () -> fast.run(in.f32, in.offset, out.f32, out.offset);
      }
      return () -> DepthwiseConv2dReference.run(g, in.f32, in.offset, filter.f32, filter.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    String activation = o.getEnumName("fused_activation_function");
    if (in.type == TensorType.INT8) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 3, activation);
      int inZp = in.zeroPoint(), outZp = out.zeroPoint();
      if (VectorSupport.fastApplies(ctx, filter, bias)) {
        DepthwiseConv2dInt8Fast.Kernel fast = DepthwiseConv2dInt8Fast.prepare(g, filter.i8, filter.offset, false, 0,
            bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(),
            q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.scratch(), ctx.parallel());
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      return () -> DepthwiseConv2dInt8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp,
          q.multiplier(), q.shift(), q.actMin(), q.actMax());
    }
    if (in.type == TensorType.UINT8) {
      ctx.requireType(filter, TensorType.UINT8);
      ctx.requireType(out, TensorType.UINT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perTensor(ctx, in, filter, out, outC, activation);
      int inZp = in.zeroPoint(), filterZp = filter.zeroPoint(), outZp = out.zeroPoint();
      if (VectorSupport.fastApplies(ctx, filter, bias)) {
        DepthwiseConv2dInt8Fast.Kernel fast = DepthwiseConv2dInt8Fast.prepare(g, filter.i8, filter.offset, true, filterZp,
            bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(),
            q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.scratch(), ctx.parallel());
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      int m = q.multiplier()[0], s = q.shift()[0];
      return () -> DepthwiseConv2dUint8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset, filterZp,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp, m, s, q.actMin(), q.actMax());
    }
    if (in.type == TensorType.INT16) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT16);
      if (bias != null) ctx.requireType(bias, TensorType.INT64); // TFLite's 16x8 depthwise takes int64 biases only
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 3, activation);
      ConvQuantParams.requireInt16ZeroPoints(ctx, in, out);
      ConvQuantParams.requireWideShifts(ctx, q);
      return () -> DepthwiseConv2dInt16Reference.run(g, in.i16, in.offset, filter.i8, filter.offset,
          bias == null ? null : bias.i64, bias == null ? 0 : bias.offset, out.i16, out.offset,
          q.multiplier(), q.shift(), q.actMin(), q.actMax());
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported");
  }
}
