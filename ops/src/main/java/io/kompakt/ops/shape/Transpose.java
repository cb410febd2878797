package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/** TRANSPOSE: output dimension i is input dimension perm[i] (perm a constant permutation of 0..rank-1). */
public final class Transpose {
  private Transpose() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int[] perm = Shapes.constantInts(ctx, ctx.input(1), "perm");
    int rank = in.rank();
    ctx.require(perm.length == rank, "perm " + Arrays.toString(perm) + " needs one value per dimension of " + in);
    boolean[] seen = new boolean[rank];
    for (int p : perm) {
      ctx.require(p >= 0 && p < rank && !seen[p], "perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (rank - 1));
      seen[p] = true;
    }
    int[] inStrides = Shapes.strides(in.shape);
    int[] shape = new int[rank], srcStrides = new int[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = in.shape[perm[i]];
      srcStrides[i] = inStrides[perm[i]];
    }
    ctx.setOutputShape(0, shape);
    int[] outStrides = Shapes.strides(shape);
    return () -> Elements.copyStrided(in, 0, srcStrides, out, 0, outStrides, shape);
  }
}
