package io.kompakt.ops.common;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;

/**
 * Moving elements of any storage (float32, int8/uint8/bool, int16, int32, int64): the one place that knows which
 * array of a {@link RuntimeTensor} holds a type, so the data-movement ops are written once, not once per type.
 * Positions are element indices relative to the tensor's {@link RuntimeTensor#offset}. Everything here reads
 * the array fields when called, so kernels call it at run time; nothing here allocates.
 */
public final class Elements {
  private Elements() {}

  /** The array holding the tensor's elements: float[], byte[], short[], int[] or long[]. */
  public static Object array(RuntimeTensor t) {
    switch (RuntimeTensor.storage(t.type)) {
      case F32: return t.f32;
      case I8: return t.i8;
      case I16: return t.i16;
      case I32: return t.i32;
      case I64: return t.i64;
      default: throw new IllegalStateException("no storage for " + t);
    }
  }

  /** Copies {@code n} consecutive elements between tensors of the same storage. */
  public static void copy(RuntimeTensor src, int srcPos, RuntimeTensor dst, int dstPos, int n) {
    System.arraycopy(array(src), src.offset + srcPos, array(dst), dst.offset + dstPos, n);
  }

  /**
   * Copies a box of elements: for every index {@code i} of {@code shape},
   * {@code dst[dstStart + sum(i[d] * dstStrides[d])] = src[srcStart + sum(i[d] * srcStrides[d])]}. Strides may be
   * negative (reversed slices) or zero. Rank 0 copies one element.
   */
  public static void copyStrided(RuntimeTensor src, int srcStart, int[] srcStrides, RuntimeTensor dst, int dstStart,
                                 int[] dstStrides, int[] shape) {
    for (int d : shape) if (d == 0) return;
    if (shape.length == 0) {
      copy(src, srcStart, dst, dstStart, 1);
      return;
    }
    copyDim(0, src, srcStart, srcStrides, dst, dstStart, dstStrides, shape);
  }

  private static void copyDim(int d, RuntimeTensor src, int sp, int[] ss, RuntimeTensor dst, int dp, int[] ds, int[] shape) {
    if (d == shape.length - 1) {
      copyRow(src, sp, ss[d], dst, dp, ds[d], shape[d]);
      return;
    }
    for (int i = 0; i < shape[d]; i++) copyDim(d + 1, src, sp + i * ss[d], ss, dst, dp + i * ds[d], ds, shape);
  }

  /** {@code n} elements, {@code ss} apart in src, to {@code ds} apart in dst. */
  private static void copyRow(RuntimeTensor src, int sp, int ss, RuntimeTensor dst, int dp, int ds, int n) {
    if (ss == 1 && ds == 1) {
      copy(src, sp, dst, dp, n);
      return;
    }
    int s = src.offset + sp, t = dst.offset + dp;
    switch (RuntimeTensor.storage(src.type)) {
      case F32: { float[] a = src.f32, b = dst.f32; for (int k = 0; k < n; k++) b[t + k * ds] = a[s + k * ss]; break; }
      case I8: { byte[] a = src.i8, b = dst.i8; for (int k = 0; k < n; k++) b[t + k * ds] = a[s + k * ss]; break; }
      case I16: { short[] a = src.i16, b = dst.i16; for (int k = 0; k < n; k++) b[t + k * ds] = a[s + k * ss]; break; }
      case I32: { int[] a = src.i32, b = dst.i32; for (int k = 0; k < n; k++) b[t + k * ds] = a[s + k * ss]; break; }
      case I64: { long[] a = src.i64, b = dst.i64; for (int k = 0; k < n; k++) b[t + k * ds] = a[s + k * ss]; break; }
      default: throw new IllegalStateException("no storage for " + src);
    }
  }

  /** Sets {@code n} elements from {@code from} to element {@code index} of {@code value} (same storage). */
  public static void fill(RuntimeTensor t, int from, int n, RuntimeTensor value, int index) {
    int a = t.offset + from, b = a + n, v = value.offset + index;
    switch (RuntimeTensor.storage(t.type)) {
      case F32: Arrays.fill(t.f32, a, b, value.f32[v]); break;
      case I8: Arrays.fill(t.i8, a, b, value.i8[v]); break;
      case I16: Arrays.fill(t.i16, a, b, value.i16[v]); break;
      case I32: Arrays.fill(t.i32, a, b, value.i32[v]); break;
      case I64: Arrays.fill(t.i64, a, b, value.i64[v]); break;
      default: throw new IllegalStateException("no storage for " + t);
    }
  }

  /** Sets {@code n} elements from {@code from} to a whole number (a zero point, or 0), converted as {@link #setLong}. */
  public static void fill(RuntimeTensor t, int from, int n, long v) {
    int a = t.offset + from, b = a + n;
    switch (RuntimeTensor.storage(t.type)) {
      case F32: Arrays.fill(t.f32, a, b, (float) v); break;
      case I8: Arrays.fill(t.i8, a, b, t.type == TensorType.BOOL ? (byte) (v != 0 ? 1 : 0) : (byte) v); break;
      case I16: Arrays.fill(t.i16, a, b, (short) v); break;
      case I32: Arrays.fill(t.i32, a, b, (int) v); break;
      case I64: Arrays.fill(t.i64, a, b, v); break;
      default: throw new IllegalStateException("no storage for " + t);
    }
  }

  /**
   * Stores a whole number as C++'s {@code static_cast} to the tensor's type does: integers wrap to the type's
   * width (uint8 keeps the low 8 bits), bool is {@code v != 0}, float32 rounds to nearest.
   */
  public static void setLong(RuntimeTensor t, int i, long v) {
    int p = t.offset + i;
    switch (RuntimeTensor.storage(t.type)) {
      case F32: t.f32[p] = (float) v; break;
      case I8: t.i8[p] = t.type == TensorType.BOOL ? (byte) (v != 0 ? 1 : 0) : (byte) v; break;
      case I16: t.i16[p] = (short) v; break;
      case I32: t.i32[p] = (int) v; break;
      case I64: t.i64[p] = v; break;
      default: throw new IllegalStateException("no storage for " + t);
    }
  }
}
