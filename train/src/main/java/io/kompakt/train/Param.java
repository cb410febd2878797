package io.kompakt.train;

/**
 * A trainable tensor: the float32 weights or bias of a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED op, copied out of
 * the model. {@code values} is what the forward pass reads and the optimizer updates; {@code mask}, when pruning,
 * holds 0 for pruned weights (kept at zero through training) and 1 elsewhere.
 */
public final class Param {
  /** Index of the tensor in the model's main subgraph. */
  public final int tensor;
  public final String name;
  public final int[] shape;
  public final float[] values;
  /** Whether this is a weight tensor (prunable), not a bias. */
  public final boolean isWeight;
  /** The op type that uses it (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED). */
  public final String op;
  /** Pruning mask (1 keep, 0 pruned), or null when not pruned. */
  public float[] mask;

  Param(int tensor, String name, int[] shape, float[] values, boolean isWeight, String op) {
    this.tensor = tensor;
    this.name = name;
    this.shape = shape.clone();
    this.values = values;
    this.isWeight = isWeight;
    this.op = op;
  }

  public int size() { return values.length; }

  /** Sets masked weights to zero. */
  public void applyMask() {
    if (mask == null) return;
    for (int i = 0; i < values.length; i++) if (mask[i] == 0f) values[i] = 0f;
  }

  /** Share of weights that are exactly zero. */
  public double sparsity() {
    int z = 0;
    for (float v : values) if (v == 0f) z++;
    return values.length == 0 ? 0 : (double) z / values.length;
  }

  @Override
  public String toString() { return "'" + name + "' " + java.util.Arrays.toString(shape); }
}
