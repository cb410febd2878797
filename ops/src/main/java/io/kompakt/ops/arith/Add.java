package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/** ADD with broadcasting and a fused activation: float32 and int32. */
public final class Add {
  private Add() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, "AddOptions", (a, b) -> a + b, (a, b) -> a + b, false);
  }
}
