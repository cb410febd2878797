package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/**
 * DIV with broadcasting and a fused activation: float32 (x / 0 is an infinity, then clamped) and int32
 * (truncating toward zero, as C++; a zero divisor fails the run, as TFLite).
 */
public final class Div {
  private Div() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, "DivOptions", (a, b) -> a / b, (a, b) -> a / b, true);
  }
}
