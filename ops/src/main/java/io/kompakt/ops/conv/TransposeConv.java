package io.kompakt.ops.conv;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Padding;
import java.util.Arrays;

/**
 * TRANSPOSE_CONV: inputs output_shape (int32 [4], a constant), weights [outC, kH, kW, inC], input (NHWC) and an
 * optional bias [outC]. The padding is that of the forward convolution from the output to the input, as TFLite
 * computes it (ComputePaddingHeightWidth on the output's size, dilation 1).
 */
public final class TransposeConv {
  private TransposeConv() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 1);
    RuntimeTensor shapeT = ctx.input(0), filter = ctx.input(1), in = ctx.input(2), bias = ctx.input(3), out = ctx.output(0);
    FlatTable o = ctx.options("TransposeConvOptions");
    ctx.requireType(shapeT, TensorType.INT32);
    ctx.require(shapeT.rank() == 1 && shapeT.size() == 4, "output_shape must be an int32 vector of 4 values, is " + shapeT);
    ctx.require(shapeT.constant, "output_shape " + shapeT + " must be a constant (dynamic output shapes are not supported)");
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    ctx.require(filter.rank() == 4, "weights must be 4-D (OHWI), is " + filter);
    int[] shape = shapeT.toIntArray();
    int inC = in.dim(3), outC = filter.dim(0), kH = filter.dim(1), kW = filter.dim(2);
    ctx.require(filter.dim(3) == inC, "input has " + inC + " channels, the weights " + filter.dim(3));
    for (int d : shape) ctx.require(d > 0, "output_shape must be positive: " + Arrays.toString(shape));
    ctx.require(shape[0] == in.dim(0), "output_shape " + Arrays.toString(shape) + " has batch " + shape[0] + ", the input " + in.dim(0));
    ctx.require(shape[3] == outC, "output_shape " + Arrays.toString(shape) + " has " + shape[3] + " channels, the weights " + outC);
    if (bias != null) ctx.require(bias.size() == outC, "bias has " + bias.size() + " values for " + outC + " output channels");
    boolean same = o.getEnumName("padding").equals("SAME");
    int sH = o.getInt("stride_h"), sW = o.getInt("stride_w");
    ctx.require(sH > 0 && sW > 0, "strides must be positive: " + o);
    int outH = shape[1], outW = shape[2];
    int padTop = Padding.padBefore(same, outH, kH, sH, 1, Padding.outSize(same, outH, kH, sH, 1));
    int padLeft = Padding.padBefore(same, outW, kW, sW, 1, Padding.outSize(same, outW, kW, sW, 1));
    ctx.setOutputShape(0, shape);
    TransposeConvReference.Geometry g = new TransposeConvReference.Geometry(in.dim(0), in.dim(1), in.dim(2), inC,
        outH, outW, outC, kH, kW, sH, sW, padTop, padLeft);
    if (in.type == TensorType.FLOAT32) {
      ctx.requireType(filter, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      return () -> TransposeConvReference.run(g, in.f32, in.offset, filter.f32, filter.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }
}
