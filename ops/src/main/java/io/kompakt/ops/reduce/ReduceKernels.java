package io.kompakt.ops.reduce;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the reduce kernels: MEAN, SUM. */
public final class ReduceKernels {
  private ReduceKernels() {}

  public static void register(KernelRegistry r) {
    r.register("MEAN", Reduce::prepareMean);
    r.register("SUM", Reduce::prepareSum);
  }
}
