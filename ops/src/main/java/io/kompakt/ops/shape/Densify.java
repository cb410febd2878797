package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/**
 * DENSIFY: the dense tensor of a sparse constant. As in TFLite the input must be a constant (TFLite's converter
 * emits DENSIFY only after a sparse weight); the interpreter expands sparse constants when it loads them
 * ({@link io.kompakt.engine.model.Densifier}, with TFLite's FormatConverter semantics), so this kernel copies the
 * dense elements to the output, and since its input is constant the interpreter folds it at prepare.
 */
public final class Densify {
  private Densify() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.require(in != null && in.constant, "the input of DENSIFY must be a constant (sparse) tensor");
    Shapes.requireSameType(ctx, in, out);
    ctx.setOutputShape(0, in.shape.clone());
    ctx.require(out.size() == in.size(), "output " + Arrays.toString(out.shape) + " differs from the input " + Arrays.toString(in.shape));
    return Reshape.copyAll(in, out);
  }
}
