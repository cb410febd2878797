package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/**
 * HARD_SWISH in float32, as TFLite's reference: x * min(6, max(0, x + 3)) / 6, evaluated left to right; int8 and
 * uint8 in {@link HardSwishQuantized}.
 */
public final class HardSwish {
  private HardSwish() {}

  public static Kernel prepare(OpContext ctx) {
    if (Relu.quantized(ctx)) return HardSwishQuantized.prepare(ctx);
    return FloatElementwise.prepare(ctx, HardSwish::hardSwish);
  }

  static float hardSwish(float x) {
    float r = x + 3f;
    r = 0f < r ? r : 0f; // std::max(0, r)
    r = r < 6f ? r : 6f; // std::min(6, r)
    return x * r / 6f;
  }
}
