package io.kompakt.engine.model;

import java.util.Arrays;
import java.util.List;

/**
 * TFLite's sparse tensor format (SparsityParameters): the dense tensor's dimensions traversed in
 * {@code traversalOrder} (the original dimensions, then block dimensions), each stored dense or as CSR.
 *
 * @param traversalOrder order in which the dimensions are stored
 * @param blockMap which original dimension each block dimension splits
 * @param dimensions storage of each traversed dimension
 */
public record Sparsity(int[] traversalOrder, int[] blockMap, List<Dimension> dimensions) {

  /** How one traversed dimension is stored. */
  public enum Format { DENSE, SPARSE_CSR }

  /**
   * One traversed dimension.
   *
   * @param denseSize size of a DENSE dimension
   * @param segments CSR segment starts (SPARSE_CSR), as read from the file
   * @param indices CSR indices (SPARSE_CSR)
   * @param segmentsType / indicesType the stored index vector type: "Int32Vector", "Uint16Vector", "Uint8Vector"
   */
  public record Dimension(Format format, int denseSize, int[] segments, int[] indices, String segmentsType,
                          String indicesType) {
    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Dimension)) return false;
      Dimension d = (Dimension) o;
      return format == d.format && denseSize == d.denseSize && Arrays.equals(segments, d.segments)
          && Arrays.equals(indices, d.indices);
    }

    @Override
    public int hashCode() { return format.hashCode() * 31 + denseSize; }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Sparsity)) return false;
    Sparsity s = (Sparsity) o;
    return Arrays.equals(traversalOrder, s.traversalOrder) && Arrays.equals(blockMap, s.blockMap)
        && dimensions.equals(s.dimensions);
  }

  @Override
  public int hashCode() { return Arrays.hashCode(traversalOrder); }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("order=").append(Arrays.toString(traversalOrder));
    if (blockMap.length > 0) sb.append(" block_map=").append(Arrays.toString(blockMap));
    sb.append(" dims=[");
    for (int i = 0; i < dimensions.size(); i++) {
      Dimension d = dimensions.get(i);
      if (i > 0) sb.append(", ");
      sb.append(d.format() == Format.DENSE ? "dense(" + d.denseSize() + ")" : "csr(" + d.indices().length + " nnz)");
    }
    return sb.append(']').toString();
  }
}
