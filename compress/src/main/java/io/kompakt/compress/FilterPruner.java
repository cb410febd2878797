package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

/**
 * Structured pruning: removes whole filters of CONV_2D (output channels) and neurons of FULLY_CONNECTED (units), the
 * ones of least L1 (or L2) norm, and rewires everything downstream, so the model gets smaller in every dimension and
 * runs in the ordinary dense kernels.
 *
 * <p>A layer's output channels are followed through the ops that treat channels independently, which are rewired
 * along: DEPTHWISE_CONV_2D with depth multiplier 1 (its filter and bias lose the channels, its output is followed on),
 * AVERAGE/MAX/L2 pooling, MEAN and the other reductions over other axes than the channels, PAD / PADV2 / MIRROR_PAD
 * that leave the channels alone, RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, SQUEEZE, element-wise activations (RELU,
 * RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, ...), and RESHAPE where the channels stay the innermost dimension (a
 * flatten [1, h, w, c] to [1, h*w*c] included: the following dense layer loses the columns of the removed channels at
 * every position). The channels end where a CONV_2D or FULLY_CONNECTED reads them: its weights lose those input
 * columns.
 *
 * <p><b>Channel groups.</b> ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM and SQUARED_DIFFERENCE tie the channels of their
 * operands together (an operand of one channel, such as a scalar, broadcasts and is not tied): the layers whose outputs
 * meet there, transitively (a residual stream through several ADDs, the block input being an earlier projection's
 * output; a squeeze-and-excite gate and the features it scales), form one group that loses the same channel indices,
 * ranked by the norm of each channel's filters in all of them (L1: the sum of the layers' L1 norms; L2: the root of the
 * sum of their squares). Every reader of every tensor of the group is rewired.
 *
 * <p><b>CONCATENATION</b> along the channels: each input owns a range of the output's channels, so the output's
 * channels are the inputs' groups one after the other (a concatenation of concatenations too); readers of the output
 * lose the mapped positions. Inputs that no prunable layer makes (a pool of the graph input) keep their channels.
 *
 * <p>A group is skipped whole, with the reason in the report, when any of its channels reach something that cannot
 * lose them: SOFTMAX, a graph output, an ADD with a per-channel constant or with an operand from a non-prunable op, an
 * ADD (or other binary op) of a concatenated or flattened tensor, a concatenation along another axis, a grouped conv,
 * a depthwise conv with a multiplier, any other op; or when one of its layers has shared, non-constant or sparse
 * weights or is not selected. Batch normalization is already folded into the biases of a .tflite file. Float (float32,
 * float16) and quantized (int8/uint8, per-channel scales and zero points sliced along) weights; quantized activations
 * keep their per-tensor parameters.
 */
public final class FilterPruner {
  private FilterPruner() {}

  /** Which norm ranks the filters. */
  public enum Norm { L1, L2 }

  /** What to prune and how much. */
  public static final class Options {
    double factor = 0.25;
    Norm norm = Norm.L1;
    Set<String> ops = new LinkedHashSet<>(List.of("CONV_2D", "FULLY_CONNECTED"));
    Pattern include;
    Set<String> skip = new LinkedHashSet<>();

    /** Share of each layer's filters removed, in [0, 1) (at least one filter always stays). */
    public Options factor(double f) {
      if (!(f >= 0 && f < 1)) throw new IllegalArgumentException("filter factor must be in [0, 1); got " + f);
      factor = f;
      return this;
    }

    public double factor() { return factor; }

    public Options norm(Norm n) { norm = java.util.Objects.requireNonNull(n); return this; }

    /** Op types whose filters are removed: CONV_2D, FULLY_CONNECTED. */
    public Options ops(Set<String> names) {
      for (String n : names) {
        if (!List.of("CONV_2D", "FULLY_CONNECTED").contains(n)) throw new IllegalArgumentException("cannot remove filters of op type " + n);
      }
      ops = new LinkedHashSet<>(names);
      return this;
    }

    /** Only layers whose weight or output name contains a match of {@code regex} (null: all). */
    public Options include(String regex) { include = regex == null ? null : Pattern.compile(regex); return this; }

    /** Layers (weight or output names) left alone. */
    public Options skip(Set<String> names) { skip = new LinkedHashSet<>(names); return this; }

    Options copy() {
      Options o = new Options();
      o.factor = factor;
      o.norm = norm;
      o.ops = new LinkedHashSet<>(ops);
      o.include = include;
      o.skip = new LinkedHashSet<>(skip);
      return o;
    }
  }

  /**
   * One layer considered: its weight's name, op type, filters before and after, and why it was left alone (null when
   * pruned).
   */
  public record Layer(String name, String op, int before, int after, String skipped) {}

  /**
   * Layers whose output channels are tied together (by ADD, MUL, ... of their outputs, directly or through a residual
   * stream), so they lose the same channels: their weights' names, the ops that tie them, the channels before and after,
   * and why the group was left alone (null when pruned).
   */
  public record Group(List<String> layers, List<String> tiedBy, int before, int after, String skipped) {}

  /** Every layer considered, the channel groups of more than one layer, and the parameters (constant elements) before and after. */
  public record Report(List<Layer> layers, List<Group> groups, long paramsBefore, long paramsAfter) {
    public List<Layer> pruned() { return layers.stream().filter(l -> l.skipped() == null).toList(); }

    public List<Layer> skipped() { return layers.stream().filter(l -> l.skipped() != null).toList(); }
  }

  /** Prunes {@code m} in place. */
  public static Report prune(EditableModel m, Options o) {
    long before = params(m);
    List<Layer> layers = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    for (EditableModel.Subgraph g : m.subgraphs) {
      Graph graph = new Graph(m, g, o);
      graph.analyse();
      graph.prune(layers, groups);
    }
    m.removeUnusedBuffers();
    return new Report(layers, groups, before, params(m));
  }

  /** One step of a search for the largest factor that keeps an evaluation at or above a floor. */
  public record Step(double factor, double score, long params) {}

  /** The result of {@link #pruneToFloor}: the model at the largest accepted factor (the original if none), and each step. */
  public record FloorResult(EditableModel model, double factor, Report report, List<Step> steps) {}

  /**
   * Prunes copies of {@code original} at factors {@code step, 2 step, ...} up to {@code maxFactor} with the other
   * options of {@code o}, evaluates each pruned model, and keeps the largest factor whose score is at least
   * {@code floor}; stops at the first factor below the floor. {@code original} is not changed.
   */
  public static FloorResult pruneToFloor(EditableModel original, Options o, ToDoubleFunction<Model> evaluator, double floor, double step,
                                         double maxFactor) {
    if (!(step > 0 && step < 1)) throw new IllegalArgumentException("step must be in (0, 1); got " + step);
    if (!(maxFactor > 0 && maxFactor < 1)) throw new IllegalArgumentException("max factor must be in (0, 1); got " + maxFactor);
    byte[] bytes = ModelWriter.toBytes(original);
    List<Step> steps = new ArrayList<>();
    EditableModel best = EditableModel.from(Model.from(bytes));
    double bestFactor = 0;
    Report bestReport = new Report(List.of(), List.of(), params(best), params(best));
    for (int i = 1; i * step <= maxFactor + 1e-9; i++) {
      double f = Math.min(maxFactor, i * step);
      EditableModel copy = EditableModel.from(Model.from(bytes));
      Report r = prune(copy, o.copy().factor(f));
      double score = evaluator.applyAsDouble(Model.from(ModelWriter.toBytes(copy)));
      steps.add(new Step(f, score, r.paramsAfter()));
      if (!(score >= floor)) break;
      best = copy;
      bestFactor = f;
      bestReport = r;
    }
    return new FloorResult(best, bestFactor, bestReport, steps);
  }

  // ------------------------------------------------------------------------------------------------ planning

  /**
   * A set of channels that must stay aligned: the outputs of the producers (CONV_2D, FULLY_CONNECTED) joined by ADD and
   * the other element-wise binary ops, transitively (union-find). A node without producers stands for the channels of
   * a CONCATENATION input that no prunable layer makes: they are never removed.
   */
  private static final class Node {
    Node parent = this;
    final int channels;
    /** The channel count as pruning goes on (changes once, when the node's group is pruned). */
    int current;
    final List<EditableModel.Operator> producers = new ArrayList<>();
    final List<Reason> blocked = new ArrayList<>();
    final Set<String> tiedBy = new LinkedHashSet<>();

    Node(int channels) { this.channels = channels; current = channels; }

    Node root() {
      Node r = this;
      while (r.parent != r) r = r.parent;
      for (Node n = this; n != r; ) {
        Node next = n.parent;
        n.parent = r;
        n = next;
      }
      return r;
    }
  }

  /**
   * Why a group cannot be pruned: {@code self} as the layer {@code who} (null: a path of the group) sees it, {@code others}
   * as the other layers of its group see it.
   */
  private record Reason(EditableModel.Operator who, String self, String others) {
    String text(EditableModel.Operator layer) { return who == null || who == layer ? self : others; }
  }

  /**
   * Where a tensor's last dimension comes from: the channels of {@code parts} one after the other (more than one after a
   * CONCATENATION along the channels), the whole repeated {@code repeat} times (a flattened tensor: positions outside,
   * channels inside).
   */
  private record Layout(List<Node> parts, int repeat) {
    static Layout of(Node n) { return new Layout(List.of(n), 1); }

    boolean atomic() { return parts.size() == 1 && repeat == 1; }

    /** The current number of channels of one repetition. */
    int channels() {
      int n = 0;
      for (Node p : parts) n += p.root().current;
      return n;
    }

    boolean contains(Node root) {
      for (Node p : parts) if (p.root() == root) return true;
      return false;
    }

    /** The flags of the current last dimension that stay when {@code root}'s channels are reduced to {@code keep}. */
    boolean[] mask(Node root, boolean[] keep) {
      int one = channels();
      boolean[] r = new boolean[one * repeat];
      int at = 0;
      for (Node p : parts) {
        Node q = p.root();
        for (int i = 0; i < q.current; i++) r[at++] = q != root || keep[i];
      }
      for (int k = 1; k < repeat; k++) System.arraycopy(r, 0, r, k * one, one);
      return r;
    }
  }

  /** An op that reads channels of {@code layout}: a depthwise conv (filter axis 3, bias) or a consumer (weights' input axis). */
  private record Use(EditableModel.Operator op, Layout layout) {}

  private static final Set<String> ELEMENTWISE = Set.of("RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH",
      "HARD_SWISH", "ELU", "LEAKY_RELU", "ABS", "NEG", "EXP", "SQUARE", "SQRT", "RSQRT", "FLOOR", "CEIL", "ROUND", "GELU",
      "QUANTIZE", "DEQUANTIZE");

  /** Element-wise binary ops: operands with the channels as last dimension must lose the same channels. */
  private static final Set<String> BINARY = Set.of("ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE");

  /** The channel analysis and the pruning of one subgraph. */
  private static final class Graph {
    final EditableModel m;
    final EditableModel.Subgraph g;
    final Options o;
    final Map<EditableModel.Tensor, Layout> layouts = new IdentityHashMap<>();
    final Map<EditableModel.Tensor, Integer> reads = new IdentityHashMap<>();
    final Map<EditableModel.Operator, Integer> index = new IdentityHashMap<>();
    final Map<EditableModel.Operator, Node> produced = new IdentityHashMap<>();
    final Set<EditableModel.Operator> selected = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    final List<Use> depthwise = new ArrayList<>();
    final List<Use> consumers = new ArrayList<>();
    final List<EditableModel.Operator> reshapes = new ArrayList<>();

    Graph(EditableModel m, EditableModel.Subgraph g, Options o) {
      this.m = m;
      this.g = g;
      this.o = o;
      for (EditableModel.Operator op : g.operators) for (EditableModel.Tensor t : op.inputs) if (t != null) reads.merge(t, 1, Integer::sum);
    }

    int uses(EditableModel.Tensor t) { return reads.getOrDefault(t, 0); }

    /** Walks the ops in execution order: each tracked tensor's readers, then each layer's output as new channels. */
    void analyse() {
      for (int i = 0; i < g.operators.size(); i++) {
        EditableModel.Operator op = g.operators.get(i);
        index.put(op, i);
        visit(op);
        String type = op.opCode.name();
        if ((type.equals("CONV_2D") || type.equals("FULLY_CONNECTED")) && op.inputs.size() >= 2 && op.outputs.size() == 1
            && op.inputs.get(1) != null) {
          produce(op);
        }
      }
    }

    private void produce(EditableModel.Operator op) {
      String type = op.opCode.name();
      EditableModel.Tensor w = op.inputs.get(1), out = op.outputs.get(0);
      int channels = w.shape.length > 0 ? w.shape[0] : 0;
      Node n = new Node(channels);
      n.producers.add(op);
      produced.put(op, n);
      boolean chosen = o.ops.contains(type) && !o.skip.contains(w.name) && !o.skip.contains(out.name)
          && (o.include == null || o.include.matcher(w.name).find() || o.include.matcher(out.name).find());
      if (chosen) selected.add(op);
      else n.blocked.add(new Reason(op, "not selected", "its channels are tied to '" + w.name + "', which is not selected"));
      String why = check(op);
      if (why != null) n.blocked.add(new Reason(op, why, "'" + w.name + "' of its channel group: " + why));
      if (out.shape.length > 0 && out.shape[out.shape.length - 1] == channels && channels > 0) set(out, Layout.of(n));
    }

    /** Why the layer's own weights cannot lose filters, or null. */
    private String check(EditableModel.Operator op) {
      EditableModel.Tensor w = op.inputs.get(1), bias = op.inputs.size() > 2 ? op.inputs.get(2) : null;
      if (!constant(w)) return "weights are not a constant";
      if (w.sparsity != null) return "weights are stored sparse (densify first)";
      if (bias != null && !constant(bias)) return "bias is not a constant";
      if (uses(w) != 1 || (bias != null && uses(bias) != 1)) return "weights or bias are shared with another op";
      if (op.opCode.name().equals("CONV_2D") && w.shape.length != 4) return "filter is not 4-D";
      if (op.opCode.name().equals("FULLY_CONNECTED")) {
        if (w.shape.length != 2) return "weights are not 2-D";
        if (!defaultFormat(op)) return "weights format is not DEFAULT";
      }
      EditableModel.Tensor out = op.outputs.get(0);
      if (out.shape.length == 0 || out.shape[out.shape.length - 1] != w.shape[0]) return "output's last dimension is not the filters";
      if (w.shape[0] < 2) return "a single filter";
      return null;
    }

    /** Gives {@code t} its layout and blocks it where it cannot be followed. */
    private void set(EditableModel.Tensor t, Layout l) {
      layouts.put(t, l);
      if (g.outputs.contains(t)) block(l, "channels reach graph output '" + t.name + "'");
      else if (last(t) != l.channels() * l.repeat()) block(l, "tensor '" + t.name + "' does not end in the channels");
      else if (uses(t) == 0) block(l, "'" + t.name + "' is not consumed");
    }

    private void block(Layout l, String why) {
      for (Node p : l.parts()) p.root().blocked.add(new Reason(null, why, why));
    }

    private Node union(Node a, Node b) {
      Node ra = a.root(), rb = b.root();
      if (ra == rb) return ra;
      rb.parent = ra;
      ra.producers.addAll(rb.producers);
      ra.blocked.addAll(rb.blocked);
      ra.tiedBy.addAll(rb.tiedBy);
      return ra;
    }

    /** {@code c} as a reader of tracked tensors. */
    private void visit(EditableModel.Operator c) {
      List<Integer> at = new ArrayList<>();
      for (int i = 0; i < c.inputs.size(); i++) if (c.inputs.get(i) != null && layouts.containsKey(c.inputs.get(i))) at.add(i);
      if (at.isEmpty()) return;
      String type = c.opCode.name();
      if (BINARY.contains(type)) {
        binary(c);
        return;
      }
      if (type.equals("CONCATENATION")) {
        concat(c);
        return;
      }
      String why = read(c, type, at);
      if (why != null) for (int i : at) block(layouts.get(c.inputs.get(i)), why);
    }

    /** An op reading tracked channels as its only tracked input (normally input 0): null if followed, else why not. */
    private String read(EditableModel.Operator c, String type, List<Integer> at) {
      EditableModel.Tensor t = c.inputs.get(at.get(0));
      Layout l = layouts.get(t);
      boolean known = List.of("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D",
          "MEAN", "REDUCE_MAX", "REDUCE_MIN", "SUM", "REDUCE_PROD", "RESHAPE", "SQUEEZE", "PAD", "PADV2", "MIRROR_PAD",
          "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR").contains(type) || (ELEMENTWISE.contains(type) && c.inputs.size() == 1);
      if (!known) return "channels of '" + t.name + "' reach " + type;
      if (at.size() > 1 || at.get(0) != 0) {
        int i = at.get(0) != 0 ? at.get(0) : at.get(1);
        EditableModel.Tensor x = c.inputs.get(i);
        if (x == c.inputs.get(0)) return type + " reads '" + x.name + "' twice";
        if (type.equals("RESHAPE")) return "'" + x.name + "' is the shape of a RESHAPE";
        return "'" + x.name + "' is a weight of " + type;
      }
      if (c.outputs.size() != 1) return type + " with " + c.outputs.size() + " outputs";
      EditableModel.Tensor y = c.outputs.get(0);
      switch (type) {
        case "CONV_2D": {
          if (l.repeat() != 1) return "a flattened tensor feeds CONV_2D";
          EditableModel.Tensor f = c.inputs.get(1);
          if (!constant(f) || uses(f) != 1 || f.sparsity != null || f.shape.length != 4) {
            return "CONV_2D reading '" + t.name + "' has a non-constant, shared or sparse filter";
          }
          if (f.shape[3] != l.channels()) return "CONV_2D reading '" + t.name + "' is a grouped convolution";
          consumers.add(new Use(c, l));
          return null;
        }
        case "FULLY_CONNECTED": {
          EditableModel.Tensor w = c.inputs.get(1);
          if (!constant(w) || uses(w) != 1 || w.sparsity != null || w.shape.length != 2 || !defaultFormat(c)) {
            return "FULLY_CONNECTED reading '" + t.name + "' has a non-constant, shared or sparse weight";
          }
          if (w.shape[1] != l.channels() * l.repeat()) return "FULLY_CONNECTED reading '" + t.name + "' does not take its last dimension as depth";
          consumers.add(new Use(c, l));
          return null;
        }
        case "DEPTHWISE_CONV_2D": {
          EditableModel.Tensor f = c.inputs.get(1), b = c.inputs.size() > 2 ? c.inputs.get(2) : null;
          if (l.repeat() != 1 || f.shape.length != 4 || f.shape[3] != l.channels() || (c.options != null && c.options.getInt("depth_multiplier") > 1)) {
            return "DEPTHWISE_CONV_2D with a depth multiplier";
          }
          if (!constant(f) || uses(f) != 1 || f.sparsity != null || (b != null && (!constant(b) || uses(b) != 1))) {
            return "DEPTHWISE_CONV_2D reading '" + t.name + "' has a non-constant or shared filter or bias";
          }
          depthwise.add(new Use(c, l));
          break;
        }
        case "AVERAGE_POOL_2D": case "MAX_POOL_2D": case "L2_POOL_2D": case "RESIZE_BILINEAR": case "RESIZE_NEAREST_NEIGHBOR":
          if (l.repeat() != 1) return type + " of a flattened tensor";
          break;
        case "MEAN": case "REDUCE_MAX": case "REDUCE_MIN": case "SUM": case "REDUCE_PROD": {
          if (l.repeat() != 1 || c.inputs.size() < 2 || !constant(c.inputs.get(1))) return type + " with axes that are not constant";
          int rank = t.shape.length;
          for (int a : ints(c.inputs.get(1))) if (a == rank - 1 || a == -1) return type + " over the channels";
          break;
        }
        case "RESHAPE": {
          int last = last(y), one = l.channels();
          if (last == 0 || last % one != 0) return "RESHAPE '" + y.name + "' splits the channels";
          if (c.inputs.size() > 1 && c.inputs.get(1) != null && (!constant(c.inputs.get(1)) || uses(c.inputs.get(1)) != 1)) {
            return "RESHAPE '" + y.name + "' has a non-constant or shared shape";
          }
          reshapes.add(c);
          set(y, new Layout(l.parts(), last / one));
          return null;
        }
        case "SQUEEZE":
          if (last(y) != last(t)) return "SQUEEZE '" + y.name + "' removes the channels";
          break;
        case "PAD": case "PADV2": case "MIRROR_PAD": {
          EditableModel.Tensor p = c.inputs.size() > 1 ? c.inputs.get(1) : null;
          if (p == null || !constant(p)) return type + " with paddings that are not constant";
          int[] v = ints(p);
          if (v.length != 2 * t.shape.length || v[v.length - 2] != 0 || v[v.length - 1] != 0) return type + " '" + y.name + "' pads the channels";
          break;
        }
        default:
          break;   // element-wise
      }
      set(y, l);
      return null;
    }

    /** ADD, MUL, ...: every operand that holds the channels joins one group; an operand of one channel broadcasts. */
    private void binary(EditableModel.Operator c) {
      String type = c.opCode.name();
      List<Layout> tracked = new ArrayList<>();
      String why = c.outputs.size() != 1 ? type + " with " + c.outputs.size() + " outputs" : null;
      EditableModel.Tensor y = c.outputs.get(0);
      int yl = last(y);
      for (EditableModel.Tensor x : c.inputs) {
        if (x == null) continue;
        Layout l = layouts.get(x);
        if (l != null) {
          tracked.add(l);
          if (!l.atomic()) why = type + " '" + y.name + "' of a concatenated or flattened tensor '" + x.name + "'";
          else if (last(x) != yl) why = type + " '" + y.name + "' broadcasts '" + x.name + "' along the channels";
        } else if (last(x) != 1 || yl == 1) {
          why = constant(x) ? type + " '" + y.name + "' with a per-channel constant '" + x.name + "'"
              : type + " '" + y.name + "': operand '" + x.name + "' does not come from a prunable layer";
        }
      }
      if (why != null) {
        for (Layout l : tracked) block(l, why);
        return;
      }
      Node r = tracked.get(0).parts().get(0).root();
      for (Layout l : tracked) r = union(r, l.parts().get(0));
      if (tracked.size() > 1) r.tiedBy.add(type);
      set(y, Layout.of(r));
    }

    /** CONCATENATION along the channels: the output's channels are the inputs' one after the other. */
    private void concat(EditableModel.Operator c) {
      EditableModel.Tensor y = c.outputs.get(0);
      int rank = y.shape.length;
      int axis = c.options == null ? 0 : c.options.getInt("axis");
      if (axis < 0) axis += rank;
      String why = c.outputs.size() != 1 ? "CONCATENATION with " + c.outputs.size() + " outputs"
          : axis != rank - 1 ? "CONCATENATION '" + y.name + "' along axis " + axis + ", not the channels" : null;
      List<Layout> tracked = new ArrayList<>();
      List<Node> parts = new ArrayList<>();
      for (EditableModel.Tensor x : c.inputs) {
        if (x == null) continue;
        Layout l = layouts.get(x);
        if (l == null) {
          parts.add(new Node(last(x)));   // channels no prunable layer makes: they stay
          continue;
        }
        tracked.add(l);
        if (l.repeat() != 1) why = "CONCATENATION '" + y.name + "' of a flattened tensor '" + x.name + "'";
        parts.addAll(l.parts());
      }
      if (why != null) {
        for (Layout l : tracked) block(l, why);
        return;
      }
      set(y, new Layout(parts, 1));
    }

    /** Prunes each group that can be, in the order of its first layer; reports every selected layer. */
    void prune(List<Layer> layers, List<Group> groups) {
      List<Node> roots = new ArrayList<>();
      Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      for (Node n : produced.values()) if (seen.add(n.root())) roots.add(n.root());
      for (Node r : roots) r.producers.sort(java.util.Comparator.comparingInt(index::get));
      roots.sort(java.util.Comparator.comparingInt(r -> index.get(r.producers.get(0))));
      Map<EditableModel.Operator, Layer> byOp = new IdentityHashMap<>();
      for (Node r : roots) {
        List<EditableModel.Operator> chosen = r.producers.stream().filter(selected::contains).toList();
        if (chosen.isEmpty()) continue;
        int channels = r.channels;
        int remove = (int) Math.min(channels - 1, Math.round(o.factor * channels));
        String noop = r.blocked.isEmpty() && remove <= 0 ? "factor removes no filter" : null;
        boolean pruned = r.blocked.isEmpty() && remove > 0;
        if (pruned) {
          double[] score = new double[channels];
          for (EditableModel.Operator p : r.producers) {
            double[] n = norms(p.inputs.get(1), o.norm);
            for (int i = 0; i < channels; i++) score[i] += o.norm == Norm.L1 ? n[i] : n[i] * n[i];
          }
          if (o.norm == Norm.L2) for (int i = 0; i < channels; i++) score[i] = Math.sqrt(score[i]);
          apply(r, choose(score, remove));
        }
        int after = pruned ? channels - remove : channels;
        for (EditableModel.Operator p : chosen) {
          String why = pruned ? null : noop != null ? noop : r.blocked.get(0).text(p);
          byOp.put(p, new Layer(p.inputs.get(1).name, p.opCode.name(), channels, after, why));
        }
        if (r.producers.size() > 1) {
          groups.add(new Group(r.producers.stream().map(p -> p.inputs.get(1).name).toList(), List.copyOf(r.tiedBy), channels, after,
              pruned ? null : noop != null ? noop : r.blocked.get(0).others()));
        }
      }
      for (EditableModel.Operator op : g.operators) if (byOp.containsKey(op)) layers.add(byOp.get(op));
    }

    /** Removes the channels {@code keep} leaves out of group {@code root} everywhere they occur. */
    private void apply(Node root, boolean[] keep) {
      int kept = 0;
      for (boolean k : keep) if (k) kept++;
      if (kept == keep.length) throw new IllegalStateException("nothing removed");
      for (EditableModel.Operator p : root.producers) {
        slice(m, p.inputs.get(1), 0, keep);
        if (p.inputs.size() > 2 && p.inputs.get(2) != null) slice(m, p.inputs.get(2), 0, keep);
      }
      List<Runnable> later = new ArrayList<>();
      for (Use u : depthwise) {
        if (!u.layout().contains(root)) continue;
        boolean[] mask = u.layout().mask(root, keep);
        later.add(() -> {
          slice(m, u.op().inputs.get(1), 3, mask);
          if (u.op().inputs.size() > 2 && u.op().inputs.get(2) != null) slice(m, u.op().inputs.get(2), 0, mask);
        });
      }
      for (Use u : consumers) {
        if (!u.layout().contains(root)) continue;
        boolean[] mask = u.layout().mask(root, keep);
        boolean conv = u.op().opCode.name().equals("CONV_2D");
        later.add(() -> slice(m, u.op().inputs.get(1), conv ? 3 : 1, mask));
      }
      later.forEach(Runnable::run);
      root.current = kept;
      for (Map.Entry<EditableModel.Tensor, Layout> e : layouts.entrySet()) {
        if (!e.getValue().contains(root)) continue;
        EditableModel.Tensor t = e.getKey();
        int n = e.getValue().channels() * e.getValue().repeat();
        t.shape = t.shape.clone();
        t.shape[t.shape.length - 1] = n;
        if (t.shapeSignature != null && t.shapeSignature.length == t.shape.length && t.shapeSignature[t.shape.length - 1] > 0) {
          t.shapeSignature = t.shapeSignature.clone();
          t.shapeSignature[t.shape.length - 1] = n;
        }
      }
      for (EditableModel.Operator rs : reshapes) if (layouts.get(rs.outputs.get(0)).contains(root)) ReshapeTargets.followOutput(m, rs);
    }
  }

  private static boolean defaultFormat(EditableModel.Operator op) {
    FlatTable o = op.options;
    return o == null || o.getEnumName("weights_format").equals("DEFAULT");
  }

  private static int last(EditableModel.Tensor t) { return t.shape.length == 0 ? 1 : t.shape[t.shape.length - 1]; }

  // ------------------------------------------------------------------------------------------------ applying

  /** Keeps the indices {@code keep} of {@code axis} of a constant tensor (its buffer, shape and per-axis quantization). */
  static void slice(EditableModel m, EditableModel.Tensor t, int axis, boolean[] keep) {
    int[] shape = t.shape;
    if (axis >= shape.length || shape[axis] != keep.length) {
      throw new IllegalStateException("cannot slice " + t + " along axis " + axis + " with " + keep.length + " flags");
    }
    int outer = 1, inner = 1, kept = 0;
    for (int i = 0; i < axis; i++) outer *= shape[i];
    for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    for (boolean k : keep) if (k) kept++;
    int elem = (int) t.type.bytesFor(1);
    ByteBuffer src = t.buffer.data();
    ByteBuffer dst = ByteBuffer.allocate(outer * kept * inner * elem).order(ByteOrder.LITTLE_ENDIAN);
    byte[] row = new byte[inner * elem];
    for (int o = 0; o < outer; o++) {
      for (int a = 0; a < keep.length; a++) {
        if (!keep[a]) continue;
        src.position(((o * keep.length + a) * inner) * elem);
        src.get(row);
        dst.put(row);
      }
    }
    dst.flip();
    t.buffer = m.addBuffer(dst);
    t.shape = shape.clone();
    t.shape[axis] = kept;
    if (t.shapeSignature != null && t.shapeSignature.length == shape.length) {
      t.shapeSignature = t.shapeSignature.clone();
      if (t.shapeSignature[axis] > 0) t.shapeSignature[axis] = kept;
    }
    Quantization q = t.quantization;
    if (q != null && q.scale().length == keep.length && keep.length > 1 && q.quantizedDimension() == axis) {
      float[] s = new float[kept];
      long[] z = new long[kept];
      for (int a = 0, j = 0; a < keep.length; a++) {
        if (!keep[a]) continue;
        s[j] = q.scale()[a];
        z[j++] = q.zeroPoint().length == keep.length ? q.zeroPoint()[a] : q.zeroPoint().length > 0 ? q.zeroPoint()[0] : 0;
      }
      float[] min = q.min().length == keep.length ? pick(q.min(), keep, kept) : q.min();
      float[] max = q.max().length == keep.length ? pick(q.max(), keep, kept) : q.max();
      t.quantization = new Quantization(s, z, min, max, axis, q.details());
    }
  }

  private static float[] pick(float[] v, boolean[] keep, int kept) {
    float[] r = new float[kept];
    for (int a = 0, j = 0; a < keep.length; a++) if (keep[a]) r[j++] = v[a];
    return r;
  }

  // ------------------------------------------------------------------------------------------------ scoring

  /** Per filter (index of dimension 0), the L1 or L2 norm of its real weights. */
  static double[] norms(EditableModel.Tensor w, Norm norm) {
    int n = w.shape[0], per = (int) (w.elementCount() / n);
    double[] r = new double[n];
    for (int f = 0; f < n; f++) {
      double s = 0;
      for (int i = 0; i < per; i++) {
        double v = real(w, f * per + i, f);
        s += norm == Norm.L1 ? Math.abs(v) : v * v;
      }
      r[f] = norm == Norm.L1 ? s : Math.sqrt(s);
    }
    return r;
  }

  /** The keep flags after removing the {@code remove} filters of least norm (ties: the later index goes first). */
  static boolean[] choose(double[] norms, int remove) {
    Integer[] order = new Integer[norms.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> norms[a] != norms[b] ? Double.compare(norms[a], norms[b]) : Integer.compare(b, a));
    boolean[] keep = new boolean[norms.length];
    Arrays.fill(keep, true);
    for (int i = 0; i < remove; i++) keep[order[i]] = false;
    return keep;
  }

  /** Element {@code i}'s real value (channel {@code c} of dimension 0 for per-channel quantization). */
  private static double real(EditableModel.Tensor w, int i, int c) {
    ByteBuffer d = w.buffer.data();
    Quantization q = w.quantization;
    switch (w.type) {
      case FLOAT32: return d.getFloat(4 * i);
      case FLOAT16: return Float16.toFloat(d.getShort(2 * i));
      case INT8: case UINT8: {
        int v = w.type == TensorType.INT8 ? d.get(i) : d.get(i) & 0xFF;
        int k = q.scale().length > 1 && q.quantizedDimension() == 0 ? c : 0;
        double scale = q.scale().length == 0 ? 1 : q.scale()[Math.min(k, q.scale().length - 1)];
        long zp = q.zeroPoint().length == 0 ? 0 : q.zeroPoint()[Math.min(k, q.zeroPoint().length - 1)];
        return (v - zp) * scale;
      }
      default: throw new IllegalArgumentException("cannot rank filters of type " + w.type.lowerName() + " (" + w + ")");
    }
  }

  private static boolean constant(EditableModel.Tensor t) {
    return t != null && t.buffer != null && t.buffer.size() > 0 && t.buffer.size() == t.type.bytesFor(t.elementCount());
  }

  private static int[] ints(EditableModel.Tensor t) {
    ByteBuffer b = t.buffer.data();
    int n = (int) t.elementCount();
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = t.type == TensorType.INT64 ? (int) b.getLong(8 * i) : b.getInt(4 * i);
    return r;
  }

  /** Constant elements (weights, biases, shapes) of the main subgraph. */
  public static long params(EditableModel m) {
    long n = 0;
    for (EditableModel.Subgraph g : m.subgraphs) for (EditableModel.Tensor t : g.tensors) if (t.buffer != null && t.buffer.size() > 0) n += t.elementCount();
    return n;
  }

  /**
   * "conv_3/weights  CONV_2D  64 -> 48" lines (a layer of a channel group with " [group k]"), skipped layers with their
   * reason, then one line per group of more than one layer.
   */
  public static String describe(Report r) {
    StringBuilder s = new StringBuilder();
    Map<String, Integer> groupOf = new java.util.HashMap<>();
    for (int k = 0; k < r.groups().size(); k++) for (String n : r.groups().get(k).layers()) groupOf.put(n, k + 1);
    for (Layer l : r.layers()) {
      Integer k = groupOf.get(l.name());
      s.append(String.format(Locale.ROOT, "%-40s %-16s %5d -> %5d%s%s%n", l.name(), l.op(), l.before(), l.after(),
          k == null ? "" : " [group " + k + "]", l.skipped() == null ? "" : "   skipped: " + l.skipped()));
    }
    for (int k = 0; k < r.groups().size(); k++) {
      Group gr = r.groups().get(k);
      s.append(String.format(Locale.ROOT, "group %d: %d layers tied by %s, %d -> %d channels%s%n", k + 1, gr.layers().size(),
          String.join("/", gr.tiedBy()), gr.before(), gr.after(), gr.skipped() == null ? "" : "   skipped: " + gr.skipped()));
    }
    s.append(String.format(Locale.ROOT, "%d layers pruned, %d skipped; parameters %d -> %d (%.1f %%)%n", r.pruned().size(),
        r.skipped().size(), r.paramsBefore(), r.paramsAfter(), r.paramsBefore() == 0 ? 0 : 100.0 * r.paramsAfter() / r.paramsBefore()));
    return s.toString();
  }
}
