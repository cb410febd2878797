package io.kompakt.ops;

import io.kompakt.engine.run.KernelProvider;
import io.kompakt.engine.run.KernelRegistry;

/** Registers every kernel of this module (found by the engine through ServiceLoader), family by family. */
public final class BuiltinKernels implements KernelProvider {
  @Override
  public void register(KernelRegistry r) {
    io.kompakt.ops.conv.ConvKernels.register(r);
    io.kompakt.ops.dense.DenseKernels.register(r);
    io.kompakt.ops.pool.PoolKernels.register(r);
    io.kompakt.ops.reduce.ReduceKernels.register(r);
    io.kompakt.ops.resize.ResizeKernels.register(r);
    io.kompakt.ops.arith.ArithKernels.register(r);
    io.kompakt.ops.activation.ActivationKernels.register(r);
    io.kompakt.ops.shape.ShapeKernels.register(r);
    io.kompakt.ops.quant.QuantKernels.register(r);
    io.kompakt.ops.detection.DetectionKernels.register(r);
  }

  /** Whether the fast kernels use the Vector API or scalar Java here. */
  @Override
  public String describe() {
    return "fast kernels: " + io.kompakt.ops.common.VectorSupport.describe() + "; "
        + io.kompakt.ops.common.IntAsFloat.describeRequantization() + io.kompakt.ops.arith.ArithKernels.describe();
  }
}
