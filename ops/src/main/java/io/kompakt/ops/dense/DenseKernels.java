package io.kompakt.ops.dense;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the dense kernels: FULLY_CONNECTED. */
public final class DenseKernels {
  private DenseKernels() {}

  public static void register(KernelRegistry r) {
    r.register("FULLY_CONNECTED", FullyConnected::prepare);
  }
}
