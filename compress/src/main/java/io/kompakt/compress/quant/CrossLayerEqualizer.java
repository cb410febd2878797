package io.kompakt.compress.quant;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cross-layer equalisation (Nagel, van Baalen, Blankevoort, Welling, "Data-Free Quantization Through Weight
 * Equalization and Bias Correction", ICCV 2019): for two consecutive layers, the first's output channel {@code i}
 * scaled by {@code 1 / s_i} and the second's matching input channel by {@code s_i} compute the same function when the
 * activation between them is positive-homogeneous ({@code relu(x / s) = relu(x) / s} for {@code s > 0}). With
 * {@code s_i = sqrt(r1_i * r2_i) / r2_i}, where {@code r1_i} is the largest |weight| of the first layer's output
 * channel {@code i} and {@code r2_i} that of the second layer's input channel {@code i}, both channels end up with
 * the range {@code sqrt(r1_i * r2_i)}: per-channel ranges become more alike, which is what per-tensor weight
 * quantization needs (and per-channel does not hurt from).
 *
 * <p>Pairs: the first a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED with fused activation NONE or RELU (RELU6 with
 * {@link Options#replaceRelu6}, which makes it RELU: the paper's choice; that changes the float model), whose output
 * only the second reads; the second a CONV_2D (input channels: the filter's last axis), a DEPTHWISE_CONV_2D (channel
 * {@code i} is both its input and, per depth multiplier, its output: depthwise -> pointwise chains equalise channel by
 * channel) or a FULLY_CONNECTED (input column {@code j} belongs to channel {@code j mod C}). Weights and biases must be
 * float constants used by no other op. A chain (conv -> depthwise -> pointwise -> ...) is swept pair by pair until the
 * scales settle ({@link Options#maxIterations}).
 */
public final class CrossLayerEqualizer {
  private CrossLayerEqualizer() {}

  /** Settings. */
  public static final class Options {
    boolean replaceRelu6;
    int maxIterations = 100;
    double tolerance = 1e-3;

    /** Also equalise layers with a fused RELU6, replacing it by RELU (not positive-homogeneous otherwise). */
    public Options replaceRelu6(boolean b) { replaceRelu6 = b; return this; }

    /**
     * Sweeps over all pairs at most this many times (default 100); stops earlier once a sweep's scales are all within
     * 1e-3 of 1 (a tenth of an 8-bit step: the ranges are equal for quantization).
     */
    public Options maxIterations(int n) {
      if (n < 1) throw new IllegalArgumentException("iterations must be at least 1: " + n);
      maxIterations = n;
      return this;
    }
  }

  /**
   * What was done.
   *
   * @param pairs one line per equalised pair, with the first layer's channel-range balance before and after
   * @param relu6Replaced the layers whose RELU6 became RELU (their output tensor names)
   * @param iterations the sweeps done
   */
  public record Report(List<String> pairs, List<String> relu6Replaced, int iterations) {
    public int count() { return pairs.size(); }

    /** Whether the float function changed (RELU6 replaced). */
    public boolean changesFloatModel() { return !relu6Replaced.isEmpty(); }
  }

  public static Report equalize(EditableModel m, Options o) {
    List<String> lines = new ArrayList<>(), replaced = new ArrayList<>();
    int sweeps = 0;
    for (EditableModel.Subgraph g : m.subgraphs) {
      Map<Tensor, List<Operator>> consumers = GraphEdits.consumers(g);
      Map<Operator, Layer> layers = new IdentityHashMap<>();
      List<Layer[]> pairs = new ArrayList<>();
      for (Operator a : g.operators) {
        Layer first = layer(g, a, layers);
        if (first == null) continue;
        String act = GraphEdits.activation(a);
        if (!(act.equals("NONE") || act.equals("RELU") || (act.equals("RELU6") && o.replaceRelu6))) continue;
        Tensor out = a.outputs.get(0);
        int c = first.outChannels();
        if (out.shape.length == 0 || out.shape[out.shape.length - 1] != c) continue;
        Operator b = GraphEdits.onlyConsumer(consumers, g, out);
        if (b == null || b.inputs.get(0) != out || b.inputs.lastIndexOf(out) != 0) continue;
        Layer second = layer(g, b, layers);
        if (second == null || !second.takes(c)) continue;
        pairs.add(new Layer[] {first, second});
      }
      if (pairs.isEmpty()) continue;
      double[] before = new double[pairs.size()];
      for (int p = 0; p < pairs.size(); p++) before[p] = balance(pairs.get(p)[0].outRanges());
      int sweep = 0;
      boolean settled = false;
      while (sweep < o.maxIterations && !settled) {
        sweep++;
        double change = 0;
        for (Layer[] p : pairs) {
          double[] r1 = p[0].outRanges(), r2 = p[1].inRanges(r1.length);
          double[] s = new double[r1.length];
          for (int i = 0; i < s.length; i++) {
            s[i] = r1[i] > 0 && r2[i] > 0 ? Math.sqrt(r1[i] * r2[i]) / r2[i] : 1;
            change = Math.max(change, Math.abs(s[i] - 1));
          }
          p[0].scaleOut(s);
          p[1].scaleIn(s);
        }
        settled = change < o.tolerance;
      }
      sweeps = Math.max(sweeps, sweep);
      for (int p = 0; p < pairs.size(); p++) {
        Layer a = pairs.get(p)[0], b = pairs.get(p)[1];
        if (GraphEdits.activation(a.op).equals("RELU6")) {
          a.op.options.set("fused_activation_function", "RELU");
          replaced.add(a.op.outputs.get(0).name);
        }
        lines.add(String.format(Locale.ROOT, "%s '%s' -> %s '%s': channel ranges, smallest / largest %.3f -> %.3f",
            a.op.opCode.name(), a.op.outputs.get(0).name, b.op.opCode.name(), b.op.outputs.get(0).name, before[p],
            balance(a.outRanges())));
      }
      for (Layer l : layers.values()) if (l != null) l.write(m);
    }
    if (!lines.isEmpty()) m.removeUnusedBuffers();
    return new Report(lines, replaced, sweeps);
  }

  /** The smallest non-zero range over the largest (1: all equal). */
  static double balance(double[] r) {
    double lo = Double.POSITIVE_INFINITY, hi = 0;
    for (double v : r) {
      if (v > 0) lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi > 0 ? lo / hi : 1;
  }

  /** The op as an equalisable layer (float constant weights and bias used by it alone, known layout), or null. */
  private static Layer layer(EditableModel.Subgraph g, Operator op, Map<Operator, Layer> layers) {
    if (layers.containsKey(op)) return layers.get(op);
    Layer l = null;
    String type = op.opCode.name();
    if (GraphEdits.isConvLike(type) && op.inputs.size() >= 2 && op.outputs.size() == 1) {
      Tensor w = op.inputs.get(1), b = op.inputs.size() > 2 ? op.inputs.get(2) : null;
      boolean ok = GraphEdits.isFloatConstant(w) && w.sparsity == null && GraphEdits.uses(g, w) == 1
          && (b == null || (GraphEdits.isFloatConstant(b) && GraphEdits.uses(g, b) == 1 && b.elementCount() == w.shape[type.equals("DEPTHWISE_CONV_2D") ? 3 : 0]));
      ok &= type.equals("FULLY_CONNECTED") ? w.shape.length == 2
          && (op.options == null || op.options.getEnumName("weights_format").equals("DEFAULT")) : w.shape.length == 4;
      if (ok) l = new Layer(op, type, w, b);
    }
    layers.put(op, l);
    return l;
  }

  /** A layer's float weights and bias while they are being rescaled. */
  private static final class Layer {
    final Operator op;
    final String type;
    final Tensor w, b;
    final float[] wv, bv;
    final int[] shape;
    boolean changed;

    Layer(Operator op, String type, Tensor w, Tensor b) {
      this.op = op;
      this.type = type;
      this.w = w;
      this.b = b;
      this.wv = w.floats();
      this.bv = b == null ? null : b.floats();
      this.shape = w.shape;
    }

    boolean depthwise() { return type.equals("DEPTHWISE_CONV_2D"); }

    int outChannels() { return depthwise() ? shape[3] : shape[0]; }

    /** The output channel of weight {@code i}. */
    int outChannel(int i) { return depthwise() ? i % shape[3] : i / (wv.length / shape[0]); }

    /** Whether the layer can read a tensor of {@code c} channels as its input channels. */
    boolean takes(int c) {
      switch (type) {
        case "CONV_2D": return shape[3] == c;
        case "DEPTHWISE_CONV_2D": return shape[3] % c == 0;
        default: return shape[1] % c == 0;
      }
    }

    /** The input channel (of {@code c}) of weight {@code i}. */
    int inChannel(int i, int c) {
      switch (type) {
        case "CONV_2D": return i % shape[3];
        case "DEPTHWISE_CONV_2D": return (i % shape[3]) / (shape[3] / c); // output k reads input k / multiplier
        default: return (i % shape[1]) % c;
      }
    }

    double[] outRanges() {
      double[] r = new double[outChannels()];
      for (int i = 0; i < wv.length; i++) {
        int c = outChannel(i);
        r[c] = Math.max(r[c], Math.abs(wv[i]));
      }
      return r;
    }

    double[] inRanges(int c) {
      double[] r = new double[c];
      for (int i = 0; i < wv.length; i++) {
        int k = inChannel(i, c);
        r[k] = Math.max(r[k], Math.abs(wv[i]));
      }
      return r;
    }

    /** Output channel {@code i} (weights and bias) divided by {@code s[i]}. */
    void scaleOut(double[] s) {
      for (int i = 0; i < wv.length; i++) wv[i] = (float) (wv[i] / s[outChannel(i)]);
      if (bv != null) for (int c = 0; c < bv.length; c++) bv[c] = (float) (bv[c] / s[c]);
      changed = true;
    }

    /** Input channel {@code i} multiplied by {@code s[i]}. */
    void scaleIn(double[] s) {
      for (int i = 0; i < wv.length; i++) wv[i] = (float) (wv[i] * s[inChannel(i, s.length)]);
      changed = true;
    }

    void write(EditableModel m) {
      if (!changed) return;
      w.buffer = m.addFloats(wv);
      if (b != null) b.buffer = m.addFloats(bv);
    }
  }
}
