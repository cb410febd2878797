package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;

/**
 * FLOOR_MOD with broadcasting: the remainder of floor division, taking the divisor's sign (Python's {@code %}):
 * the truncated remainder (C's fmod / %), plus the divisor when their signs differ. float32 and int32 (a zero
 * int divisor fails the run).
 */
public final class FloorMod {
  private FloorMod() {}

  public static Kernel prepare(OpContext ctx) {
    return BinaryKernel.prepare(ctx, null, FloorMod::mod, FloorMod::mod, true);
  }

  static float mod(float a, float b) {
    float r = a % b;
    return r != 0 && (b < 0) != (r < 0) ? r + b : r;
  }

  static int mod(int a, int b) {
    int r = a % b;
    return r != 0 && (b < 0) != (r < 0) ? r + b : r;
  }
}
