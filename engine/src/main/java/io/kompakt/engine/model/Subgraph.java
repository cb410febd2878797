package io.kompakt.engine.model;

import java.util.List;

/** A subgraph: tensors, operators in execution order, and which tensors are its inputs and outputs. */
public record Subgraph(int index, String name, List<Tensor> tensors, List<Operator> operators, int[] inputs,
                       int[] outputs) {
  public Tensor tensor(int i) { return tensors.get(i); }

  public Tensor input(int i) { return tensors.get(inputs[i]); }

  public Tensor output(int i) { return tensors.get(outputs[i]); }

  @Override
  public boolean equals(Object o) { return this == o; }

  @Override
  public int hashCode() { return System.identityHashCode(this); }
}
