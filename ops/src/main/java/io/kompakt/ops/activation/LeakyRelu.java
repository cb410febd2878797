package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** LEAKY_RELU in float32: x if x > 0, else alpha * x (LeakyReluOptions.alpha, which may be any value). */
public final class LeakyRelu {
  private LeakyRelu() {}

  public static Kernel prepare(OpContext ctx) {
    float alpha = (float) ctx.options("LeakyReluOptions").getDouble("alpha");
    return FloatElementwise.prepare(ctx, x -> x > 0f ? x : x * alpha);
  }
}
