package io.kompakt.compress.quant;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Folds batch normalizations left unfused in a float model into the layer before them, as TFLite's converter does
 * when it can: a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED (float32 constant weights, no fused activation) whose
 * output goes only to a MUL by a per-channel constant, then optionally to an ADD of a per-channel constant (or only to
 * such an ADD). The weights of output channel {@code c} are multiplied by {@code s[c]}, the bias becomes
 * {@code b[c] * s[c] + t[c]}, the last op's fused activation moves to the layer, and the MUL / ADD disappear. The
 * quantizer runs it first, so that the folded layer gets one set of int8 weights instead of two int8 element-wise ops
 * after it.
 */
public final class BatchNormFolder {
  private BatchNormFolder() {}

  /** What was folded: one line per layer. */
  public record Report(List<String> folded) {
    public int count() { return folded.size(); }
  }

  public static Report fold(EditableModel m) {
    List<String> done = new ArrayList<>();
    for (EditableModel.Subgraph g : m.subgraphs) {
      boolean changed = true;
      while (changed) {
        changed = false;
        Map<Tensor, List<Operator>> consumers = GraphEdits.consumers(g);
        for (Operator x : g.operators) {
          String name = x.opCode.name();
          if (!GraphEdits.isConvLike(name)) continue;
          if (x.options == null || !GraphEdits.activation(x).equals("NONE")) continue;
          Tensor w = x.inputs.size() > 1 ? x.inputs.get(1) : null;
          Tensor b = x.inputs.size() > 2 ? x.inputs.get(2) : null;
          if (!GraphEdits.isFloatConstant(w) || (b != null && !GraphEdits.isFloatConstant(b))) continue;
          Tensor out = x.outputs.get(0);
          int channels = out.shape[out.shape.length - 1];
          Operator next = GraphEdits.onlyConsumer(consumers, g, out);
          if (next == null) continue;
          float[] scale = null, shift = null;
          Operator last = null;
          if (next.opCode.name().equals("MUL") && GraphEdits.activation(next).equals("NONE")) {
            scale = perChannel(next, out, channels);
            if (scale == null) continue;
            last = next;
            Operator add = GraphEdits.onlyConsumer(consumers, g, next.outputs.get(0));
            if (add != null && add.opCode.name().equals("ADD")) {
              shift = perChannel(add, next.outputs.get(0), channels);
              if (shift != null) last = add;
            }
          } else if (next.opCode.name().equals("ADD")) {
            shift = perChannel(next, out, channels);
            if (shift == null) continue;
            last = next;
          } else {
            continue;
          }
          apply(m, g, x, w, b, channels, scale, shift, next, last);
          done.add(String.format("op %s '%s': %s%s folded", name, out.name, scale != null ? "MUL" : "", shift != null ? (scale != null ? " + ADD" : "ADD") : ""));
          changed = true;
          break; // the graph changed: recompute the consumers
        }
      }
    }
    if (!done.isEmpty()) m.removeUnusedBuffers();
    return new Report(done);
  }

  private static void apply(EditableModel m, EditableModel.Subgraph g, Operator x, Tensor w, Tensor b, int channels,
                            float[] scale, float[] shift, Operator first, Operator last) {
    float[] wv = w.floats();
    float[] bv = b == null ? new float[channels] : b.floats();
    if (scale != null) {
      boolean innermost = x.opCode.name().equals("DEPTHWISE_CONV_2D");
      int per = wv.length / channels;
      for (int i = 0; i < wv.length; i++) wv[i] *= scale[innermost ? i % channels : i / per];
      for (int c = 0; c < channels; c++) bv[c] *= scale[c];
    }
    if (shift != null) for (int c = 0; c < channels; c++) bv[c] += shift[c];
    Tensor nw = g.add(new Tensor(w.name + "/folded", TensorType.FLOAT32, w.shape.clone()));
    nw.buffer = m.addFloats(wv);
    Tensor nb = g.add(new Tensor(b == null ? x.outputs.get(0).name + "/bias" : b.name + "/folded", TensorType.FLOAT32, channels));
    nb.buffer = m.addFloats(bv);
    x.inputs.set(1, nw);
    if (x.inputs.size() > 2) x.inputs.set(2, nb);
    else x.inputs.add(nb);
    x.options.set("fused_activation_function", GraphEdits.activation(last));
    x.outputs.set(0, last.outputs.get(0));
    g.operators.removeIf(op -> op == first || op == last);
    GraphEdits.removeUnusedTensors(g);
  }

  /** The other input of a binary op reading {@code x}, as per-channel floats, if it is such a constant. */
  private static float[] perChannel(Operator op, Tensor x, int channels) {
    if (op.inputs.size() != 2 || op.outputs.size() != 1) return null;
    Tensor c = op.inputs.get(0) == x ? op.inputs.get(1) : op.inputs.get(1) == x ? op.inputs.get(0) : null;
    if (c == null || c == x || !GraphEdits.isFloatConstant(c) || c.elementCount() != channels) return null;
    if (c.shape.length > 0 && c.shape[c.shape.length - 1] != channels) return null;
    Tensor o = op.outputs.get(0);
    if (!java.util.Arrays.equals(o.shape, x.shape)) return null;
    return c.floats();
  }
}
