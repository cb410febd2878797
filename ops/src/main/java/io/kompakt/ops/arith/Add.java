package io.kompakt.ops.arith;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Broadcast;

/** ADD with broadcasting and a fused activation. */
public final class Add {
  private Add() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
    int[] shape = Broadcast.shape(ctx, a.shape, b.shape);
    ctx.setOutputShape(0, shape);
    if (a.type == TensorType.FLOAT32) {
      ctx.requireType(b, TensorType.FLOAT32);
      ctx.requireType(out, TensorType.FLOAT32);
      float[] r = Activation.floatRange(ctx, ctx.options("AddOptions").getEnumName("fused_activation_function"));
      int[] ia = Broadcast.indexMap(a.shape, shape), ib = Broadcast.indexMap(b.shape, shape);
      float min = r[0], max = r[1];
      return () -> {
        float[] x = a.f32, y = b.f32, z = out.f32;
        int ao = a.offset, bo = b.offset, oo = out.offset;
        for (int i = 0; i < ia.length; i++) z[oo + i] = Activation.clamp(x[ao + ia[i]] + y[bo + ib[i]], min, max);
      };
    }
    throw ctx.unsupported("input type " + a.type.lowerName() + " is not supported yet");
  }
}
