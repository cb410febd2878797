package io.kompakt.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Expands TFLite's sparse tensor format ({@link Sparsity}) into the dense bytes of the tensor's type, with the
 * semantics of TFLite's FormatConverter (sparse to dense): the traversed dimensions are the tensor's dimensions in
 * {@code traversalOrder} (the first {@code rank} entries name original dimensions, the rest block dimensions,
 * where block dimension {@code b} splits original dimension {@code blockMap[b]}); a DENSE level visits every index
 * below its {@code dense_size}, a SPARSE_CSR level visits, for its parent position {@code p}, the indices
 * {@code array_indices[array_segments[p] .. array_segments[p + 1])}; each visited leaf takes the next stored value.
 * Every other element is zero (all bits clear).
 *
 * <p>Everything is checked before anything is written: the traversal order, the block sizes (which must divide
 * their dimension), each dense size against its dimension, each segment array (starts at 0, non-decreasing, one
 * entry more than the parent level's positions, ending at the index count) and each index (below its dimension's
 * size), and the number of stored values against the data length. A malformed or hostile file gives a
 * {@link ModelFormatException} naming the tensor, never an index error.
 */
public final class Densifier {
  private Densifier() {}

  /** The dense little-endian bytes of a sparse constant tensor of a loaded model. */
  public static ByteBuffer densify(Tensor t) {
    String where = "tensor " + t.index() + " '" + t.name() + "'";
    return ByteBuffer.wrap(densify(where, t.type(), t.shape(), t.sparsity(), t.dataView())).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * The dense bytes of {@code data} (the stored values, little-endian, from its position to its limit) stored as
   * {@code s} for a tensor of {@code type} and {@code shape}. {@code where} names the tensor in error messages.
   */
  public static byte[] densify(String where, TensorType type, int[] shape, Sparsity s, ByteBuffer data) {
    if (s == null) throw new ModelFormatException(where + ": not a sparse tensor");
    if (type.size <= 0) throw new ModelFormatException(where + ": sparse tensors of type " + type.lowerName() + " are not supported");
    Plan p = plan(where, shape, s);
    int es = type.size;
    long denseBytes = p.elements * es;
    if (denseBytes > Integer.MAX_VALUE - 16) throw new ModelFormatException(where + ": dense size of " + denseBytes + " bytes is over 2^31");
    long have = data == null ? 0 : data.remaining();
    if (have % es != 0 || have / es != p.values) {
      throw new ModelFormatException(where + ": sparsity metadata describes " + p.values + " stored values of " + es
          + " bytes but the buffer has " + have + " bytes");
    }
    if (p.elements == 0) return new byte[0];
    byte[] src = new byte[(int) have];
    if (have > 0) data.duplicate().get(src);
    byte[] dst = new byte[(int) denseBytes];
    int[] valuePtr = {0};
    walk(p, s.dimensions(), 0, 0, 0, src, dst, es, valuePtr);
    return dst;
  }

  /** What {@link #plan} checked and computed. */
  private record Plan(int levels, long[] strides, long elements, long values) {}

  /** Validates the metadata against the shape; computes each level's dense stride and the stored value count. */
  private static Plan plan(String where, int[] shape, Sparsity s) {
    int rank = shape.length;
    int[] order = s.traversalOrder(), blockMap = s.blockMap();
    List<Sparsity.Dimension> dims = s.dimensions();
    int levels = order.length;
    if (levels != rank + blockMap.length) {
      throw new ModelFormatException(where + ": sparsity traversal_order has " + levels + " dimensions; rank " + rank + " + " + blockMap.length + " block dimensions expected");
    }
    if (dims.size() != levels) throw new ModelFormatException(where + ": sparsity has " + dims.size() + " dim_metadata for " + levels + " traversed dimensions");
    boolean[] seen = new boolean[levels];
    for (int i = 0; i < levels; i++) {
      int o = order[i];
      if (o < 0 || o >= levels || seen[o]) throw new ModelFormatException(where + ": sparsity traversal_order " + java.util.Arrays.toString(order) + " is not a permutation");
      // TFLite's converter reads the first rank levels as original dimensions and the rest as block dimensions
      if ((i < rank) != (o < rank)) {
        throw new ModelFormatException(where + ": sparsity traversal_order " + java.util.Arrays.toString(order) + " interleaves block dimensions with original ones");
      }
      seen[o] = true;
    }
    for (int b = 0; b < blockMap.length; b++) {
      if (blockMap[b] < 0 || blockMap[b] >= rank || (b > 0 && blockMap[b] <= blockMap[b - 1])) {
        throw new ModelFormatException(where + ": sparsity block_map " + java.util.Arrays.toString(blockMap) + " is not increasing dimensions of rank " + rank);
      }
    }
    long elements = 1;
    for (int d : shape) {
      if (d < 0) throw new ModelFormatException(where + ": sparse tensor with dimension " + d);
      elements *= d;
      if (elements > Integer.MAX_VALUE) throw new ModelFormatException(where + ": sparse tensor of over 2^31 elements");
    }
    // block sizes: the dense size of the level that traverses block dimension b (as TFLite's converter reads it)
    int[] blockSize = new int[blockMap.length];
    for (int b = 0; b < blockMap.length; b++) {
      Sparsity.Dimension d = dims.get(order[rank + b]);
      int bs = d.denseSize();
      if (d.format() != Sparsity.Format.DENSE || bs <= 0 || shape[blockMap[b]] % bs != 0) {
        throw new ModelFormatException(where + ": block dimension " + b + " has size " + bs + " (" + d.format()
            + "), which does not divide dimension " + blockMap[b] + " of size " + shape[blockMap[b]]);
      }
      blockSize[b] = bs;
    }
    // the expanded shape (blocked original dimensions, then block dimensions) and its strides in the dense tensor
    long[] denseStride = new long[rank];
    long st = 1;
    for (int d = rank - 1; d >= 0; d--) {
      denseStride[d] = st;
      st *= shape[d];
    }
    int[] expanded = new int[levels];
    long[] expandedStride = new long[levels];
    for (int d = 0; d < rank; d++) {
      expanded[d] = shape[d];
      expandedStride[d] = denseStride[d];
    }
    for (int b = 0; b < blockMap.length; b++) {
      int d = blockMap[b];
      expanded[d] /= blockSize[b];
      expandedStride[d] *= blockSize[b];
      expanded[rank + b] = blockSize[b];
      expandedStride[rank + b] = denseStride[d];
    }
    long[] strides = new long[levels];
    long positions = 1; // positions of the parent level
    long reach = 1; // product of the sizes traversed so far (saturating): no valid level has more positions
    for (int l = 0; l < levels; l++) {
      Sparsity.Dimension d = dims.get(l);
      int size = expanded[order[l]];
      strides[l] = expandedStride[order[l]];
      if (d.format() == Sparsity.Format.DENSE) {
        if (d.denseSize() != size) {
          throw new ModelFormatException(where + ": sparsity level " + l + " is dense of size " + d.denseSize() + " but traverses a dimension of size " + size);
        }
        positions = size == 0 ? 0 : positions > Long.MAX_VALUE / 4 / size ? Long.MAX_VALUE / 4 : positions * size;
      } else {
        int[] seg = d.segments(), idx = d.indices();
        if (seg == null || idx == null || seg.length != positions + 1) {
          throw new ModelFormatException(where + ": sparsity level " + l + " has " + (seg == null ? 0 : seg.length) + " array_segments; "
              + (positions + 1) + " expected");
        }
        if (seg[0] != 0) throw new ModelFormatException(where + ": sparsity level " + l + " array_segments starts at " + seg[0] + ", not 0");
        for (int i = 1; i < seg.length; i++) {
          if (seg[i] < seg[i - 1]) throw new ModelFormatException(where + ": sparsity level " + l + " array_segments decrease at " + i);
        }
        if (seg[seg.length - 1] != idx.length) {
          throw new ModelFormatException(where + ": sparsity level " + l + " array_segments end at " + seg[seg.length - 1] + " but there are " + idx.length + " array_indices");
        }
        for (int i = 0; i < idx.length; i++) {
          if (idx[i] < 0 || idx[i] >= size) {
            throw new ModelFormatException(where + ": sparsity level " + l + " array_indices[" + i + "] = " + idx[i] + " is outside a dimension of size " + size);
          }
        }
        positions = idx.length;
      }
      reach = size == 0 ? 0 : reach > Long.MAX_VALUE / 4 / size ? Long.MAX_VALUE / 4 : reach * size;
      if (positions > reach) {
        throw new ModelFormatException(where + ": sparsity level " + l + " has " + positions + " positions, more than the " + reach + " its dimensions hold");
      }
    }
    return new Plan(levels, strides, elements, positions);
  }

  private static void walk(Plan p, List<Sparsity.Dimension> dims, int level, int parent, long offset, byte[] src, byte[] dst, int es, int[] ptr) {
    if (level == p.levels) {
      System.arraycopy(src, ptr[0] * es, dst, (int) offset * es, es);
      ptr[0]++;
      return;
    }
    Sparsity.Dimension d = dims.get(level);
    long stride = p.strides[level];
    if (d.format() == Sparsity.Format.DENSE) {
      int size = d.denseSize();
      for (int i = 0; i < size; i++) walk(p, dims, level + 1, parent * size + i, offset + i * stride, src, dst, es, ptr);
    } else {
      int[] seg = d.segments(), idx = d.indices();
      for (int k = seg[parent]; k < seg[parent + 1]; k++) walk(p, dims, level + 1, k, offset + idx[k] * stride, src, dst, es, ptr);
    }
  }
}
