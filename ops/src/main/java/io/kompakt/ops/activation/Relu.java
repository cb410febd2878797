package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.ops.common.QuantMath;

/**
 * RELU, RELU6 and RELU_N1_TO_1 in float32, as TFLite's reference: {@code x < lo ? lo : x} (and {@code x > hi ? hi}
 * first for the bounded ones), so NaN passes through. Quantized inputs in {@link ReluQuantized}.
 */
public final class Relu {
  private Relu() {}

  /** RELU: max(x, 0). */
  public static Kernel relu(OpContext ctx) {
    if (quantized(ctx)) return ReluQuantized.prepare(ctx, 0f, Float.POSITIVE_INFINITY, true);
    return FloatElementwise.prepare(ctx, x -> x < 0f ? 0f : x);
  }

  /** RELU6: x clamped to [0, 6]. */
  public static Kernel relu6(OpContext ctx) {
    if (quantized(ctx)) return ReluQuantized.prepare(ctx, 0f, 6f, true);
    return FloatElementwise.prepare(ctx, x -> x > 6f ? 6f : x < 0f ? 0f : x);
  }

  /** RELU_N1_TO_1: x clamped to [-1, 1]. */
  public static Kernel reluN1To1(OpContext ctx) {
    if (quantized(ctx)) return ReluQuantized.prepare(ctx, -1f, 1f, false);
    return FloatElementwise.prepare(ctx, x -> x > 1f ? 1f : x < -1f ? -1f : x);
  }

  static boolean quantized(OpContext ctx) {
    return ctx.input(0) != null && QuantMath.isQuantizedType(ctx.input(0).type);
  }
}
