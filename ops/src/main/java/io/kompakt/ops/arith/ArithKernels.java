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
}
