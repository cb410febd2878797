package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * ARG_MAX: the index of the largest value along the axis (a constant input; negative counts from the end), the
 * first one on ties, as int32 or int64 (the output's type; ArgMaxOptions.output_type must agree when given).
 */
public final class ArgMax {
  private ArgMax() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(in, TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32,
        TensorType.INT64, TensorType.BOOL);
    ctx.requireType(out, TensorType.INT32, TensorType.INT64);
    FlatTable o = ctx.options("ArgMaxOptions");
    if (o.has("output_type")) {
      String t = o.getEnumName("output_type");
      ctx.require(t.equals(out.type.name()), "ArgMaxOptions.output_type " + t + " differs from the output's type " + out.type.lowerName());
    }
    int rank = in.rank();
    ctx.require(rank >= 1, "cannot take the arg max of a scalar");
    int axis = Shapes.axis(ctx, Shapes.constantInt(ctx, ctx.input(1), "axis"), rank, "axis");
    int n = in.shape[axis];
    ctx.require(n > 0, "axis " + axis + " of " + in + " is empty");
    int[] shape = new int[rank - 1];
    for (int i = 0, k = 0; i < rank; i++) if (i != axis) shape[k++] = in.shape[i];
    ctx.setOutputShape(0, shape);
    int outer = Shapes.product(in.shape, 0, axis), inner = Shapes.product(in.shape, axis + 1, rank);
    boolean floats = in.type == TensorType.FLOAT32;
    return () -> {
      for (int o1 = 0; o1 < outer; o1++) {
        for (int i = 0; i < inner; i++) {
          int base = o1 * n * inner + i, best = 0;
          if (floats) {
            float[] x = in.f32;
            float max = x[in.offset + base];
            for (int k = 1; k < n; k++) {
              float v = x[in.offset + base + k * inner];
              if (v > max) { max = v; best = k; }
            }
          } else {
            long max = in.getLong(base);
            for (int k = 1; k < n; k++) {
              long v = in.getLong(base + k * inner);
              if (v > max) { max = v; best = k; }
            }
          }
          Elements.setLong(out, o1 * inner + i, best);
        }
      }
    };
  }
}
