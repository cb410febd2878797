package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/** The part the one-input float32 activations share: checks, the output shape, and the loop over the elements. */
final class FloatElementwise {
  private FloatElementwise() {}

  /** A function of one float. */
  @FunctionalInterface
  interface FloatFn {
    float apply(float x);
  }

  static Kernel prepare(OpContext ctx, FloatFn f) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (in.type != TensorType.FLOAT32) throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
    ctx.requireType(out, TensorType.FLOAT32);
    ctx.setOutputShape(0, in.shape);
    int n = in.size();
    return () -> {
      float[] x = in.f32, y = out.f32;
      int io = in.offset, oo = out.offset;
      for (int i = 0; i < n; i++) y[oo + i] = f.apply(x[io + i]);
    };
  }
}
