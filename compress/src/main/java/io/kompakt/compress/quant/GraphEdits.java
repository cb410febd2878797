package io.kompakt.compress.quant;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.TensorType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the graph passes before quantization (batch-norm folding, activation fusion, equalisation) ask of a graph. */
final class GraphEdits {
  private GraphEdits() {}

  /** CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED: the layers with weights and a bias. */
  static boolean isConvLike(String op) {
    return op.equals("CONV_2D") || op.equals("DEPTHWISE_CONV_2D") || op.equals("FULLY_CONNECTED");
  }

  /** A float32 tensor with data. */
  static boolean isFloatConstant(Tensor t) {
    return t != null && t.type == TensorType.FLOAT32 && t.buffer != null && t.buffer.size() > 0;
  }

  /** Whether the op's options have a fused activation field. */
  static boolean hasFusedActivation(Operator op) {
    return op.options != null && op.options.type().field("fused_activation_function") != null;
  }

  /** The op's fused activation ("NONE" without options). */
  static String activation(Operator op) {
    return hasFusedActivation(op) ? op.options.getEnumName("fused_activation_function") : "NONE";
  }

  /** The ops reading each tensor (an op reading a tensor twice is listed twice). */
  static Map<Tensor, List<Operator>> consumers(EditableModel.Subgraph g) {
    Map<Tensor, List<Operator>> m = new IdentityHashMap<>();
    for (Operator op : g.operators) for (Tensor t : op.inputs) if (t != null) m.computeIfAbsent(t, k -> new ArrayList<>()).add(op);
    return m;
  }

  /** The op writing each tensor. */
  static Map<Tensor, Operator> producers(EditableModel.Subgraph g) {
    Map<Tensor, Operator> m = new IdentityHashMap<>();
    for (Operator op : g.operators) for (Tensor t : op.outputs) m.put(t, op);
    return m;
  }

  /** The one op reading {@code t}, if exactly one does (once) and {@code t} is not a graph output. */
  static Operator onlyConsumer(Map<Tensor, List<Operator>> consumers, EditableModel.Subgraph g, Tensor t) {
    if (g.outputs.contains(t)) return null;
    List<Operator> c = consumers.get(t);
    return c != null && c.size() == 1 ? c.get(0) : null;
  }

  /** How many op inputs refer to {@code t}. */
  static int uses(EditableModel.Subgraph g, Tensor t) {
    int n = 0;
    for (Operator op : g.operators) for (Tensor x : op.inputs) if (x == t) n++;
    return n;
  }

  /** Removes the tensors that no op, graph input or graph output refers to any more. */
  static void removeUnusedTensors(EditableModel.Subgraph g) {
    Set<Tensor> used = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Operator op : g.operators) {
      for (Tensor t : op.inputs) if (t != null) used.add(t);
      used.addAll(op.outputs);
      used.addAll(op.intermediates);
    }
    used.addAll(g.inputs);
    used.addAll(g.outputs);
    g.tensors.removeIf(t -> !used.contains(t));
  }
}
