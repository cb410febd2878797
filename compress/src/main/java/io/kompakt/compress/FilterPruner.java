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
 * AVERAGE_POOL_2D, MAX_POOL_2D, MEAN over other axes than the channels, element-wise activations (RELU, RELU6,
 * RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, ...), and RESHAPE where the channels stay the innermost dimension (a
 * flatten [1, h, w, c] to [1, h*w*c] included: the following dense layer loses the columns of the removed channels at
 * every position). The channels end where a CONV_2D or FULLY_CONNECTED reads them: its weights lose those input
 * columns. A layer is skipped, with the reason in the report, when its channels reach anything else: ADD, MUL,
 * CONCATENATION (the other operand would have to be pruned the same way), SOFTMAX, a graph output, a shared or
 * non-constant weight. Batch normalization is already folded into the biases of a .tflite file. Float (float32,
 * float16) and quantized (int8/uint8, per-channel scales sliced along) weights.
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

  /** Every layer considered and the parameters (constant elements) before and after. */
  public record Report(List<Layer> layers, long paramsBefore, long paramsAfter) {
    public List<Layer> pruned() { return layers.stream().filter(l -> l.skipped() == null).toList(); }

    public List<Layer> skipped() { return layers.stream().filter(l -> l.skipped() != null).toList(); }
  }

  /** Prunes {@code m} in place. */
  public static Report prune(EditableModel m, Options o) {
    long before = params(m);
    List<Layer> layers = new ArrayList<>();
    for (EditableModel.Subgraph g : m.subgraphs) {
      for (EditableModel.Operator op : new ArrayList<>(g.operators)) {
        String type = op.opCode.name();
        if (!o.ops.contains(type) || op.inputs.size() < 2 || op.outputs.size() != 1) continue;
        EditableModel.Tensor w = op.inputs.get(1), out = op.outputs.get(0);
        if (w == null) continue;
        if (o.skip.contains(w.name) || o.skip.contains(out.name)) continue;
        if (o.include != null && !o.include.matcher(w.name).find() && !o.include.matcher(out.name).find()) continue;
        int channels = w.shape.length > 0 ? w.shape[0] : 0;
        String why = check(g, op);
        Plan plan = null;
        if (why == null) {
          plan = new Plan();
          why = follow(g, out, channels, 1, plan);
        }
        if (why != null) {
          layers.add(new Layer(w.name, type, channels, channels, why));
          continue;
        }
        int remove = (int) Math.min(channels - 1, Math.round(o.factor * channels));
        if (remove <= 0) {
          layers.add(new Layer(w.name, type, channels, channels, "factor removes no filter"));
          continue;
        }
        boolean[] keep = choose(norms(w, o.norm), remove);
        apply(m, op, plan, keep);
        layers.add(new Layer(w.name, type, channels, channels - remove, null));
      }
    }
    m.removeUnusedBuffers();
    return new Report(layers, before, params(m));
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
    Report bestReport = new Report(List.of(), params(best), params(best));
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

  /** What rewiring one layer takes. */
  private static final class Plan {
    /** Tensors whose last dimension holds the channels, and how many times they repeat there (flattened positions). */
    final Map<EditableModel.Tensor, Integer> tensors = new IdentityHashMap<>();
    /** Depthwise ops whose filter (axis 3) and bias lose the channels. */
    final List<EditableModel.Operator> depthwise = new ArrayList<>();
    /** Consumers (CONV_2D: filter axis 3; FULLY_CONNECTED: weights axis 1) with the repeat of their input. */
    final Map<EditableModel.Operator, Integer> consumers = new IdentityHashMap<>();
    /** RESHAPE ops whose shape (input and options) must follow. */
    final List<EditableModel.Operator> reshapes = new ArrayList<>();
  }

  private static final Set<String> ELEMENTWISE = Set.of("RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "LOGISTIC", "TANH",
      "HARD_SWISH", "ELU", "LEAKY_RELU", "ABS", "NEG", "EXP", "SQUARE", "SQRT", "RSQRT", "FLOOR", "CEIL", "ROUND", "GELU",
      "QUANTIZE", "DEQUANTIZE");

  /** Why the layer's own weights cannot lose filters, or null. */
  private static String check(EditableModel.Subgraph g, EditableModel.Operator op) {
    EditableModel.Tensor w = op.inputs.get(1), bias = op.inputs.size() > 2 ? op.inputs.get(2) : null;
    if (!constant(w)) return "weights are not a constant";
    if (w.sparsity != null) return "weights are stored sparse (densify first)";
    if (bias != null && !constant(bias)) return "bias is not a constant";
    if (uses(g, w) != 1 || (bias != null && uses(g, bias) != 1)) return "weights or bias are shared with another op";
    if (op.opCode.name().equals("CONV_2D") && w.shape.length != 4) return "filter is not 4-D";
    if (op.opCode.name().equals("FULLY_CONNECTED")) {
      if (w.shape.length != 2) return "weights are not 2-D";
      FlatTable o = op.options;
      if (o != null && !o.getEnumName("weights_format").equals("DEFAULT")) return "weights format is not DEFAULT";
    }
    EditableModel.Tensor out = op.outputs.get(0);
    if (out.shape.length == 0 || out.shape[out.shape.length - 1] != w.shape[0]) return "output's last dimension is not the filters";
    if (w.shape[0] < 2) return "a single filter";
    return null;
  }

  /**
   * Follows tensor {@code t}, whose last dimension holds {@code channels} channels repeated {@code repeat} times,
   * through its consumers; null if every path ends in a conv or dense layer, else why not.
   */
  private static String follow(EditableModel.Subgraph g, EditableModel.Tensor t, int channels, int repeat, Plan plan) {
    if (plan.tensors.containsKey(t)) return null;
    plan.tensors.put(t, repeat);
    if (g.outputs.contains(t)) return "channels reach graph output '" + t.name + "'";
    if (t.shape.length == 0 || t.shape[t.shape.length - 1] != channels * repeat) return "tensor '" + t.name + "' does not end in the channels";
    boolean consumed = false;
    for (EditableModel.Operator c : g.operators) {
      int at = c.inputs.indexOf(t);
      if (at < 0) continue;
      consumed = true;
      if (c.inputs.lastIndexOf(t) != at) return c.opCode.name() + " reads '" + t.name + "' twice";
      String type = c.opCode.name();
      String why;
      switch (type) {
        case "CONV_2D":
          if (at != 0) return "'" + t.name + "' is a weight of " + type;
          if (repeat != 1) return "a flattened tensor feeds CONV_2D";
          if (!constant(c.inputs.get(1)) || uses(g, c.inputs.get(1)) != 1 || c.inputs.get(1).sparsity != null) {
            return "CONV_2D reading '" + t.name + "' has a non-constant, shared or sparse filter";
          }
          plan.consumers.put(c, 1);
          continue;
        case "FULLY_CONNECTED":
          if (at != 0) return "'" + t.name + "' is a weight of " + type;
          EditableModel.Tensor w = c.inputs.get(1);
          if (!constant(w) || uses(g, w) != 1 || w.sparsity != null || w.shape.length != 2) {
            return "FULLY_CONNECTED reading '" + t.name + "' has a non-constant, shared or sparse weight";
          }
          if (w.shape[1] != channels * repeat) return "FULLY_CONNECTED reading '" + t.name + "' does not take its last dimension as depth";
          plan.consumers.put(c, repeat);
          continue;
        case "DEPTHWISE_CONV_2D": {
          if (at != 0) return "'" + t.name + "' is a weight of " + type;
          EditableModel.Tensor f = c.inputs.get(1), b = c.inputs.size() > 2 ? c.inputs.get(2) : null;
          if (repeat != 1 || f.shape.length != 4 || f.shape[3] != channels || (c.options != null && c.options.getInt("depth_multiplier") > 1)) {
            return "DEPTHWISE_CONV_2D with a depth multiplier";
          }
          if (!constant(f) || uses(g, f) != 1 || f.sparsity != null || (b != null && (!constant(b) || uses(g, b) != 1))) {
            return "DEPTHWISE_CONV_2D reading '" + t.name + "' has a non-constant or shared filter or bias";
          }
          plan.depthwise.add(c);
          why = follow(g, c.outputs.get(0), channels, 1, plan);
          break;
        }
        case "AVERAGE_POOL_2D": case "MAX_POOL_2D":
          if (repeat != 1) return type + " of a flattened tensor";
          why = follow(g, c.outputs.get(0), channels, 1, plan);
          break;
        case "MEAN": case "REDUCE_MAX": case "SUM": {
          if (at != 0 || repeat != 1 || c.inputs.size() < 2 || !constant(c.inputs.get(1))) return type + " with axes that are not constant";
          int rank = t.shape.length;
          for (int a : ints(c.inputs.get(1))) if (a == rank - 1 || a == -1) return type + " over the channels";
          why = follow(g, c.outputs.get(0), channels, 1, plan);
          break;
        }
        case "RESHAPE": {
          if (at != 0) return "'" + t.name + "' is the shape of a RESHAPE";
          EditableModel.Tensor y = c.outputs.get(0);
          int last = y.shape.length == 0 ? 0 : y.shape[y.shape.length - 1];
          if (last == 0 || last % channels != 0) return "RESHAPE '" + y.name + "' splits the channels";
          if (c.inputs.size() > 1 && c.inputs.get(1) != null && (!constant(c.inputs.get(1)) || uses(g, c.inputs.get(1)) != 1)) {
            return "RESHAPE '" + y.name + "' has a non-constant or shared shape";
          }
          plan.reshapes.add(c);
          why = follow(g, y, channels, last / channels, plan);
          break;
        }
        default:
          if (ELEMENTWISE.contains(type) && at == 0 && c.inputs.size() == 1) {
            why = follow(g, c.outputs.get(0), channels, repeat, plan);
            break;
          }
          return "channels of '" + t.name + "' reach " + type + (List.of("ADD", "MUL", "CONCATENATION", "SUB").contains(type)
              ? " (its other operand would have to lose the same channels)" : "");
      }
      if (why != null) return why;
    }
    if (!consumed) return "'" + t.name + "' is not consumed";
    return null;
  }

  // ------------------------------------------------------------------------------------------------ applying

  private static void apply(EditableModel m, EditableModel.Operator op, Plan plan, boolean[] keep) {
    int channels = keep.length, kept = 0;
    for (boolean k : keep) if (k) kept++;
    EditableModel.Tensor w = op.inputs.get(1);
    slice(m, w, 0, keep);
    if (op.inputs.size() > 2 && op.inputs.get(2) != null) slice(m, op.inputs.get(2), 0, keep);
    for (EditableModel.Operator d : plan.depthwise) {
      slice(m, d.inputs.get(1), 3, keep);
      if (d.inputs.size() > 2 && d.inputs.get(2) != null) slice(m, d.inputs.get(2), 0, keep);
    }
    for (Map.Entry<EditableModel.Operator, Integer> e : plan.consumers.entrySet()) {
      EditableModel.Operator c = e.getKey();
      boolean conv = c.opCode.name().equals("CONV_2D");
      slice(m, c.inputs.get(1), conv ? 3 : 1, repeatMask(keep, e.getValue()));
    }
    for (Map.Entry<EditableModel.Tensor, Integer> e : plan.tensors.entrySet()) {
      EditableModel.Tensor t = e.getKey();
      int r = e.getValue();
      t.shape = t.shape.clone();
      t.shape[t.shape.length - 1] = kept * r;
      if (t.shapeSignature != null && t.shapeSignature.length == t.shape.length && t.shapeSignature[t.shape.length - 1] > 0) {
        t.shapeSignature = t.shapeSignature.clone();
        t.shapeSignature[t.shape.length - 1] = kept * r;
      }
    }
    for (EditableModel.Operator rs : plan.reshapes) ReshapeTargets.followOutput(m, rs);
    if (kept == channels) throw new IllegalStateException("nothing removed");
  }

  /** keep[i % keep.length] over {@code repeat} copies: the columns of a flattened tensor that stay. */
  private static boolean[] repeatMask(boolean[] keep, int repeat) {
    boolean[] r = new boolean[keep.length * repeat];
    for (int i = 0; i < r.length; i++) r[i] = keep[i % keep.length];
    return r;
  }

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

  private static int uses(EditableModel.Subgraph g, EditableModel.Tensor t) {
    int n = 0;
    for (EditableModel.Operator op : g.operators) for (EditableModel.Tensor x : op.inputs) if (x == t) n++;
    return n;
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

  /** "conv_3/weights  CONV_2D  64 -> 48" lines, skipped layers with their reason. */
  public static String describe(Report r) {
    StringBuilder s = new StringBuilder();
    for (Layer l : r.layers()) {
      s.append(String.format(Locale.ROOT, "%-40s %-16s %5d -> %5d%s%n", l.name(), l.op(), l.before(), l.after(),
          l.skipped() == null ? "" : "   skipped: " + l.skipped()));
    }
    s.append(String.format(Locale.ROOT, "parameters %d -> %d (%.1f %%)%n", r.paramsBefore(), r.paramsAfter(),
        r.paramsBefore() == 0 ? 0 : 100.0 * r.paramsAfter() / r.paramsBefore()));
    return s.toString();
  }
}
