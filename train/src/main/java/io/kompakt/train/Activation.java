package io.kompakt.train;

/**
 * A fused activation (or a standalone RELU / RELU6 / RELU_N1_TO_1) as a clamp to [min, max]. Its gradient is taken
 * from the output: 1 where the output lies strictly inside the range (or the bound is infinite), else 0.
 */
enum Activation {
  NONE(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY), RELU(0f, Float.POSITIVE_INFINITY), RELU6(0f, 6f),
  RELU_N1_TO_1(-1f, 1f);

  final float min, max;

  Activation(float min, float max) {
    this.min = min;
    this.max = max;
  }

  static Activation of(String fused) {
    if (fused == null) return NONE;
    switch (fused) {
      case "NONE": return NONE;
      case "RELU": return RELU;
      case "RELU6": return RELU6;
      case "RELU_N1_TO_1": return RELU_N1_TO_1;
      default: throw new IllegalArgumentException("fused activation " + fused + " is not supported in training");
    }
  }

  /** Clamps {@code x[off, off+n)} in place. */
  void apply(float[] x, int off, int n) {
    if (this == NONE) return;
    for (int i = off; i < off + n; i++) {
      float v = x[i];
      x[i] = v < min ? min : (v > max ? max : v);
    }
  }

  /** Multiplies the output gradient by the activation's derivative, in place. */
  void backward(float[] out, float[] dOut) {
    if (this == NONE) return;
    for (int i = 0; i < out.length; i++) {
      float v = out[i];
      if (!(v > min && v < max)) dOut[i] = 0f;
    }
  }
}
