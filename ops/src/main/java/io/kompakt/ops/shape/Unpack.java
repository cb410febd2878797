package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/** UNPACK: one output per index along the axis (negative counts from the end), each without that axis. */
public final class Unpack {
  private Unpack() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, ctx.outputCount());
    RuntimeTensor in = ctx.input(0);
    FlatTable o = ctx.options("UnpackOptions");
    int rank = in.rank();
    ctx.require(rank >= 1, "cannot unpack a scalar");
    int axis = Shapes.axis(ctx, o.getInt("axis"), rank, "axis");
    int n = in.shape[axis];
    ctx.require(ctx.outputCount() == n, "dimension " + axis + " of " + in + " has size " + n + ", but there are "
        + ctx.outputCount() + " outputs");
    ctx.require(o.getInt("num") == 0 || o.getInt("num") == n, "num " + o.getInt("num") + " differs from dimension " + axis + " (" + n + ")");
    int[] shape = new int[rank - 1];
    for (int i = 0, k = 0; i < rank; i++) if (i != axis) shape[k++] = in.shape[i];
    RuntimeTensor[] outs = new RuntimeTensor[n];
    for (int i = 0; i < n; i++) {
      outs[i] = ctx.output(i);
      Shapes.requireSameType(ctx, in, outs[i]);
      ctx.setOutputShape(i, shape);
    }
    return Split.split(in, axis, outs);
  }
}
