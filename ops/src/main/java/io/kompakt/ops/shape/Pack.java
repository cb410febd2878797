package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/** PACK: values_count tensors of one shape stacked along a new axis (in [-rank-1, rank]). */
public final class Pack {
  private Pack() {}

  public static Kernel prepare(OpContext ctx) {
    int n = ctx.inputCount();
    ctx.require(n >= 1, "needs at least one input");
    ctx.requireArity(n, 1);
    FlatTable o = ctx.options("PackOptions");
    ctx.require(o.getInt("values_count") == n, "values_count " + o.getInt("values_count") + " differs from the " + n + " inputs");
    RuntimeTensor first = ctx.input(0), out = ctx.output(0);
    int rank = first.rank();
    int axis = Shapes.axis(ctx, o.getInt("axis"), rank + 1, "axis");
    RuntimeTensor[] ins = new RuntimeTensor[n];
    for (int i = 0; i < n; i++) {
      ins[i] = ctx.input(i);
      Shapes.requireSameType(ctx, ins[i], out);
      Shapes.requireSameQuantization(ctx, ins[i], out);
      ctx.require(Arrays.equals(ins[i].shape, first.shape), "input " + ins[i] + " differs in shape from input 0 " + first);
    }
    int[] shape = new int[rank + 1];
    for (int i = 0, k = 0; i <= rank; i++) shape[i] = i == axis ? n : first.shape[k++];
    ctx.setOutputShape(0, shape);
    return Concatenation.concat(ins, axis, out);
  }
}
