package io.kompakt.ops.conv;

import io.kompakt.ops.common.VectorSupport;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Padding;

/** CONV_2D: checks shapes and options, computes the output shape and padding, picks the kernel. */
public final class Conv2D {
  private Conv2D() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), filter = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    FlatTable o = ctx.options("Conv2DOptions");
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    ctx.require(filter.rank() == 4, "filter must be 4-D (OHWI), is " + filter);
    int inC = in.dim(3), outC = filter.dim(0), kH = filter.dim(1), kW = filter.dim(2);
    ctx.require(inC % filter.dim(3) == 0, "input channels " + inC + " are not a multiple of the filter's " + filter.dim(3));
    ctx.require(filter.dim(3) == inC, "grouped convolution (input " + inC + " channels, filter " + filter.dim(3) + ") is not supported");
    if (bias != null) ctx.require(bias.size() == outC, "bias has " + bias.size() + " values for " + outC + " output channels");
    boolean same = o.getEnumName("padding").equals("SAME");
    int sH = o.getInt("stride_h"), sW = o.getInt("stride_w"), dH = o.getInt("dilation_h_factor"), dW = o.getInt("dilation_w_factor");
    ctx.require(sH > 0 && sW > 0 && dH > 0 && dW > 0, "strides and dilations must be positive: " + o);
    int outH = Padding.outSize(same, in.dim(1), kH, sH, dH), outW = Padding.outSize(same, in.dim(2), kW, sW, dW);
    ctx.require(outH > 0 && outW > 0, "the filter " + kH + "x" + kW + " does not fit the input " + in);
    ctx.setOutputShape(0, in.dim(0), outH, outW, outC);
    Conv2dReference.Geometry g = new Conv2dReference.Geometry(in.dim(0), in.dim(1), in.dim(2), inC, outH, outW, outC, kH, kW,
        sH, sW, dH, dW, Padding.padBefore(same, in.dim(1), kH, sH, dH, outH), Padding.padBefore(same, in.dim(2), kW, sW, dW, outW));
    if (in.type == TensorType.FLOAT32) {
      if (filter.type == TensorType.INT8 || filter.type == TensorType.UINT8) {
        return Conv2dHybridReference.prepare(ctx, o, g); // hybrid (dynamic-range)
      }
      ctx.requireType(filter, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      VectorSupport.Variant variant = VectorSupport.variant(ctx);
      if (VectorSupport.fastApplies(ctx, filter, bias)) {
        Kernel sparse = Conv2dF32Sparse1x1.select(ctx, g, range); // pruned 1x1 filters (SparseSupport)
        if (sparse != null) return sparse;
        Conv2dF32Fast.Kernel fast = Conv2dF32Fast.prepare(g, filter.f32, filter.offset, bias == null ? null : bias.f32,
            bias == null ? 0 : bias.offset, range[0], range[1], variant == VectorSupport.Variant.VECTOR, ctx.parallel());
        return () -> fast.run(in.f32, in.offset, out.f32, out.offset);
      }
      return () -> Conv2dReference.run(g, in.f32, in.offset, filter.f32, filter.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    String activation = o.getEnumName("fused_activation_function");
    if (in.type == TensorType.INT8) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 0, activation);
      int inZp = in.zeroPoint(), outZp = out.zeroPoint();
      if (VectorSupport.fastApplies(ctx, filter, bias)) {
        Kernel sparse = Conv2dInt8Sparse1x1.select(ctx, g, q); // pruned 1x1 filters (SparseSupport)
        if (sparse != null) return sparse;
        Conv2dInt8Fast.Kernel fast = Conv2dInt8Fast.prepare(g, filter.i8, filter.offset, false, 0, bias == null ? null : bias.i32,
            bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(), q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.scratch(), ctx.parallel());
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      return () -> Conv2dInt8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset,
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
        Conv2dInt8Fast.Kernel fast = Conv2dInt8Fast.prepare(g, filter.i8, filter.offset, true, filterZp, bias == null ? null : bias.i32,
            bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(), q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, ctx.scratch(), ctx.parallel());
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      int m = q.multiplier()[0], s = q.shift()[0];
      return () -> Conv2dUint8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset, filterZp,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp, m, s, q.actMin(), q.actMax());
    }
    if (in.type == TensorType.INT16) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT16);
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 0, activation);
      ConvQuantParams.requireInt16ZeroPoints(ctx, in, out);
      // TFLite: an int64 bias accumulates in 64 bits; an int32 bias, or none, in 32 (ConvPerChannel<int32_t>)
      if (ConvQuantParams.wideAccumulator(ctx, bias, false)) {
        ConvQuantParams.requireWideShifts(ctx, q);
        return () -> Conv2dInt16Reference.run64(g, in.i16, in.offset, filter.i8, filter.offset, bias.i64, bias.offset,
            out.i16, out.offset, q.multiplier(), q.shift(), q.actMin(), q.actMax());
      }
      return () -> Conv2dInt16Reference.run32(g, in.i16, in.offset, filter.i8, filter.offset,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i16, out.offset,
          q.multiplier(), q.shift(), q.actMin(), q.actMax());
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported");
  }
}
