package io.kompakt.ops.common;

import io.kompakt.engine.run.OpContext;

/** Fused activation functions of TFLite ops, as float clamp ranges. */
public final class Activation {
  private Activation() {}

  /**
   * {@code {min, max}} of a fused activation by its schema name; refuses what is not a clamp. Unbounded sides are
   * the largest finite floats, as TFLite's CalculateActivationRange gives them (so an overflow clamps to them).
   */
  public static float[] floatRange(OpContext ctx, String name) {
    switch (name) {
      case "NONE": return new float[] {-Float.MAX_VALUE, Float.MAX_VALUE};
      case "RELU": return new float[] {0f, Float.MAX_VALUE};
      case "RELU_N1_TO_1": return new float[] {-1f, 1f};
      case "RELU6": return new float[] {0f, 6f};
      default: throw ctx.unsupported("fused activation " + name + " is not supported");
    }
  }

  /** Clamps {@code v} to [min, max]. */
  public static float clamp(float v, float min, float max) {
    return Math.min(Math.max(v, min), max);
  }
}
