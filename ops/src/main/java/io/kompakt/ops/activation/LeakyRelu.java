package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.ops.common.QuantMath;

/**
 * LEAKY_RELU in float32: x if x > 0, else alpha * x (LeakyReluOptions.alpha, which may be any value); int8, uint8
 * and int16 in {@link LeakyReluQuantized}.
 */
public final class LeakyRelu {
  private LeakyRelu() {}

  public static Kernel prepare(OpContext ctx) {
    float alpha = (float) ctx.options("LeakyReluOptions").getDouble("alpha");
    if (ctx.input(0) != null && QuantMath.isQuantizedType(ctx.input(0).type)) return LeakyReluQuantized.prepare(ctx, alpha);
    return FloatElementwise.prepare(ctx, x -> x > 0f ? x : x * alpha);
  }
}
