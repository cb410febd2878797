package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/** SQUEEZE: removes the size-1 dimensions listed in squeeze_dims (negative counts from the end), or all of them. */
public final class Squeeze {
  private Squeeze() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int[] dims = ctx.options("SqueezeOptions").getInts("squeeze_dims");
    int rank = in.rank();
    boolean[] drop = new boolean[rank];
    if (dims.length == 0) {
      for (int i = 0; i < rank; i++) drop[i] = in.shape[i] == 1;
    } else {
      for (int d : dims) {
        int a = Shapes.axis(ctx, d, rank, "squeeze dimension");
        ctx.require(in.shape[a] == 1, "cannot squeeze dimension " + d + " of " + Arrays.toString(in.shape) + ": its size is not 1");
        drop[a] = true;
      }
    }
    int[] shape = new int[rank];
    int n = 0;
    for (int i = 0; i < rank; i++) if (!drop[i]) shape[n++] = in.shape[i];
    ctx.setOutputShape(0, Arrays.copyOf(shape, n));
    return Reshape.copyAll(in, out);
  }
}
