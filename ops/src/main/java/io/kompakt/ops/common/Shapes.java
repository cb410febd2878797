package io.kompakt.ops.common;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/**
 * Shape arithmetic for the shape ops at prepare: row-major strides, products of dimensions, axes, and the values
 * of constant index inputs (shapes, axes, paddings) that decide an output's shape.
 */
public final class Shapes {
  private Shapes() {}

  /** Row-major strides of a shape, in elements. */
  public static int[] strides(int[] shape) {
    int[] s = new int[shape.length];
    int k = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = k;
      k *= shape[i];
    }
    return s;
  }

  /** Product of {@code shape[from..to)} (1 when empty). */
  public static int product(int[] shape, int from, int to) {
    long n = 1;
    for (int i = from; i < to; i++) n *= shape[i];
    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("over 2^31 elements: " + Arrays.toString(shape));
    return (int) n;
  }

  /** Number of elements of a shape. */
  public static int size(int[] shape) { return product(shape, 0, shape.length); }

  /** {@code axis} in [-rank, rank), negative counting from the end, as an index in [0, rank); refuses others. */
  public static int axis(OpContext ctx, int axis, int rank, String what) {
    ctx.require(axis >= -rank && axis < rank, what + " " + axis + " is out of range for rank " + rank);
    return axis < 0 ? axis + rank : axis;
  }

  /**
   * The values of an int32 or int64 input that must be constant because they decide the output's shape;
   * refuses a runtime input with "... must be constant".
   */
  public static int[] constantInts(OpContext ctx, RuntimeTensor t, String what) {
    ctx.require(t != null, what + " input is missing");
    ctx.require(t.constant, what + " " + t + " must be constant (its values decide the output shape)");
    ctx.require(t.type == TensorType.INT32 || t.type == TensorType.INT64,
        what + " " + t + " must be int32 or int64, is " + t.type.lowerName());
    int[] r = new int[t.size()];
    for (int i = 0; i < r.length; i++) {
      long v = t.getLong(i);
      ctx.require(v == (int) v, what + " value " + v + " does not fit in 32 bits");
      r[i] = (int) v;
    }
    return r;
  }

  /** A constant scalar (or one-element) int32/int64 input, e.g. an axis. */
  public static int constantInt(OpContext ctx, RuntimeTensor t, String what) {
    int[] v = constantInts(ctx, t, what);
    ctx.require(v.length == 1, what + " " + t + " must hold one value, holds " + v.length);
    return v[0];
  }

  /** Requires the output to have the input's type (data-movement ops do not convert). */
  public static void requireSameType(OpContext ctx, RuntimeTensor in, RuntimeTensor out) {
    ctx.require(out.type == in.type, "output " + out + " must have the input's type " + in.type.lowerName());
    ctx.require(RuntimeTensor.storage(in.type) != RuntimeTensor.Storage.NONE, "input type " + in.type.lowerName() + " is not supported");
  }

  /**
   * For int8, uint8 and int16 tensors: requires {@code in} to have {@code out}'s scale and zero point, so moving
   * the raw values is right (TFLite requires this of these ops rather than requantizing).
   */
  public static void requireSameQuantization(OpContext ctx, RuntimeTensor in, RuntimeTensor out) {
    if (in.type != TensorType.INT8 && in.type != TensorType.UINT8 && in.type != TensorType.INT16) return;
    ctx.require(in.scale() == out.scale() && in.zeroPoint() == out.zeroPoint(),
        "input " + in + " (" + in.quantization + ") and output " + out + " (" + out.quantization
            + ") are quantized differently; requantizing is not supported");
  }
}
