package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.Sparsity;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stores pruned weights in TFLite's sparse format, as TFLite's converter does (its DenseToSparse pass with the
 * FormatConverter's dense-to-sparse semantics): traversal order is the identity, every original dimension is
 * DENSE except the last, which is SPARSE_CSR, and each dimension with a block size other than 1 gets a DENSE block
 * dimension appended (block_map names it). So a [out, in] weight is {@code DENSE(out), CSR(in)}, with 1x4 blocks
 * {@code DENSE(out), CSR(in/4), DENSE(4)}, and a 4-D conv filter {@code DENSE, DENSE, DENSE, CSR}. A CSR level keeps
 * the indices whose sub-block holds a non-zero; when the last level is DENSE the zeros of kept blocks are stored.
 * "Zero" means all bits clear (so -0.0 is kept, and decoding gives back the exact bytes).
 *
 * <p>{@link #encode(EditableModel, Options)} replaces each pruned weight (of CONV_2D, DEPTHWISE_CONV_2D,
 * TRANSPOSE_CONV and FULLY_CONNECTED; float32, float16 or int8, the types TFLite's DENSIFY takes) by its sparse
 * form only when that makes it smaller, and feeds the op through a DENSIFY op as the converter does when the op's
 * kernel cannot use the sparse weight directly: {@code sparse constant -> DENSIFY -> dense tensor -> op}.
 */
public final class SparseEncoder {
  private SparseEncoder() {}

  /** Below this fraction of zeros the converter keeps a weight dense; so do we. */
  public static final double MIN_SPARSITY = 0.3;
  /** Bytes a DENSIFY op and its output tensor add to the file (roughly), counted against the saving. */
  static final long DENSIFY_OVERHEAD = 160;

  /** The sparse form of a tensor: its metadata and the stored values (little-endian). */
  public record Encoded(Sparsity sparsity, ByteBuffer values) {
    /** Bytes of the values and index vectors. */
    public long bytes() {
      long n = values.remaining();
      for (Sparsity.Dimension d : sparsity.dimensions()) {
        if (d.format() == Sparsity.Format.SPARSE_CSR) {
          n += (long) d.segments().length * indexBytes(d.segmentsType()) + (long) d.indices().length * indexBytes(d.indicesType());
        }
      }
      return n;
    }
  }

  /** One weight stored sparse. */
  public record Entry(String tensor, int[] shape, int[] blockSize, long denseBytes, long sparseBytes) {}

  /** What {@link #encode(EditableModel, Options)} did. */
  public record Report(List<Entry> encoded, int densifyOps) {}

  /** Which block shapes to try (each as a block size per dimension, 1 meaning no block); the smallest is kept. */
  public static final class Options {
    boolean tryBlocks = true;

    /** Whether to try 1x4 and 4x1 blocks besides element sparsity (default true). */
    public Options tryBlocks(boolean b) { tryBlocks = b; return this; }
  }

  /**
   * The sparse form of {@code dense} (a tensor of {@code type} and {@code shape}) with the converter's layout for
   * {@code blockSize} (one entry per dimension, each dividing it; null for no blocks).
   */
  public static Encoded encode(TensorType type, int[] shape, ByteBuffer dense, int[] blockSize) {
    int rank = shape.length;
    if (rank == 0) throw new IllegalArgumentException("a scalar cannot be stored sparse");
    if (type.size <= 0) throw new IllegalArgumentException("type " + type.lowerName() + " cannot be stored sparse");
    int[] bs = blockSize == null ? filled(rank, 1) : blockSize.clone();
    if (bs.length != rank) throw new IllegalArgumentException("block size " + Arrays.toString(bs) + " for rank " + rank);
    long elements = io.kompakt.engine.model.Tensor.elementCount(shape);
    if (dense.remaining() != elements * type.size) throw new IllegalArgumentException("dense data of " + dense.remaining() + " bytes for " + elements + " elements");
    // the layout (PopulateEncodingParams of the converter)
    List<Integer> order = new ArrayList<>(), blockMap = new ArrayList<>(), blockSizes = new ArrayList<>();
    for (int i = 0; i < rank; i++) order.add(i);
    for (int i = 0; i < rank; i++) {
      if (bs[i] <= 0 || shape[i] % bs[i] != 0) throw new IllegalArgumentException("block size " + Arrays.toString(bs) + " does not divide " + Arrays.toString(shape));
      if (bs[i] != 1) {
        order.add(rank + blockMap.size());
        blockMap.add(i);
        blockSizes.add(bs[i]);
      }
    }
    int levels = order.size();
    long[] denseStride = new long[rank];
    long st = 1;
    for (int d = rank - 1; d >= 0; d--) { denseStride[d] = st; st *= shape[d]; }
    int[] size = new int[levels];
    long[] stride = new long[levels];
    boolean[] csr = new boolean[levels];
    for (int d = 0; d < rank; d++) { size[d] = shape[d]; stride[d] = denseStride[d]; }
    for (int b = 0; b < blockMap.size(); b++) {
      int d = blockMap.get(b);
      size[d] /= blockSizes.get(b);
      stride[d] *= blockSizes.get(b);
      size[rank + b] = blockSizes.get(b);
      stride[rank + b] = denseStride[d];
    }
    csr[rank - 1] = true;
    Encoder e = new Encoder(levels, size, stride, csr, type.size, dense);
    for (int l = 0; l < levels; l++) if (csr[l]) e.segments[l].add(0);
    e.encode(0, 0);
    List<Sparsity.Dimension> dims = new ArrayList<>();
    for (int l = 0; l < levels; l++) {
      if (!csr[l]) {
        dims.add(new Sparsity.Dimension(Sparsity.Format.DENSE, size[l], new int[0], new int[0], null, null));
      } else {
        int[] seg = e.segments[l].toArray(), idx = e.indices[l].toArray();
        dims.add(new Sparsity.Dimension(Sparsity.Format.SPARSE_CSR, 0, seg, idx, indexType(seg), indexType(idx)));
      }
    }
    int[] orderArr = order.stream().mapToInt(Integer::intValue).toArray();
    int[] mapArr = blockMap.stream().mapToInt(Integer::intValue).toArray();
    ByteBuffer values = ByteBuffer.wrap(Arrays.copyOf(e.values, e.valueBytes)).order(ByteOrder.LITTLE_ENDIAN);
    return new Encoded(new Sparsity(orderArr, mapArr, List.copyOf(dims)), values);
  }

  /** The smallest index vector type holding every value, as the converter picks it. */
  static String indexType(int[] values) {
    int max = 0;
    for (int v : values) max = Math.max(max, v);
    return max <= 0xFF ? "Uint8Vector" : max <= 0xFFFF ? "Uint16Vector" : "Int32Vector";
  }

  static int indexBytes(String type) {
    return "Uint8Vector".equals(type) ? 1 : "Uint16Vector".equals(type) ? 2 : 4;
  }

  /** The block sizes tried for a weight of {@code shape}: none, then 1x4 along the last dimension and 4x1 along the first. */
  static List<int[]> candidateBlocks(int[] shape, boolean tryBlocks) {
    List<int[]> r = new ArrayList<>();
    int rank = shape.length;
    r.add(filled(rank, 1));
    if (tryBlocks && rank >= 2) {
      if (shape[rank - 1] % 4 == 0 && shape[rank - 1] > 4) { int[] b = filled(rank, 1); b[rank - 1] = 4; r.add(b); }
      if (shape[0] % 4 == 0 && shape[0] > 4) { int[] b = filled(rank, 1); b[0] = 4; r.add(b); }
    }
    return r;
  }

  private static int[] filled(int n, int v) {
    int[] a = new int[n];
    Arrays.fill(a, v);
    return a;
  }

  /** Fraction of all-bits-zero elements. */
  static double zeroFraction(ByteBuffer d, int elementSize) {
    int n = d.remaining() / elementSize, zeros = 0;
    for (int i = 0; i < n; i++) {
      boolean z = true;
      for (int k = 0; k < elementSize && z; k++) z = d.get(d.position() + i * elementSize + k) == 0;
      if (z) zeros++;
    }
    return n == 0 ? 0 : (double) zeros / n;
  }

  /**
   * Stores every sufficiently sparse weight of a CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV or FULLY_CONNECTED in
   * sparse form (when smaller) behind a DENSIFY op. Weights already sparse, used by other ops, or of other types
   * are left alone.
   */
  public static Report encode(EditableModel m, Options options) {
    List<Entry> entries = new ArrayList<>();
    int densify = 0;
    for (EditableModel.Subgraph g : m.subgraphs) {
      Set<EditableModel.Tensor> outputs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      outputs.addAll(g.outputs);
      Map<EditableModel.Tensor, List<EditableModel.Operator>> users = new IdentityHashMap<>();
      for (EditableModel.Operator op : g.operators) for (EditableModel.Tensor t : op.inputs) if (t != null) users.computeIfAbsent(t, k -> new ArrayList<>()).add(op);
      List<EditableModel.Operator> densifyOps = new ArrayList<>();
      for (EditableModel.Operator op : g.operators) {
        int w = weightInput(op.opCode.name());
        if (w < 0 || op.inputs.size() <= w) continue;
        EditableModel.Tensor t = op.inputs.get(w);
        if (t == null || t.buffer == null || t.buffer.size() == 0 || t.sparsity != null || outputs.contains(t)) continue;
        if (t.type != TensorType.FLOAT32 && t.type != TensorType.FLOAT16 && t.type != TensorType.INT8) continue;
        if (t.shape.length != 2 && t.shape.length != 4) continue;
        boolean onlyWeights = true;
        for (EditableModel.Operator u : users.get(t)) {
          int uw = weightInput(u.opCode.name());
          for (int i = 0; i < u.inputs.size(); i++) if (u.inputs.get(i) == t && i != uw) onlyWeights = false;
        }
        if (!onlyWeights) continue;
        ByteBuffer dense = t.buffer.data();
        if (dense.remaining() != t.elementCount() * t.type.size) continue;
        if (zeroFraction(dense, t.type.size) < MIN_SPARSITY) continue;
        Encoded best = null;
        int[] bestBlock = null;
        for (int[] b : candidateBlocks(t.shape, options.tryBlocks)) {
          Encoded e = encode(t.type, t.shape, t.buffer.data(), b);
          if (best == null || e.bytes() < best.bytes()) { best = e; bestBlock = b; }
        }
        long denseBytes = dense.remaining();
        if (best == null || best.bytes() + DENSIFY_OVERHEAD >= denseBytes) continue;
        EditableModel.Tensor out = new EditableModel.Tensor(t.name + "_densified", t.type, t.shape);
        out.shapeSignature = t.shapeSignature.clone();
        out.quantization = t.quantization;
        g.tensors.add(g.tensors.indexOf(t) + 1, out);
        t.sparsity = best.sparsity();
        t.buffer = m.addBuffer(best.values());
        EditableModel.Operator d = new EditableModel.Operator(OpCode.builtin("DENSIFY"));
        d.inputs.add(t);
        d.outputs.add(out);
        densifyOps.add(d);
        for (EditableModel.Operator u : users.get(t)) u.inputs.replaceAll(x -> x == t ? out : x);
        entries.add(new Entry(t.name, t.shape.clone(), bestBlock, denseBytes, best.bytes()));
      }
      g.operators.addAll(0, densifyOps);
      densify += densifyOps.size();
    }
    m.removeUnusedBuffers();
    return new Report(entries, densify);
  }

  /** The weight input of an op that TFLite's converter sparsifies, or -1. */
  static int weightInput(String op) {
    switch (op) {
      case "CONV_2D": case "DEPTHWISE_CONV_2D": case "FULLY_CONNECTED": return 1;
      case "TRANSPOSE_CONV": return 1;
      default: return -1;
    }
  }

  /** FormatConverter's dense-to-sparse walk, with roll back of empty CSR sub-blocks. */
  private static final class Encoder {
    final int levels;
    final int[] size;
    final long[] stride;
    final boolean[] csr;
    final int es;
    final ByteBuffer dense;
    final int base;
    final IntList[] segments, indices;
    byte[] values = new byte[64];
    int valueBytes;
    final boolean lastDense;

    Encoder(int levels, int[] size, long[] stride, boolean[] csr, int es, ByteBuffer dense) {
      this.levels = levels; this.size = size; this.stride = stride; this.csr = csr; this.es = es; this.dense = dense;
      this.base = dense.position();
      segments = new IntList[levels];
      indices = new IntList[levels];
      for (int i = 0; i < levels; i++) { segments[i] = new IntList(); indices[i] = new IntList(); }
      lastDense = !csr[levels - 1];
    }

    /** Encodes the sub-block at {@code level} starting at element {@code offset}; whether it holds a non-zero. */
    boolean encode(int level, long offset) {
      if (level == levels) {
        int at = base + (int) offset * es;
        boolean nz = false;
        for (int k = 0; k < es && !nz; k++) nz = dense.get(at + k) != 0;
        if (nz || lastDense) {
          if (valueBytes + es > values.length) values = Arrays.copyOf(values, Math.max(values.length * 2, valueBytes + es));
          for (int k = 0; k < es; k++) values[valueBytes++] = dense.get(at + k);
        }
        return nz;
      }
      boolean any = false;
      if (!csr[level]) {
        for (int i = 0; i < size[level]; i++) any |= encode(level + 1, offset + i * stride[level]);
        return any;
      }
      int[] segMark = new int[levels], idxMark = new int[levels];
      for (int i = 0; i < size[level]; i++) {
        for (int l = level + 1; l < levels; l++) { segMark[l] = segments[l].size; idxMark[l] = indices[l].size; }
        int valueMark = valueBytes;
        if (encode(level + 1, offset + i * stride[level])) {
          indices[level].add(i);
          any = true;
        } else {
          for (int l = level + 1; l < levels; l++) { segments[l].size = segMark[l]; indices[l].size = idxMark[l]; }
          valueBytes = valueMark;
        }
      }
      segments[level].add(indices[level].size);
      return any;
    }
  }

  private static final class IntList {
    int[] a = new int[16];
    int size;

    void add(int v) {
      if (size == a.length) a = Arrays.copyOf(a, size * 2);
      a[size++] = v;
    }

    int[] toArray() { return Arrays.copyOf(a, size); }
  }
}
