package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.ops.common.QuantMath;

/** SUB with broadcasting and a fused activation: float32 and int32; int8, uint8 and int16 in {@link AddSubQuantized}. */
public final class Sub {
  private Sub() {}

  public static Kernel prepare(OpContext ctx) {
    if (ctx.input(0) != null && QuantMath.isQuantizedType(ctx.input(0).type)) return AddSubQuantized.prepare(ctx, "SubOptions", true);
    return BinaryKernel.prepare(ctx, "SubOptions", (a, b) -> a - b, (a, b) -> a - b, false);
  }
}
