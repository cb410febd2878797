package io.kompakt.ops.detection;

import io.kompakt.engine.run.KernelRegistry;

/** Registers the detection kernels: TFLite_Detection_PostProcess. */
public final class DetectionKernels {
  private DetectionKernels() {}

  public static void register(KernelRegistry r) {
    r.register("TFLite_Detection_PostProcess", DetectionPostProcess::prepare);
  }
}
