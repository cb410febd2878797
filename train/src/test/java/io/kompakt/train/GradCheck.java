package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Finite-difference gradient checks: the loss is {@code sum(r * logits)} with random weights {@code r} (or the
 * cross-entropy when the model ends in SOFTMAX), computed in double from the float32 forward pass; every trainable
 * value's analytic gradient must match the central difference. A coordinate whose perturbation moves any activation
 * across a kink (a ReLU/clamp bound, a hard-swish corner, a different max-pool winner) is checked by the one-sided difference
 * of the other side, and skipped if both sides cross one; at most a quarter may be (by default), so a check cannot pass vacuously.
 */
final class GradCheck {
  private GradCheck() {}

  static Model load(EditableModel m) { return Model.from(ModelWriter.toBytes(m)); }

  /** Checks every trainable value of the model (or {@code maxPerParam} of each, spread evenly). */
  static void check(EditableModel em, long seed, int maxPerParam) { check(em, seed, maxPerParam, 0.25); }

  /** As above; at most {@code maxSkipped} of the coordinates may lie at kinks (larger networks have more). */
  static void check(EditableModel em, long seed, int maxPerParam, double maxSkipped) {
    TrainGraph g = TrainGraph.of(load(em));
    Workspace ws = g.newWorkspace();
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[g.inputSize()];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    int classes = g.classes();
    float[] r = new float[classes];
    for (int i = 0; i < classes; i++) r[i] = (float) (rnd.nextDouble() * 2 - 1);
    int label = rnd.nextInt(classes);
    // analytic
    float[] out = g.forward(ws, x);
    float[] d = new float[classes];
    if (g.softmaxHead()) {
      for (int c = 0; c < classes; c++) d[c] = out[c] - (c == label ? 1 : 0);
    } else {
      System.arraycopy(r, 0, d, 0, classes);
    }
    ws.zeroParamGrads(g);
    g.backward(ws, d);
    int[] base = regions(g, ws);
    int checked = 0, skipped = 0;
    double eps = 1e-3;
    StringBuilder failures = new StringBuilder();
    for (Param p : g.params()) {
      float[] grad = ws.gradient(p.tensor).clone();
      int n = p.size(), stride = Math.max(1, n / maxPerParam);
      for (int k = 0; k < n; k += stride) {
        float orig = p.values[k];
        double center = loss(g, ws, x, r, label);
        p.values[k] = (float) (orig + eps);
        g.refresh();
        double up = loss(g, ws, x, r, label);
        boolean upKink = !Arrays.equals(base, regions(g, ws));
        double hUp = (double) p.values[k] - orig;
        p.values[k] = (float) (orig - eps);
        g.refresh();
        double down = loss(g, ws, x, r, label);
        boolean downKink = !Arrays.equals(base, regions(g, ws));
        double hDown = orig - (double) p.values[k];
        p.values[k] = orig;
        g.refresh();
        double numeric;
        if (!upKink && !downKink) numeric = (up - down) / (hUp + hDown);
        else if (!upKink) numeric = (up - center) / hUp; // one side crosses a kink: the other side's difference
        else if (!downKink) numeric = (center - down) / hDown;
        else {
          skipped++;
          continue;
        }
        double tol = 2e-3 + 1e-2 * Math.max(Math.abs(numeric), Math.abs(grad[k]));
        checked++;
        if (Math.abs(numeric - grad[k]) > tol) {
          failures.append(String.format("%n  %s[%d]: analytic %.6g, numeric %.6g", p.name, k, grad[k], numeric));
        }
      }
    }
    assertTrue(failures.length() == 0, "gradients differ from finite differences:" + failures);
    assertTrue(checked > 0 && skipped <= maxSkipped * (checked + skipped), "too many coordinates at kinks: " + skipped + " of " + (checked + skipped));
  }

  private static double loss(TrainGraph g, Workspace ws, float[] x, float[] r, int label) {
    float[] out = g.forward(ws, x);
    if (g.softmaxHead()) return -Math.log(out[label]);
    double l = 0;
    for (int i = 0; i < out.length; i++) l += (double) r[i] * out[i];
    return l;
  }

  /**
   * Which piece of its piecewise-linear function each value lies on, for every kinked function of the graph: the
   * outputs of fused activations, the inputs of RELU / RELU6 / RELU_N1_TO_1 / HARD_SWISH, and the max-pool winners.
   */
  private static int[] regions(TrainGraph g, Workspace ws) {
    java.util.List<Integer> reg = new java.util.ArrayList<>();
    for (Node n : g.nodes()) {
      Activation act = n instanceof ConvNode ? ((ConvNode) n).act : n instanceof DepthwiseNode ? ((DepthwiseNode) n).act
          : n instanceof DenseNode ? ((DenseNode) n).act : n instanceof PoolNode ? ((PoolNode) n).act
          : n instanceof BinaryNode ? ((BinaryNode) n).act : n instanceof ConcatNode ? ((ConcatNode) n).act : Activation.NONE;
      if (act != Activation.NONE) addRegions(reg, ws.activation(n.output), act.min, act.max);
      if (n instanceof UnaryNode) {
        float[] in = ws.activation(n.inputs[0]);
        switch (n.op) {
          case "RELU": addRegions(reg, in, 0); break;
          case "RELU6": addRegions(reg, in, 0, 6); break;
          case "RELU_N1_TO_1": addRegions(reg, in, -1, 1); break;
          case "HARD_SWISH": addRegions(reg, in, -3, 3); break;
          default: break;
        }
      }
      int[] s = ws.scratch[n.id];
      if (s != null) for (int v : s) reg.add(v);
    }
    return reg.stream().mapToInt(Integer::intValue).toArray();
  }

  private static void addRegions(java.util.List<Integer> reg, float[] x, float... bounds) {
    for (float v : x) {
      int k = 0;
      for (float b : bounds) if (v > b) k++;
      reg.add(k);
    }
  }
}
