package io.kompakt.ops.pool;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the pool kernels: AVERAGE_POOL_2D, MAX_POOL_2D. */
public final class PoolKernels {
  private PoolKernels() {}

  public static void register(KernelRegistry r) {
    r.register("AVERAGE_POOL_2D", Pool2D::prepareAverage);
    r.register("MAX_POOL_2D", Pool2D::prepareMax);
  }
}
