package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/**
 * PAD and PADV2: paddings (constant int32/int64 [rank, 2], before and after each dimension, non-negative) filled
 * with PADV2's constant value input, else with 0, or the output's zero point for quantized int8, uint8 and int16
 * (the quantized zero).
 */
public final class Pad {
  private Pad() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    ctx.require(ctx.inputCount() <= 3, "needs 2 or 3 inputs, has " + ctx.inputCount());
    RuntimeTensor in = ctx.input(0), paddings = ctx.input(1), value = ctx.input(2), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int rank = in.rank();
    int[] p = Shapes.constantInts(ctx, paddings, "paddings");
    ctx.require(paddings.rank() == 2 && paddings.dim(0) == rank && paddings.dim(1) == 2,
        "paddings " + paddings + " must have shape [" + rank + ", 2]");
    int[] shape = new int[rank], before = new int[rank];
    for (int i = 0; i < rank; i++) {
      ctx.require(p[2 * i] >= 0 && p[2 * i + 1] >= 0, "paddings must not be negative: " + Arrays.toString(p));
      before[i] = p[2 * i];
      shape[i] = in.shape[i] + p[2 * i] + p[2 * i + 1];
    }
    ctx.setOutputShape(0, shape);
    boolean quantized = in.type == TensorType.INT8 || in.type == TensorType.UINT8 || in.type == TensorType.INT16;
    if (value != null) {
      ctx.require(value.type == in.type, "constant value " + value + " must have the input's type " + in.type.lowerName());
      ctx.require(value.size() == 1, "constant value " + value + " must hold one value");
      if (quantized && in.quantization.isQuantized()) {
        ctx.require(value.scale() == out.scale() && value.zeroPoint() == out.zeroPoint(),
            "constant value " + value + " must be quantized as the output " + out);
      }
    }
    long zero = quantized ? out.zeroPoint() : 0;
    int[] outStrides = Shapes.strides(shape), inStrides = Shapes.strides(in.shape);
    int start = 0;
    for (int i = 0; i < rank; i++) start += before[i] * outStrides[i];
    int n = Shapes.size(shape), at = start;
    return () -> {
      if (value != null) Elements.fill(out, 0, n, value, 0); else Elements.fill(out, 0, n, zero);
      Elements.copyStrided(in, 0, inStrides, out, at, outStrides, in.shape);
    };
  }
}
