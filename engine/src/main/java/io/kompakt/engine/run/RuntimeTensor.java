package io.kompakt.engine.run;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import java.util.Arrays;

/**
 * A tensor as kernels see it: type, shape, quantization, and its elements in a typed Java array starting at
 * {@link #offset}. Activations share the interpreter's arena arrays (planned offsets); constants have arrays
 * of their own, made once at prepare from the model's bytes.
 *
 * <p>Storage by type: FLOAT32 and FLOAT16 (converted to float at load) in {@link #f32}; INT8, UINT8 and BOOL in
 * {@link #i8} (UINT8 read as {@code x & 0xFF}); INT16 in {@link #i16}; INT32 in {@link #i32}; INT64 in {@link #i64}.
 * Kernels read the array fields when they run, never at prepare (arrays are assigned after planning).
 */
public final class RuntimeTensor {
  public final int index;
  public final String name;
  public final TensorType type;
  public int[] shape;
  public Quantization quantization;
  public float[] f32;
  public byte[] i8;
  public short[] i16;
  public int[] i32;
  public long[] i64;
  /** First element's index in the array. */
  public int offset;
  /** Whether the values are fixed before any run (model constants and folded results). */
  public boolean constant;

  public RuntimeTensor(int index, String name, TensorType type, int[] shape, Quantization quantization) {
    this.index = index;
    this.name = name;
    this.type = type;
    this.shape = shape.clone();
    this.quantization = quantization == null ? Quantization.NONE : quantization;
  }

  /** Number of elements. */
  public int size() {
    long n = 1;
    for (int d : shape) n *= d;
    if (n > Integer.MAX_VALUE) throw new IllegalStateException("tensor '" + name + "' has " + n + " elements, over 2^31");
    return (int) n;
  }

  public int rank() { return shape.length; }

  /** Dimension {@code i}; negative counts from the end. */
  public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

  /** The per-tensor scale (first scale). */
  public float scale() { return quantization.scale().length == 0 ? 0f : quantization.scale()[0]; }

  /** The per-tensor zero point (first zero point). */
  public int zeroPoint() { return quantization.zeroPoint().length == 0 ? 0 : (int) quantization.zeroPoint()[0]; }

  /** Gives this tensor storage of its own, sized for its shape (constants, folded values). */
  public void allocateOwn() {
    int n = size();
    offset = 0;
    switch (storage(type)) {
      case F32: f32 = new float[n]; break;
      case I8: i8 = new byte[n]; break;
      case I16: i16 = new short[n]; break;
      case I32: i32 = new int[n]; break;
      case I64: i64 = new long[n]; break;
      default: throw new IllegalStateException("no storage for " + type);
    }
  }

  /** Which array holds a type. */
  public enum Storage { F32, I8, I16, I32, I64, NONE }

  public static Storage storage(TensorType t) {
    switch (t) {
      case FLOAT32: case FLOAT16: return Storage.F32;
      case INT8: case UINT8: case BOOL: return Storage.I8;
      case INT16: return Storage.I16;
      case INT32: return Storage.I32;
      case INT64: return Storage.I64;
      default: return Storage.NONE;
    }
  }

  /** Fills the elements from a buffer holding them in this type's bytes, from its position, in its byte order. */
  public void readFrom(java.nio.ByteBuffer b) {
    int n = size();
    switch (storage(type)) {
      case F32: b.asFloatBuffer().get(f32, offset, n); break;
      case I8: b.duplicate().get(i8, offset, n); break;
      case I16: b.asShortBuffer().get(i16, offset, n); break;
      case I32: b.asIntBuffer().get(i32, offset, n); break;
      case I64: b.asLongBuffer().get(i64, offset, n); break;
      default: throw new IllegalArgumentException(this + " has no byte form");
    }
  }

  /** Writes the elements into a buffer in this type's bytes, from its position, in its byte order. */
  public void writeTo(java.nio.ByteBuffer b) {
    int n = size();
    switch (storage(type)) {
      case F32: b.asFloatBuffer().put(f32, offset, n); break;
      case I8: b.duplicate().put(i8, offset, n); break;
      case I16: b.asShortBuffer().put(i16, offset, n); break;
      case I32: b.asIntBuffer().put(i32, offset, n); break;
      case I64: b.asLongBuffer().put(i64, offset, n); break;
      default: throw new IllegalArgumentException(this + " has no byte form");
    }
  }

  /** Element {@code i} as a double (any storage; UINT8 unsigned). For tests and slow paths. */
  public double get(int i) {
    switch (storage(type)) {
      case F32: return f32[offset + i];
      case I8: return type == TensorType.UINT8 ? i8[offset + i] & 0xFF : i8[offset + i];
      case I16: return i16[offset + i];
      case I32: return i32[offset + i];
      case I64: return i64[offset + i];
      default: throw new IllegalStateException("no storage for " + type);
    }
  }

  /** Element {@code i} as a long (integer storages). */
  public long getLong(int i) {
    switch (storage(type)) {
      case I8: return type == TensorType.UINT8 ? i8[offset + i] & 0xFF : i8[offset + i];
      case I16: return i16[offset + i];
      case I32: return i32[offset + i];
      case I64: return i64[offset + i];
      case F32: return (long) f32[offset + i];
      default: throw new IllegalStateException("no storage for " + type);
    }
  }

  /** The values of a (small) integer tensor as int[], e.g. a shape or axes input. */
  public int[] toIntArray() {
    int[] r = new int[size()];
    for (int i = 0; i < r.length; i++) r[i] = (int) getLong(i);
    return r;
  }

  @Override
  public String toString() { return "'" + name + "' " + type.lowerName() + Arrays.toString(shape); }
}
