package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/**
 * RESHAPE: the new shape comes from the second input when it is a 1-D int32 tensor (it must then be constant),
 * else from ReshapeOptions.new_shape (where the legacy [0] means a scalar); one -1 dimension is inferred; the
 * element count must not change. The elements are copied as they are.
 */
public final class Reshape {
  private Reshape() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), shapeInput = ctx.input(1), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int[] shape;
    if (shapeInput != null && shapeInput.rank() == 1 && shapeInput.type == TensorType.INT32) {
      shape = Shapes.constantInts(ctx, shapeInput, "shape input");
    } else {
      shape = ctx.options("ReshapeOptions").getInts("new_shape");
      if (shape.length == 1 && shape[0] == 0) shape = new int[0];
    }
    ctx.setOutputShape(0, inferShape(ctx, in.shape, shape));
    return copyAll(in, out);
  }

  /** {@code shape} with its -1 dimension (if any) inferred from the input's element count, as TFLite does. */
  static int[] inferShape(OpContext ctx, int[] inShape, int[] shape) {
    int[] r = shape.clone();
    long inCount = 1, inNonZero = 1;
    for (int d : inShape) {
      inCount *= d;
      if (d != 0) inNonZero *= d;
    }
    long outCount = 1, outNonZero = 1;
    int stretch = -1;
    for (int i = 0; i < r.length; i++) {
      if (r[i] == -1) {
        ctx.require(stretch == -1, "new shape " + Arrays.toString(shape) + " has more than one -1");
        stretch = i;
        continue;
      }
      ctx.require(r[i] >= 0, "new shape " + Arrays.toString(shape) + " has a negative dimension");
      outCount *= r[i];
      if (r[i] != 0) outNonZero *= r[i];
    }
    if (stretch >= 0) {
      r[stretch] = inCount == 0 && outCount != 0 ? 0 : (int) (inNonZero / outNonZero);
      outCount *= r[stretch];
    }
    ctx.require(inCount == outCount, "cannot reshape " + Arrays.toString(inShape) + " (" + inCount + " elements) to "
        + Arrays.toString(shape) + " (" + outCount + " elements)");
    return r;
  }

  /** The kernel of every op that keeps the elements and changes only the shape. */
  static Kernel copyAll(RuntimeTensor in, RuntimeTensor out) {
    int n = in.size();
    return () -> Elements.copy(in, 0, out, 0, n);
  }
}
