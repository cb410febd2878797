package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/** EXPAND_DIMS: inserts a size-1 dimension at the axis given by the second input, in [-rank-1, rank]. */
public final class ExpandDims {
  private ExpandDims() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int rank = in.rank();
    int axis = Shapes.axis(ctx, Shapes.constantInt(ctx, ctx.input(1), "axis"), rank + 1, "axis");
    int[] shape = new int[rank + 1];
    for (int i = 0, k = 0; i <= rank; i++) shape[i] = i == axis ? 1 : in.shape[k++];
    ctx.setOutputShape(0, shape);
    return Reshape.copyAll(in, out);
  }
}
