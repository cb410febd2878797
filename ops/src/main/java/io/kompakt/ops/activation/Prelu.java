package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Broadcast;

/** PRELU in float32: x if x >= 0, else x * alpha, with the alpha input broadcast against the input. */
public final class Prelu {
  private Prelu() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), alpha = ctx.input(1), out = ctx.output(0);
    if (in.type != TensorType.FLOAT32) throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
    ctx.requireType(alpha, TensorType.FLOAT32);
    ctx.requireType(out, TensorType.FLOAT32);
    int[] shape = Broadcast.shape(ctx, in.shape, alpha.shape);
    ctx.setOutputShape(0, shape);
    int[] ix = Broadcast.indexMap(in.shape, shape), ia = Broadcast.indexMap(alpha.shape, shape);
    return () -> {
      float[] x = in.f32, a = alpha.f32, y = out.f32;
      int xo = in.offset, ao = alpha.offset, oo = out.offset;
      for (int i = 0; i < ix.length; i++) {
        float v = x[xo + ix[i]];
        y[oo + i] = v >= 0f ? v : v * a[ao + ia[i]];
      }
    };
  }
}
