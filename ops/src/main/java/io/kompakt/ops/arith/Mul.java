package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** MUL with broadcasting and a fused activation: float32 and int32. */
public final class Mul {
  private Mul() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, "MulOptions", (a, b) -> a * b, (a, b) -> a * b, false);
  }
}
