package io.kompakt.engine.model;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A tensor of a subgraph as the file describes it. {@code data} is a read-only little-endian view of its
 * constant buffer (not a copy), or null for tensors computed at run time.
 *
 * @param buffer the buffer index (0: none)
 * @param shapeSignature the shape with -1 for dynamic dimensions, or empty
 * @param sparsity the sparse storage of {@code data}, or null if dense
 */
public record Tensor(int index, String name, TensorType type, int[] shape, int[] shapeSignature, int buffer,
                     ByteBuffer data, Quantization quantization, Sparsity sparsity, boolean isVariable) {

  /** Number of elements of the shape (1 for a scalar). */
  public long elementCount() { return elementCount(shape); }

  /** Number of elements of a shape (1 for a scalar). */
  public static long elementCount(int[] shape) {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** Bytes of the dense tensor, or -1 for types without a fixed size. */
  public long denseBytes() { return type.bytesFor(elementCount()); }

  /** Whether the tensor has constant data in the file. */
  public boolean isConstant() { return data != null; }

  /** Bytes stored in the file for this tensor (sparse data is smaller than dense). */
  public long storedBytes() { return data == null ? 0 : data.remaining(); }

  /** A fresh duplicate of {@code data} positioned at 0 (null if none). */
  public ByteBuffer dataView() { return data == null ? null : data.duplicate().order(data.order()); }

  /** {@code name type[1,224,224,3]}. */
  @Override
  public String toString() { return "'" + name + "' " + type.lowerName() + Arrays.toString(shape); }

  @Override
  public boolean equals(Object o) { return this == o; }

  @Override
  public int hashCode() { return System.identityHashCode(this); }
}
