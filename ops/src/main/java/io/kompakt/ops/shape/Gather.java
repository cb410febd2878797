package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * GATHER: picks slices of the input along an axis by int16/int32/int64 indices (which may be runtime values).
 * Output shape: input[:axis] + indices[batch_dims:] + input[axis+1:]; with batch_dims > 0 the first batch_dims
 * dimensions of input and indices are matched. An index outside [0, dim) throws an IllegalArgumentException
 * naming the op and the index, as TFLite fails the run.
 */
public final class Gather {
  private Gather() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), indices = ctx.input(1), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    ctx.requireType(indices, TensorType.INT32, TensorType.INT64, TensorType.INT16);
    FlatTable o = ctx.options("GatherOptions");
    int rank = in.rank(), iRank = indices.rank();
    ctx.require(rank >= 1, "cannot gather from a scalar");
    int axis = Shapes.axis(ctx, o.getInt("axis"), rank, "axis");
    int batchDims = o.getInt("batch_dims");
    if (batchDims < 0) batchDims += iRank;
    ctx.require(batchDims >= 0 && batchDims <= axis && batchDims <= iRank,
        "batch_dims " + o.getInt("batch_dims") + " must be in [0, min(axis " + axis + ", indices rank " + iRank + ")]");
    for (int i = 0; i < batchDims; i++) {
      ctx.require(in.shape[i] == indices.shape[i], "batch dimension " + i + " differs: " + in + " and " + indices);
    }
    int[] shape = new int[rank + iRank - 1 - batchDims];
    int k = 0;
    for (int i = 0; i < axis; i++) shape[k++] = in.shape[i];
    for (int i = batchDims; i < iRank; i++) shape[k++] = indices.shape[i];
    for (int i = axis + 1; i < rank; i++) shape[k++] = in.shape[i];
    ctx.setOutputShape(0, shape);
    int batches = Shapes.product(in.shape, 0, batchDims), outer = Shapes.product(in.shape, batchDims, axis);
    int coords = Shapes.product(indices.shape, batchDims, iRank), inner = Shapes.product(in.shape, axis + 1, rank);
    int dim = in.shape[axis];
    String where = ctx.where();
    return () -> {
      for (int b = 0; b < batches; b++) {
        for (int r = 0; r < outer; r++) {
          int row = b * outer + r;
          for (int c = 0; c < coords; c++) {
            long index = indices.getLong(b * coords + c);
            if (index < 0 || index >= dim) {
              throw new IllegalArgumentException(where + ": index " + index + " (indices element " + (b * coords + c)
                  + ") is out of range [0, " + dim + ")");
            }
            Elements.copy(in, (int) ((row * (long) dim + index) * inner), out, (row * coords + c) * inner, inner);
          }
        }
      }
    };
  }
}
