package io.kompakt.ops.shape;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the shape kernels: RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, PACK, UNPACK, CONCATENATION, SPLIT, STRIDED_SLICE, SLICE, TRANSPOSE, GATHER, ARG_MAX, CAST, PAD, PADV2, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, DENSIFY. */
public final class ShapeKernels {
  private ShapeKernels() {}

  public static void register(KernelRegistry r) {
    r.register("RESHAPE", Reshape::prepare);
    r.register("SQUEEZE", Squeeze::prepare);
    r.register("EXPAND_DIMS", ExpandDims::prepare);
    r.register("SHAPE", Shape::prepare);
    r.register("PACK", Pack::prepare);
    r.register("UNPACK", Unpack::prepare);
    r.register("CONCATENATION", Concatenation::prepare);
    r.register("SPLIT", Split::prepare);
    r.register("STRIDED_SLICE", StridedSlice::prepare);
    r.register("SLICE", Slice::prepare);
    r.register("TRANSPOSE", Transpose::prepare);
    r.register("GATHER", Gather::prepare);
    r.register("ARG_MAX", ArgMax::prepare);
    r.register("CAST", Cast::prepare);
    r.register("PAD", Pad::prepare);
    r.register("PADV2", Pad::prepare);
    r.register("SPACE_TO_BATCH_ND", SpaceToBatchNd::prepare);
    r.register("BATCH_TO_SPACE_ND", BatchToSpaceNd::prepare);
    r.register("DENSIFY", Densify::prepare);
  }
}
