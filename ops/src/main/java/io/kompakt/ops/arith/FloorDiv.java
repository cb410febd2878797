package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/**
 * FLOOR_DIV with broadcasting: floor(a / b) computed in double, as TFLite (Python's {@code //}); float32 and
 * int32 (a zero int divisor fails the run).
 */
public final class FloorDiv {
  private FloorDiv() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, null, (a, b) -> (float) Math.floor((double) a / b), (a, b) -> (int) Math.floor((double) a / b), true);
  }
}
