package io.kompakt.ops.conv;

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
      ctx.requireType(filter, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      return () -> DepthwiseConv2dReference.run(g, in.f32, in.offset, filter.f32, filter.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }
}
