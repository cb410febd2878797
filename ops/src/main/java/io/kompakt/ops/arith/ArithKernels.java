package io.kompakt.ops.arith;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the arith kernels: ADD, SUB, MUL, DIV, FLOOR_MOD, FLOOR_DIV. */
public final class ArithKernels {
  private ArithKernels() {}

  public static void register(KernelRegistry r) {
    r.register("ADD", Add::prepare);
    r.register("SUB", Sub::prepare);
    r.register("MUL", Mul::prepare);
    r.register("DIV", Div::prepare);
    r.register("FLOOR_DIV", FloorDiv::prepare);
    r.register("FLOOR_MOD", FloorMod::prepare);
  }

  /** The allocation guard of the 8-bit ADD / SUB table path's vector indices (for reports and tests). */
  public static io.kompakt.ops.common.AllocationGuard tableIndexGuard() { return AddSubQuantized.Tables.GUARD; }

  /** For reports: "" while the 8-bit ADD / SUB table path may use the Vector API, else why it does not. */
  public static String describe() {
    return tableIndexGuard().switchedOff()
        ? "; 8-bit ADD/SUB indices scalar (the JIT boxed the vector form" + io.kompakt.ops.common.AllocationGuard.jvmAdvice() + ")"
        : "";
  }
}
