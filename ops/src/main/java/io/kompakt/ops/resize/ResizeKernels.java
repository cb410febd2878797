package io.kompakt.ops.resize;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the resize kernels: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR. */
public final class ResizeKernels {
  private ResizeKernels() {}

  public static void register(KernelRegistry r) {
    r.register("RESIZE_BILINEAR", ResizeBilinear::prepare);
    r.register("RESIZE_NEAREST_NEIGHBOR", ResizeNearestNeighbor::prepare);
  }
}
