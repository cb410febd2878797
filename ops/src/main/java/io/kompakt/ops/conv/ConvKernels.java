package io.kompakt.ops.conv;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the conv kernels: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV. */
public final class ConvKernels {
  private ConvKernels() {}

  public static void register(KernelRegistry r) {
    r.register("CONV_2D", Conv2D::prepare);
    r.register("DEPTHWISE_CONV_2D", DepthwiseConv2D::prepare);
    r.register("TRANSPOSE_CONV", TransposeConv::prepare);
  }
}
