package io.kompakt.ops.activation;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the activation kernels: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, PRELU, SOFTMAX. */
public final class ActivationKernels {
  private ActivationKernels() {}

  public static void register(KernelRegistry r) {
    r.register("LOGISTIC", Logistic::prepare);
    r.register("TANH", Tanh::prepare);
    r.register("RELU", Relu::relu);
    r.register("RELU6", Relu::relu6);
    r.register("RELU_N1_TO_1", Relu::reluN1To1);
    r.register("LEAKY_RELU", LeakyRelu::prepare);
    r.register("HARD_SWISH", HardSwish::prepare);
    r.register("PRELU", Prelu::prepare);
    r.register("SOFTMAX", Softmax::prepare);
  }
}
