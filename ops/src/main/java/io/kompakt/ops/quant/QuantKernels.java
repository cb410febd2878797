package io.kompakt.ops.quant;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the quant kernels: QUANTIZE, DEQUANTIZE. */
public final class QuantKernels {
  private QuantKernels() {}

  public static void register(KernelRegistry r) {
    r.register("QUANTIZE", Quantize::prepare);
    r.register("DEQUANTIZE", Dequantize::prepare);
  }
}
