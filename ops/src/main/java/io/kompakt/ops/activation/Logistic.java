package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/**
 * LOGISTIC (sigmoid) in float32, as TFLite's reference: 1 / (1 + exp(-x)) with x clamped to [-100, 100] (NaN kept);
 * int8, uint8 and int16 in {@link LogisticTanhQuantized}.
 */
public final class Logistic {
  private Logistic() {}

  public static Kernel prepare(OpContext ctx) {
    if (Relu.quantized(ctx)) return LogisticTanhQuantized.prepare(ctx, false);
    return FloatElementwise.prepare(ctx, Logistic::logistic);
  }

  static float logistic(float x) {
    float c = Float.isNaN(x) ? x : Math.max(-100f, Math.min(100f, x));
    return 1f / (1f + (float) Math.exp(-c));
  }
}
