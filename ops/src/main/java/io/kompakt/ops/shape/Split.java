package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/** SPLIT: input 0 is the axis (constant), input 1 the data, cut into num_splits equal parts along the axis. */
public final class Split {
  private Split() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, ctx.outputCount());
    RuntimeTensor in = ctx.input(1);
    int n = ctx.options("SplitOptions").getInt("num_splits");
    ctx.require(n > 0 && ctx.outputCount() == n, "num_splits " + n + " differs from the " + ctx.outputCount() + " outputs");
    int axis = Shapes.axis(ctx, Shapes.constantInt(ctx, ctx.input(0), "axis"), in.rank(), "axis");
    ctx.require(in.shape[axis] % n == 0, "dimension " + axis + " of " + Arrays.toString(in.shape) + " does not split evenly in " + n);
    int[] shape = in.shape.clone();
    shape[axis] /= n;
    RuntimeTensor[] outs = new RuntimeTensor[n];
    for (int i = 0; i < n; i++) {
      outs[i] = ctx.output(i);
      Shapes.requireSameType(ctx, in, outs[i]);
      ctx.setOutputShape(i, shape);
    }
    return split(in, axis, outs);
  }

  /**
   * Cuts the input along {@code axis}: for each index over the dimensions before the axis, each output's block
   * in turn (the inverse of {@link Concatenation#concat}). Also UNPACK's kernel.
   */
  static Kernel split(RuntimeTensor in, int axis, RuntimeTensor[] outs) {
    int outer = Shapes.product(in.shape, 0, axis);
    int[] block = new int[outs.length];
    for (int i = 0; i < outs.length; i++) block[i] = Shapes.size(outs[i].shape) / Math.max(outer, 1);
    return () -> {
      int pos = 0;
      for (int o = 0; o < outer; o++) {
        for (int i = 0; i < outs.length; i++) {
          Elements.copy(in, pos, outs[i], o * block[i], block[i]);
          pos += block[i];
        }
      }
    };
  }
}
