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
 * TRANSPOSE_CONV: inputs output_shape (int32 [4]), weights [outC, kH, kW, inC], input (NHWC) and an optional bias
 * [outC]. The padding is that of the forward convolution from the output to the input, as TFLite computes it
 * (ComputePaddingHeightWidth on the output's size, dilation 1).
 *
 * <p>output_shape is normally a constant. When it is computed at run time (as in TFLite-Micro's seanet models), the
 * output takes the shape the model declares for it, and every run checks that output_shape holds exactly that
 * (an {@link IllegalArgumentException} naming the op otherwise): Kompakt plans memory once, at prepare.
 *
 * <p>Types: float32; int8 (per-channel or per-tensor int8 weights, int32 bias); uint8 (per-tensor, legacy); int16
 * activations with int8 weights (16x8: int64 bias accumulates in 64 bits, int32 bias in 32; without a bias the
 * option quantized_bias_type decides, int64 unless it says INT32, as TFLite's scratch buffer type).
 */
public final class TransposeConv {
  private TransposeConv() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 1);
    RuntimeTensor shapeT = ctx.input(0), filter = ctx.input(1), in = ctx.input(2), bias = ctx.input(3), out = ctx.output(0);
    FlatTable o = ctx.options("TransposeConvOptions");
    ctx.requireType(shapeT, TensorType.INT32);
    ctx.require(shapeT.rank() == 1 && shapeT.size() == 4, "output_shape must be an int32 vector of 4 values, is " + shapeT);
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    ctx.require(filter.rank() == 4, "weights must be 4-D (OHWI), is " + filter);
    int[] shape;
    boolean dynamic = !shapeT.constant;
    if (dynamic) {
      ctx.require(out.rank() == 4, "output_shape " + shapeT + " is not a constant, and the model declares no 4-D shape for the output "
          + out + " (a runtime output_shape must equal the declared one)");
      shape = out.shape.clone();
    } else {
      shape = shapeT.toIntArray();
    }
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
    Kernel k = kernel(ctx, o, g, filter, in, bias, out, outC);
    if (!dynamic) return k;
    String where = ctx.where();
    return () -> {
      checkRuntimeShape(where, shapeT, shape);
      k.run();
    };
  }

  /** Throws unless the runtime output_shape tensor holds {@code shape} (allocates only to report a mismatch). */
  static void checkRuntimeShape(String where, RuntimeTensor shapeT, int[] shape) {
    int[] v = shapeT.i32;
    int o = shapeT.offset;
    if (v[o] != shape[0] || v[o + 1] != shape[1] || v[o + 2] != shape[2] || v[o + 3] != shape[3]) {
      throw new IllegalArgumentException(where + ": output_shape input " + Arrays.toString(Arrays.copyOfRange(v, o, o + 4))
          + " differs from the output shape " + Arrays.toString(shape) + " that the model declares; a runtime output_shape"
          + " must equal it");
    }
  }

  private static Kernel kernel(OpContext ctx, FlatTable o, TransposeConvReference.Geometry g, RuntimeTensor filter,
                               RuntimeTensor in, RuntimeTensor bias, RuntimeTensor out, int outC) {
    String activation = o.getEnumName("fused_activation_function");
    int elements = g.batch() * g.outH() * g.outW() * g.outC();
    if (in.type == TensorType.FLOAT32) {
      ctx.require(filter.type != TensorType.INT8 && filter.type != TensorType.UINT8, "hybrid (dynamic-range) quantization, float input "
          + "with " + filter.type.lowerName() + " weights " + filter + ", is not supported yet");
      ctx.requireType(filter, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, activation);
      return () -> TransposeConvReference.run(g, in.f32, in.offset, filter.f32, filter.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    if (in.type == TensorType.INT8) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 0, activation);
      int inZp = in.zeroPoint(), outZp = out.zeroPoint();
      int[] scratch = new int[elements];
      return () -> TransposeConvInt8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp,
          q.multiplier(), q.shift(), q.actMin(), q.actMax(), scratch);
    }
    if (in.type == TensorType.UINT8) {
      ctx.requireType(filter, TensorType.UINT8);
      ctx.requireType(out, TensorType.UINT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perTensor(ctx, in, filter, out, outC, activation);
      int inZp = in.zeroPoint(), filterZp = filter.zeroPoint(), outZp = out.zeroPoint();
      int m = q.multiplier()[0], s = q.shift()[0];
      int[] scratch = new int[elements];
      return () -> TransposeConvUint8Reference.run(g, in.i8, in.offset, inZp, filter.i8, filter.offset, filterZp,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp, m, s,
          q.actMin(), q.actMax(), scratch);
    }
    if (in.type == TensorType.INT16) {
      ctx.requireType(filter, TensorType.INT8);
      ctx.requireType(out, TensorType.INT16);
      ConvQuantParams.Requant q = ConvQuantParams.perChannel(ctx, in, filter, out, outC, 0, activation);
      ConvQuantParams.requireInt16ZeroPoints(ctx, in, out);
      boolean int32Option = o.getEnumName("quantized_bias_type").equals("INT32");
      if (ConvQuantParams.wideAccumulator(ctx, bias, !int32Option)) {
        ConvQuantParams.requireWideShifts(ctx, q);
        long[] scratch = new long[elements];
        return () -> TransposeConvInt16Reference.run64(g, in.i16, in.offset, filter.i8, filter.offset,
            bias == null ? null : bias.i64, bias == null ? 0 : bias.offset, out.i16, out.offset,
            q.multiplier(), q.shift(), q.actMin(), q.actMax(), scratch);
      }
      int[] scratch = new int[elements];
      return () -> TransposeConvInt16Reference.run32(g, in.i16, in.offset, filter.i8, filter.offset,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i16, out.offset,
          q.multiplier(), q.shift(), q.actMin(), q.actMax(), scratch);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported");
  }
}
