package io.kompakt.engine.model;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An operator of a subgraph. Tensor indices refer to the subgraph's tensors; -1 marks an omitted optional input.
 *
 * @param options the builtin options table (e.g. Conv2DOptions), or null
 * @param options2 the builtin_options_2 table (StableHLO ops), or null
 * @param customOptions the custom options bytes (read-only view), or null
 */
public record Operator(int index, OpCode opCode, int[] inputs, int[] outputs, int[] intermediates,
                       FlatTable options, FlatTable options2, ByteBuffer customOptions) {

  /** The op's name: builtin schema name or custom name. */
  public String name() { return opCode.name(); }

  @Override
  public String toString() {
    return "#" + index + " " + opCode + " in=" + Arrays.toString(inputs) + " out=" + Arrays.toString(outputs);
  }

  @Override
  public boolean equals(Object o) { return this == o; }

  @Override
  public int hashCode() { return System.identityHashCode(this); }
}
