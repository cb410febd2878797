package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** TANH in float32; int8, uint8 and int16 in {@link LogisticTanhQuantized}. */
public final class Tanh {
  private Tanh() {}

  public static Kernel prepare(OpContext ctx) {
    if (Relu.quantized(ctx)) return LogisticTanhQuantized.prepare(ctx, true);
    return FloatElementwise.prepare(ctx, x -> (float) Math.tanh(x));
  }
}
