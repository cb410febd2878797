package io.kompakt.train;

/**
 * One operator of the training graph: a forward pass for one sample and its backward pass, which adds the
 * gradients of its inputs ({@code ws.grad[input] +=}, null: not needed) from the gradient of its output. A node
 * may change {@code ws.grad[output]} in place: every consumer of that output has run its backward pass by then.
 */
abstract class Node {
  /** The op's name (CONV_2D, ...) and index in the model. */
  final String op;
  final int opIndex;
  final int[] inputs;
  final int output;
  /** This node's index in the graph (its scratch in the workspace). */
  int id;

  Node(String op, int opIndex, int[] inputs, int output) {
    this.op = op;
    this.opIndex = opIndex;
    this.inputs = inputs;
    this.output = output;
  }

  abstract void forward(Workspace ws);

  abstract void backward(Workspace ws);

  /** Per-thread scratch this node needs, allocated once per workspace (null: none). */
  int[] scratch() { return null; }

  /** Called after the trainable tensors changed (e.g. to repack weights for the forward pass). */
  void refresh() {}

  @Override
  public String toString() { return "#" + opIndex + " " + op; }
}
