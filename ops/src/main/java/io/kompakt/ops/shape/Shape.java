package io.kompakt.ops.shape;

import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * SHAPE: the input's shape as a 1-D int32 or int64 tensor (the output's type, which ShapeOptions.out_type must
 * agree with when given). The interpreter always computes it at prepare: it depends on no values.
 */
public final class Shape {
  private Shape() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(out, TensorType.INT32, TensorType.INT64);
    FlatTable o = ctx.options("ShapeOptions");
    if (o.has("out_type")) {
      String t = o.getEnumName("out_type");
      ctx.require(t.equals(out.type.name()), "ShapeOptions.out_type " + t + " differs from the output's type " + out.type.lowerName());
    }
    int[] shape = in.shape.clone();
    ctx.setOutputShape(0, shape.length);
    return () -> {
      for (int i = 0; i < shape.length; i++) Elements.setLong(out, i, shape[i]);
    };
  }
}
