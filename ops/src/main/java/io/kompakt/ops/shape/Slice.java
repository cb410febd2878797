package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/** SLICE: a box starting at begin (constant, one value per dimension) of the given size, -1 meaning "to the end". */
public final class Slice {
  private Slice() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int[] begin = Shapes.constantInts(ctx, ctx.input(1), "begin");
    int[] size = Shapes.constantInts(ctx, ctx.input(2), "size");
    int rank = in.rank();
    ctx.require(begin.length == rank && size.length == rank,
        "begin " + Arrays.toString(begin) + " and size " + Arrays.toString(size) + " need one value per dimension of " + in);
    int[] shape = new int[rank];
    int start = 0;
    int[] inStrides = Shapes.strides(in.shape);
    for (int i = 0; i < rank; i++) {
      int dim = in.shape[i];
      ctx.require(begin[i] >= 0 && begin[i] <= dim, "begin " + begin[i] + " is outside dimension " + i + " (size " + dim + ")");
      shape[i] = size[i] == -1 ? dim - begin[i] : size[i];
      ctx.require(shape[i] >= 0 && begin[i] + shape[i] <= dim,
          "size " + size[i] + " from " + begin[i] + " does not fit dimension " + i + " (size " + dim + ")");
      start += begin[i] * inStrides[i];
    }
    ctx.setOutputShape(0, shape);
    int[] outStrides = Shapes.strides(shape);
    int from = start;
    return () -> Elements.copyStrided(in, from, inStrides, out, 0, outStrides, shape);
  }
}
