package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Magnitude pruning of the weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops (selectable by op type,
 * by a regex over the weight's or the op's output tensor name, minus a skip list) to a target sparsity:
 *
 * <ul>
 *   <li>{@link Structure#UNSTRUCTURED}: the smallest-magnitude weights are zeroed, per layer (each layer gets the
 *       target) or globally (one threshold over every selected layer).
 *   <li>{@link Structure#nOfM N:M}: in every group of M consecutive weights along the input-channel dimension
 *       (the last dimension of every TFLite filter layout) only the N largest stay (2:4 gives 50%; the target
 *       sparsity is then ignored). Layers whose last dimension is not a multiple of M are left out.
 *   <li>{@link Structure#block blocks} of R x C weights, R along the first (output) and C along the last (input)
 *       dimension ({@link Structure#BLOCK_1X4}, {@link Structure#BLOCK_4X1}, block8x1, ...), are scored by their
 *       mean magnitude and zeroed whole: 1x4 and 4x1 match the block layouts of {@link SparseEncoder}; blocks along
 *       the output channels (Rx1) are what the Vector API's sparse kernels exploit (a whole column of a block of
 *       outputs skipped). Layers whose last dimension is not a multiple of the block's are left out; along the first
 *       dimension a last, partial block is allowed (a 1001-class classifier in blocks of 8x1).
 * </ul>
 *
 * Magnitudes are real values: a quantized weight's {@code |q - zero_point| * scale}, per channel where the
 * quantization is (depthwise filters are per channel along their last dimension), and a pruned quantized weight
 * becomes its channel's zero point. A float16 or float32 weight becomes 0. Ties are broken by position, so exactly
 * {@code round(target * units)} units are pruned per layer (or over all layers for the global scope).
 */
public final class Pruner {
  private Pruner() {}

  /** Where the threshold is chosen. */
  public enum Scope { LAYER, GLOBAL }

  /** The sparsity structure. */
  public record Structure(String name, int n, int m, int blockFirst, int blockLast) {
    public static final Structure UNSTRUCTURED = new Structure("unstructured", 0, 0, 1, 1);
    public static final Structure BLOCK_1X4 = block(1, 4);
    public static final Structure BLOCK_4X1 = block(4, 1);

    /** N of every M kept. */
    public static Structure nOfM(int n, int m) {
      if (m <= 0 || n < 0 || n > m) throw new IllegalArgumentException("N:M needs 0 <= N <= M and M > 0; got " + n + ":" + m);
      return new Structure(n + ":" + m, n, m, 1, 1);
    }

    public boolean isNOfM() { return m > 0; }

    /**
     * Blocks of {@code first} x {@code last} weights (along the first, output, and the last, input, dimension), each
     * from 1 to 64.
     */
    public static Structure block(int first, int last) {
      if (first < 1 || last < 1 || first > 64 || last > 64 || first * last == 1) {
        throw new IllegalArgumentException("block sizes must be 1 to 64 and not both 1; got " + first + "x" + last);
      }
      return new Structure("block" + first + "x" + last, 0, 0, first, last);
    }

    /** Parses unstructured, N:M (e.g. 2:4), blockRxC (e.g. block1x4, block4x1, block8x1). */
    public static Structure parse(String s) {
      String l = s.trim().toLowerCase(Locale.ROOT);
      if (l.equals("unstructured")) return UNSTRUCTURED;
      java.util.regex.Matcher b = java.util.regex.Pattern.compile("block(\\d{1,2})x(\\d{1,2})").matcher(l);
      if (b.matches()) return block(Integer.parseInt(b.group(1)), Integer.parseInt(b.group(2)));
      int c = l.indexOf(':');
      if (c > 0) {
        try {
          return nOfM(Integer.parseInt(l.substring(0, c)), Integer.parseInt(l.substring(c + 1)));
        } catch (NumberFormatException e) {
          // fall through
        }
      }
      throw new IllegalArgumentException("unknown pattern '" + s + "': unstructured, N:M (e.g. 2:4), or blockRxC (e.g. block1x4, block4x1, block8x1)");
    }
  }

  /** What to prune and how. */
  public static final class Options {
    double sparsity = 0.5;
    Scope scope = Scope.LAYER;
    Structure structure = Structure.UNSTRUCTURED;
    Set<String> ops = new LinkedHashSet<>(List.of("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"));
    Pattern include;
    Set<String> skip = new LinkedHashSet<>();

    /** Target fraction of zeros in [0, 1] (ignored for N:M). */
    public Options sparsity(double s) {
      if (!(s >= 0 && s <= 1)) throw new IllegalArgumentException("sparsity must be in [0, 1]; got " + s);
      sparsity = s;
      return this;
    }

    public Options scope(Scope s) { scope = s; return this; }

    public Options structure(Structure s) { structure = s; return this; }

    /** Op types pruned (builtin names: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED). */
    public Options ops(Set<String> names) {
      for (String n : names) {
        if (!List.of("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED").contains(n)) throw new IllegalArgumentException("cannot prune op type " + n);
      }
      ops = new LinkedHashSet<>(names);
      return this;
    }

    /** Only layers whose weight or op output name contains a match of {@code regex} (null: all). */
    public Options include(String regex) { include = regex == null ? null : Pattern.compile(regex); return this; }

    /** Layers (weight or op output names) left alone. */
    public Options skip(Set<String> names) { skip = new LinkedHashSet<>(names); return this; }
  }

  /** One pruned layer: the weight's name, the op, the shape and the fraction of zero weights before and after. */
  public record Layer(String name, String op, int[] shape, double before, double after) {}

  /** Per-layer results and the weighted totals over the pruned layers. */
  public record Report(List<Layer> layers, long weights, double before, double after) {}

  /** A selected weight: its tensor, op, real magnitudes and the units (elements or blocks) scored. */
  private static final class Target {
    EditableModel.Tensor tensor;
    String op;
    float[] magnitude;
    int[][] units; // element indices of each unit
    double[] score;
    boolean[] prune;
  }

  /** Prunes {@code m} in place. */
  public static Report prune(EditableModel m, Options o) {
    List<Target> targets = select(m, o);
    for (Target t : targets) score(t, o.structure);
    if (o.structure.isNOfM()) {
      for (Target t : targets) pruneNOfM(t, o.structure);
    } else if (o.scope == Scope.LAYER) {
      for (Target t : targets) pruneSmallest(Collections.singletonList(t), o.sparsity);
    } else {
      pruneSmallest(targets, o.sparsity);
    }
    List<Layer> layers = new ArrayList<>();
    long total = 0, zerosBefore = 0, zerosAfter = 0;
    for (Target t : targets) {
      EditableModel.Tensor w = t.tensor;
      int n = (int) w.elementCount();
      long zb = countZeros(t.magnitude);
      for (int u = 0; u < t.units.length; u++) if (t.prune[u]) for (int i : t.units[u]) t.magnitude[i] = 0;
      w.buffer = m.addBuffer(write(w, t.units, t.prune));
      long za = countZeros(t.magnitude);
      total += n;
      zerosBefore += zb;
      zerosAfter += za;
      layers.add(new Layer(w.name, t.op, w.shape.clone(), n == 0 ? 0 : (double) zb / n, n == 0 ? 0 : (double) za / n));
    }
    m.removeUnusedBuffers();
    return new Report(layers, total, total == 0 ? 0 : (double) zerosBefore / total, total == 0 ? 0 : (double) zerosAfter / total);
  }

  private static long countZeros(float[] a) {
    long z = 0;
    for (float v : a) if (v == 0) z++;
    return z;
  }

  private static List<Target> select(EditableModel m, Options o) {
    List<Target> r = new ArrayList<>();
    Set<EditableModel.Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (EditableModel.Subgraph g : m.subgraphs) {
      for (EditableModel.Operator op : g.operators) {
        String name = op.opCode.name();
        if (!o.ops.contains(name) || op.inputs.size() < 2) continue;
        EditableModel.Tensor w = op.inputs.get(1);
        if (w == null || w.buffer == null || w.buffer.size() == 0 || w.sparsity != null || !seen.add(w)) continue;
        if (w.type != TensorType.FLOAT32 && w.type != TensorType.FLOAT16 && w.type != TensorType.INT8 && w.type != TensorType.UINT8) continue;
        if (w.buffer.size() != w.type.bytesFor(w.elementCount()) || w.shape.length < 1) continue;
        String outName = op.outputs.isEmpty() ? "" : op.outputs.get(0).name;
        if (o.skip.contains(w.name) || o.skip.contains(outName)) continue;
        if (o.include != null && !o.include.matcher(w.name).find() && !o.include.matcher(outName).find()) continue;
        int last = w.shape[w.shape.length - 1];
        Structure s = o.structure;
        if (s.isNOfM() && last % s.m() != 0) continue;
        if (last % s.blockLast() != 0) continue; // (a partial last block along the first dimension is fine)
        if (s.blockFirst() > 1 && w.shape.length < 2) continue;
        Target t = new Target();
        t.tensor = w;
        t.op = name;
        t.magnitude = magnitudes(w);
        r.add(t);
      }
    }
    return r;
  }

  /** |real value| of every element. */
  private static float[] magnitudes(EditableModel.Tensor w) {
    int n = (int) w.elementCount();
    ByteBuffer d = w.buffer.data();
    float[] r = new float[n];
    Quantization q = w.quantization;
    boolean quantized = (w.type == TensorType.INT8 || w.type == TensorType.UINT8);
    int inner = innerOfAxis(w);
    for (int i = 0; i < n; i++) {
      switch (w.type) {
        case FLOAT32: r[i] = Math.abs(d.getFloat(4 * i)); break;
        case FLOAT16: r[i] = Math.abs(Float16.toFloat(d.getShort(2 * i))); break;
        default: {
          int v = w.type == TensorType.INT8 ? d.get(i) : d.get(i) & 0xFF;
          int c = channel(w, i, inner);
          long zp = zeroPoint(q, c);
          double scale = quantized && q.scale().length > 0 ? q.scale()[Math.min(c, q.scale().length - 1)] : 1;
          r[i] = (float) Math.abs((v - zp) * scale);
        }
      }
    }
    return r;
  }

  private static int innerOfAxis(EditableModel.Tensor w) {
    Quantization q = w.quantization;
    if (q == null || !q.isPerChannel() || q.quantizedDimension() >= w.shape.length) return -1;
    int inner = 1;
    for (int i = q.quantizedDimension() + 1; i < w.shape.length; i++) inner *= w.shape[i];
    return inner;
  }

  private static int channel(EditableModel.Tensor w, int i, int inner) {
    return inner < 0 ? 0 : (i / inner) % w.shape[w.quantization.quantizedDimension()];
  }

  private static long zeroPoint(Quantization q, int c) {
    return q == null || q.zeroPoint().length == 0 ? 0 : q.zeroPoint()[Math.min(c, q.zeroPoint().length - 1)];
  }

  /** The units of a weight (elements, N:M members, or blocks) and their scores (mean magnitude). */
  private static void score(Target t, Structure s) {
    int[] shape = t.tensor.shape;
    int n = t.magnitude.length, rank = shape.length;
    int last = shape[rank - 1];
    int bl = s.blockLast(), bf = s.blockFirst();
    int perFirst = n / Math.max(1, shape[0]); // elements per index of the first dimension
    int unitsCount = (shape[0] + bf - 1) / bf * (perFirst / bl);
    t.units = new int[unitsCount][];
    t.score = new double[unitsCount];
    int u = 0;
    for (int f = 0; f < shape[0]; f += bf) {
      for (int j = 0; j < perFirst; j += bl) {
        if (bl > 1 && (j % last) + bl > last) continue; // blocks stay inside a row (last % bl == 0 makes this never hit)
        int rows = Math.min(bf, shape[0] - f); // the last block along the first dimension may be partial
        int[] members = new int[bl * rows];
        double sum = 0;
        int k = 0;
        for (int a = 0; a < rows; a++) {
          for (int b = 0; b < bl; b++) {
            int idx = (f + a) * perFirst + j + b;
            members[k++] = idx;
            sum += t.magnitude[idx];
          }
        }
        t.units[u] = members;
        t.score[u] = sum / members.length;
        u++;
      }
    }
    t.prune = new boolean[unitsCount];
  }

  /** Prunes the round(target * units) lowest-scored units over {@code targets}. */
  private static void pruneSmallest(List<Target> targets, double sparsity) {
    int total = 0;
    for (Target t : targets) total += t.units.length;
    long k = Math.round(sparsity * total);
    if (k == 0) return;
    double[] s = new double[total];
    int[] owner = new int[total], unit = new int[total];
    int p = 0;
    for (int ti = 0; ti < targets.size(); ti++) {
      Target t = targets.get(ti);
      for (int u = 0; u < t.units.length; u++, p++) { s[p] = t.score[u]; owner[p] = ti; unit[p] = u; }
    }
    Integer[] idx = new Integer[total];
    for (int i = 0; i < total; i++) idx[i] = i;
    Arrays.sort(idx, (a, b) -> s[a] != s[b] ? Double.compare(s[a], s[b]) : Integer.compare(a, b));
    for (int i = 0; i < k; i++) targets.get(owner[idx[i]]).prune[unit[idx[i]]] = true;
  }

  /** In every group of M along the last dimension, prunes all but the N largest. */
  private static void pruneNOfM(Target t, Structure s) {
    int m = s.m(), keep = s.n();
    Integer[] order = new Integer[m];
    for (int g = 0; g < t.units.length; g += m) {
      final int base = g;
      for (int i = 0; i < m; i++) order[i] = i;
      Arrays.sort(order, (a, b) -> t.score[base + a] != t.score[base + b] ? Double.compare(t.score[base + a], t.score[base + b]) : Integer.compare(a, b));
      for (int i = 0; i < m - keep; i++) t.prune[base + order[i]] = true;
    }
  }

  /** The weight's bytes with every pruned element set to zero (its channel's zero point if quantized). */
  private static ByteBuffer write(EditableModel.Tensor w, int[][] units, boolean[] prune) {
    ByteBuffer src = w.buffer.data();
    byte[] out = new byte[src.remaining()];
    src.duplicate().get(out);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    int inner = innerOfAxis(w);
    for (int u = 0; u < units.length; u++) {
      if (!prune[u]) continue;
      for (int i : units[u]) {
        switch (w.type) {
          case FLOAT32: b.putFloat(4 * i, 0f); break;
          case FLOAT16: b.putShort(2 * i, (short) 0); break;
          default: b.put(i, (byte) zeroPoint(w.quantization, channel(w, i, inner))); break;
        }
      }
    }
    return b;
  }


  /**
   * The polynomial-decay sparsity schedule of TF Model Optimization's {@code PolynomialDecay}, for pruning while
   * fine-tuning: from {@code initialSparsity} at {@code beginStep} to {@code finalSparsity} at {@code endStep} as
   * {@code final + (initial - final) * (1 - progress)^power}; pruning happens every {@code frequency} steps
   * within [beginStep, endStep] ({@code endStep} -1: no end).
   */
  public record PolynomialDecay(double initialSparsity, double finalSparsity, long beginStep, long endStep, double power, long frequency) {
    public PolynomialDecay {
      if (!(initialSparsity >= 0 && initialSparsity < 1) || !(finalSparsity >= 0 && finalSparsity < 1)) {
        throw new IllegalArgumentException("sparsities must be in [0, 1)");
      }
      if (beginStep < 0 || (endStep >= 0 && endStep <= beginStep)) throw new IllegalArgumentException("need 0 <= beginStep < endStep");
      if (frequency <= 0) throw new IllegalArgumentException("frequency must be positive");
    }

    /** The schedule with TF MOT's defaults: power 3, frequency 100. */
    public PolynomialDecay(double initialSparsity, double finalSparsity, long beginStep, long endStep) {
      this(initialSparsity, finalSparsity, beginStep, endStep, 3, 100);
    }

    /** The target sparsity at {@code step}. */
    public double sparsity(long step) {
      if (endStep < 0) return step < beginStep ? initialSparsity : finalSparsity;
      double p = Math.min(1, Math.max(0, (double) (step - beginStep) / (endStep - beginStep)));
      return finalSparsity + (initialSparsity - finalSparsity) * Math.pow(1 - p, power);
    }

    /** Whether weights are pruned at {@code step}. */
    public boolean shouldPrune(long step) {
      boolean inRange = step >= beginStep && (endStep < 0 || step <= endStep);
      return inRange && (step - beginStep) % frequency == 0;
    }
  }
}
