package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** TANH in float32. */
public final class Tanh {
  private Tanh() {}

  public static Kernel prepare(OpContext ctx) {
    return FloatElementwise.prepare(ctx, x -> (float) Math.tanh(x));
  }
}
