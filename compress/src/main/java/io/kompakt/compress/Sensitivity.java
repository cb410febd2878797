package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;

/**
 * Pruning sensitivity: per prunable layer (the weights {@link Pruner} would select), prunes only that layer at each
 * given sparsity and measures the model on the given inputs against the unpruned one: the relative L2 error of the first
 * output ({@code |y - y0| / |y0|}, averaged over inputs), the top-1 agreement with the unpruned model and, where labels
 * are given, the accuracy. {@link #choose} then picks per layer the highest sparsity whose drop stays within a bound.
 */
public final class Sensitivity {
  private Sensitivity() {}

  /** One measurement: a layer pruned to {@code sparsity} (achieved fraction of zeros in {@code achieved}). */
  public record Point(double sparsity, double achieved, double relL2, double top1Agreement, double accuracy) {}

  /** The measurements of one layer. */
  public record Curve(String layer, String op, long weights, List<Point> points) {}

  /** Every layer's curve; the unpruned model's accuracy (NaN without labels). */
  public record Result(List<Curve> curves, double baseAccuracy, int inputs) {
    /** Whether accuracies were measured. */
    public boolean labelled() { return !Double.isNaN(baseAccuracy); }
  }

  /**
   * Measures every selected layer.
   *
   * @param base       which layers and how (structure, ops, include, skip); its sparsity and scope are ignored
   * @param sparsities the sparsities to try, each in [0, 1]
   * @param inputs     raw bytes of input 0 (its type and shape), one per example; at least one
   * @param labels     the class of each input, or null
   * @param progress   called with the number of pruned models measured so far (may be null)
   */
  public static Result analyse(EditableModel model, Pruner.Options base, double[] sparsities, List<ByteBuffer> inputs, int[] labels,
                               Interpreter.Options run, IntConsumer progress) {
    if (inputs.isEmpty()) throw new IllegalArgumentException("sensitivity needs at least one input");
    if (labels != null && labels.length != inputs.size()) {
      throw new IllegalArgumentException(labels.length + " labels for " + inputs.size() + " inputs");
    }
    for (double s : sparsities) if (!(s >= 0 && s <= 1)) throw new IllegalArgumentException("sparsity must be in [0, 1]; got " + s);
    byte[] bytes = ModelWriter.toBytes(model);
    double[][] ref = outputs(Model.from(bytes), inputs, run);
    double baseAccuracy = labels == null ? Double.NaN : accuracy(ref, labels);
    // the layers: what the pruner selects at any sparsity
    EditableModel probe = EditableModel.from(Model.from(bytes));
    Pruner.Report all = Pruner.prune(probe, copy(base).sparsity(0.5));
    List<Curve> curves = new ArrayList<>();
    int done = 0;
    for (Pruner.Layer layer : all.layers()) {
      List<Point> points = new ArrayList<>();
      for (double s : sparsities) {
        EditableModel m = EditableModel.from(Model.from(bytes));
        Pruner.Report r = Pruner.prune(m, copy(base).sparsity(s).include("^" + Pattern.quote(layer.name()) + "$"));
        double achieved = r.layers().isEmpty() ? 0 : r.layers().get(0).after();
        double[][] y = outputs(Model.from(ModelWriter.toBytes(m)), inputs, run);
        points.add(new Point(s, achieved, relL2(ref, y), agreement(ref, y), labels == null ? Double.NaN : accuracy(y, labels)));
        if (progress != null) progress.accept(++done);
      }
      long n = 1;
      for (int d : layer.shape()) n *= d;
      curves.add(new Curve(layer.name(), layer.op(), n, points));
    }
    return new Result(curves, baseAccuracy, inputs.size());
  }

  /** The number of layers {@link #analyse} will measure (for a progress bar: times the sparsities). */
  public static int layers(EditableModel model, Pruner.Options base) {
    EditableModel probe = EditableModel.from(Model.from(ModelWriter.toBytes(model)));
    return Pruner.prune(probe, copy(base).sparsity(0.5)).layers().size();
  }

  /**
   * Per layer, the highest measured sparsity whose drop is at most {@code maxDrop}: of accuracy where measured, else of
   * top-1 agreement (from 1). Layers where even the lowest sparsity drops more get 0.
   */
  public static Map<String, Double> choose(Result r, double maxDrop) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (Curve c : r.curves()) {
      double best = 0;
      for (Point p : c.points()) {
        double drop = r.labelled() ? r.baseAccuracy() - p.accuracy() : 1 - p.top1Agreement();
        if (drop <= maxDrop + 1e-12) best = Math.max(best, p.sparsity());
      }
      m.put(c.layer(), best);
    }
    return m;
  }

  /** Prunes each named layer of {@code m} in place to its own sparsity (other options from {@code base}). */
  public static List<Pruner.Layer> applyPerLayer(EditableModel m, Map<String, Double> sparsity, Pruner.Options base) {
    List<Pruner.Layer> done = new ArrayList<>();
    for (Map.Entry<String, Double> e : sparsity.entrySet()) {
      if (e.getValue() <= 0) continue;
      Pruner.Report r = Pruner.prune(m, copy(base).sparsity(e.getValue()).include("^" + Pattern.quote(e.getKey()) + "$"));
      done.addAll(r.layers());
    }
    return done;
  }

  private static Pruner.Options copy(Pruner.Options o) {
    Pruner.Options c = new Pruner.Options().structure(o.structure).scope(Pruner.Scope.LAYER).ops(o.ops).skip(o.skip);
    if (o.include != null) {
      // the caller's include narrows the layers; the per-layer include replaces it only for the one layer measured
      c.include(o.include.pattern());
    }
    return c;
  }

  /** Output 0 of every input, as real values. */
  static double[][] outputs(Model model, List<ByteBuffer> inputs, Interpreter.Options run) {
    double[][] r = new double[inputs.size()][];
    try (Interpreter it = new Interpreter(model, run)) {
      RuntimeTensor in = it.getInputTensor(0);
      long want = in.type.bytesFor(in.size());
      for (int k = 0; k < inputs.size(); k++) {
        ByteBuffer b = inputs.get(k).duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != want) {
          throw new IllegalArgumentException("input " + k + " has " + b.remaining() + " bytes; " + in + " takes " + want);
        }
        in.readFrom(b);
        it.invoke();
        RuntimeTensor out = it.getOutputTensor(0);
        double[] y = new double[out.size()];
        boolean q = out.type != TensorType.FLOAT32 && out.quantization.isQuantized();
        for (int i = 0; i < y.length; i++) y[i] = q ? (out.get(i) - out.zeroPoint()) * out.scale() : out.get(i);
        r[k] = y;
      }
    }
    return r;
  }

  static int argmax(double[] y) {
    int best = 0;
    for (int i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
    return best;
  }

  static double relL2(double[][] ref, double[][] y) {
    double sum = 0;
    for (int k = 0; k < ref.length; k++) {
      double num = 0, den = 0;
      for (int i = 0; i < ref[k].length; i++) {
        double d = y[k][i] - ref[k][i];
        num += d * d;
        den += ref[k][i] * ref[k][i];
      }
      sum += den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den);
    }
    return sum / ref.length;
  }

  static double agreement(double[][] ref, double[][] y) {
    int same = 0;
    for (int k = 0; k < ref.length; k++) if (argmax(ref[k]) == argmax(y[k])) same++;
    return (double) same / ref.length;
  }

  static double accuracy(double[][] y, int[] labels) {
    int right = 0;
    for (int k = 0; k < y.length; k++) if (argmax(y[k]) == labels[k]) right++;
    return (double) right / y.length;
  }

  /** A text table: one row per layer and sparsity. */
  public static String table(Result r) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%-44s %-18s %9s %8s %8s %9s%s%n", "layer", "op", "weights", "sparsity", "rel_l2", "top1_agree",
        r.labelled() ? "  accuracy" : ""));
    for (Curve c : r.curves()) {
      for (Point p : c.points()) {
        s.append(String.format(Locale.ROOT, "%-44s %-18s %9d %7.0f%% %8.4f %9.3f%s%n", c.layer(), c.op(), c.weights(), 100 * p.achieved(),
            p.relL2(), p.top1Agreement(), r.labelled() ? String.format(Locale.ROOT, "  %8.3f", p.accuracy()) : ""));
      }
    }
    if (r.labelled()) s.append(String.format(Locale.ROOT, "unpruned accuracy %.3f on %d inputs%n", r.baseAccuracy(), r.inputs()));
    return s.toString();
  }

  /** CSV with a header: layer,op,weights,sparsity,achieved,rel_l2,top1_agreement,accuracy. */
  public static String csv(Result r) {
    StringBuilder s = new StringBuilder("layer,op,weights,sparsity,achieved,rel_l2,top1_agreement,accuracy\n");
    for (Curve c : r.curves()) {
      for (Point p : c.points()) {
        s.append(String.format(Locale.ROOT, "\"%s\",%s,%d,%.4f,%.6f,%.6g,%.6f,%s%n", c.layer().replace("\"", "\"\""), c.op(), c.weights(),
            p.sparsity(), p.achieved(), p.relL2(), p.top1Agreement(), Double.isNaN(p.accuracy()) ? "" : String.format(Locale.ROOT, "%.6f", p.accuracy())));
      }
    }
    return s.toString();
  }
}
