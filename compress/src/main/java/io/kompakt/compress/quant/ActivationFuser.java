package io.kompakt.compress.quant;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fuses standalone activation ops into the op before them, as TFLite's converter does: a RELU, RELU6 or RELU_N1_TO_1
 * whose float input is written by a CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED or ADD without fused activation
 * ({@code NONE}), when nothing else reads that intermediate tensor and it is not a graph output, becomes the op's
 * fused activation; the op then writes the activation's output tensor (its name stays, as in converted models) and the
 * activation op and the intermediate tensor disappear. The float function is the same; quantized, the layer's output
 * gets the range after the activation (one requantization instead of two, and no codes spent on clipped values).
 */
public final class ActivationFuser {
  private ActivationFuser() {}

  /** Ops whose fused activation can take a standalone one. */
  static final Set<String> PRODUCERS = Set.of("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD");

  /** Standalone activations that have a fused form with the same name. */
  static final Set<String> ACTIVATIONS = Set.of("RELU", "RELU6", "RELU_N1_TO_1");

  /** What was fused: one line per activation. */
  public record Report(List<String> fused) {
    public int count() { return fused.size(); }
  }

  public static Report fuse(EditableModel m) {
    List<String> done = new ArrayList<>();
    for (EditableModel.Subgraph g : m.subgraphs) {
      Map<Tensor, List<Operator>> consumers = GraphEdits.consumers(g);
      Map<Tensor, Operator> producers = GraphEdits.producers(g);
      List<Operator> removed = new ArrayList<>();
      for (Operator act : g.operators) {
        String a = act.opCode.name();
        if (!ACTIVATIONS.contains(a) || act.inputs.size() != 1 || act.outputs.size() != 1) continue;
        Tensor x = act.inputs.get(0), y = act.outputs.get(0);
        if (x == null || x.type != TensorType.FLOAT32 || y.type != TensorType.FLOAT32) continue;
        if (g.inputs.contains(x) || GraphEdits.onlyConsumer(consumers, g, x) != act) continue;
        Operator p = producers.get(x);
        if (p == null || !PRODUCERS.contains(p.opCode.name()) || p.outputs.size() != 1) continue;
        if (!GraphEdits.hasFusedActivation(p) || !GraphEdits.activation(p).equals("NONE")) continue;
        p.options.set("fused_activation_function", a);
        p.outputs.set(0, y);
        producers.put(y, p);
        removed.add(act);
        done.add(String.format("%s after %s '%s' fused, output '%s'", a, p.opCode.name(), x.name, y.name));
      }
      if (removed.isEmpty()) continue;
      g.operators.removeAll(removed); // Operator has identity equality
      GraphEdits.removeUnusedTensors(g);
    }
    return new Report(done);
  }
}
