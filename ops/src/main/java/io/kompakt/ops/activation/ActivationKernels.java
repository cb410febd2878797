package io.kompakt.ops.activation;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the activation kernels: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, PRELU, SOFTMAX. */
public final class ActivationKernels {
  private ActivationKernels() {}

  public static void register(KernelRegistry r) {
  }
}
