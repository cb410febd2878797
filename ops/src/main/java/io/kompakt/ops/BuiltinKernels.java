package io.kompakt.ops;

import io.kompakt.engine.run.KernelProvider;
import io.kompakt.engine.run.KernelRegistry;

/** Registers every kernel of this module (found by the engine through ServiceLoader). */
public final class BuiltinKernels implements KernelProvider {
  @Override
  public void register(KernelRegistry r) {
    r.register("CONV_2D", io.kompakt.ops.conv.Conv2D::prepare);
    r.register("ADD", io.kompakt.ops.arith.Add::prepare);
  }
}
