package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** SUB with broadcasting and a fused activation: float32 and int32. */
public final class Sub {
  private Sub() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, "SubOptions", (a, b) -> a - b, (a, b) -> a - b, false);
  }
}
