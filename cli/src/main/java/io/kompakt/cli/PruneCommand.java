package io.kompakt.cli;

import io.kompakt.compress.FilterPruner;
import io.kompakt.compress.Pruner;
import io.kompakt.compress.SizeReport;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt prune MODEL -o OUT --sparsity 0.5}: magnitude pruning, stored sparse. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {"Zeroes the smallest-magnitude weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops to a target",
        "sparsity (per layer or one global threshold; unstructured, N:M along the input channels, or blocks such as 1x4, 4x1, 8x1;",
        "quantized weights go to their zero point) and, unless --no-sparse-storage, stores the pruned weights in TFLite's",
        "sparse format behind DENSIFY ops, as TFLite's converter does. Prints each layer's sparsity and the sizes.",
        "--filters / --floor: structured pruning instead (whole filters removed, the model stays dense and gets smaller)."})
final class PruneCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the .tflite file")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the pruned model")
  Path output;

  @Option(names = "--sparsity", defaultValue = "0.5", paramLabel = "S", description = "target fraction of zero weights, in [0, 1] (default 0.5; ignored for N:M)")
  double sparsity;

  @Option(names = "--scope", defaultValue = "layer", paramLabel = "global|layer", description = "one threshold over all layers or the target in each (default layer)")
  String scope;

  @Option(names = "--pattern", defaultValue = "unstructured", paramLabel = "P", description = "unstructured, N:M (e.g. 2:4), or blocks RxC along output x input channels: block1x4, block4x1, block8x1 (the fastest for the sparse kernels) ... (default unstructured)")
  String pattern;

  @Option(names = "--ops", split = ",", paramLabel = "conv,depthwise,dense", description = "op types to prune (default all three)")
  List<String> ops;

  @Option(names = "--include", paramLabel = "REGEX", description = "only layers whose weight or output name contains a match")
  String include;

  @Option(names = "--skip", arity = "1..*", paramLabel = "NAME", description = "layers (weight or output tensor names) left alone")
  List<String> skip;

  @Option(names = "--no-sparse-storage", description = "keep the pruned weights dense")
  boolean noSparseStorage;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--filters", paramLabel = "FACTOR", description = {"structured pruning instead: remove this share of the filters of",
      "every CONV_2D and units of every FULLY_CONNECTED (least L1 norm first) and rewire the layers after them; the model",
      "gets smaller in every dimension and stays dense. Layers joined by ADD/MUL (residual chains) lose the same channels",
      "as one group; CONCATENATION along the channels is followed. Groups whose channels reach SOFTMAX, an output or an op",
      "that cannot lose them are skipped and listed with the reason. With --floor: the largest share tried (default 0.9)"})
  Double filters;

  @Option(names = "--floor", paramLabel = "F", description = {"structured pruning to a floor: try filter shares of --floor-step,",
      "2 x --floor-step, ... and keep the largest whose top-1 agreement with the unpruned model (accuracy with --classes)",
      "on the evaluation inputs is at least F, e.g. 0.95"})
  Double floor;

  @Option(names = "--floor-step", defaultValue = "0.05", paramLabel = "S", description = "step of the filter share for --floor (default 0.05)")
  double floorStep;

  @Option(names = "--norm", defaultValue = "l1", paramLabel = "l1|l2", description = "filter ranking for --filters (default l1)")
  String norm;

  @Option(names = "--inputs", arity = "1..*", paramLabel = "FILE", description = "--floor's evaluation inputs: images or .bin/.npy tensors (default: --random)")
  List<Path> inputs;

  @Option(names = "--random", defaultValue = "16", paramLabel = "N", description = "without --inputs: N seeded random inputs for --floor (default 16)")
  int random;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "seed of the random inputs (default 1)")
  long seed;

  @Option(names = "--classes", paramLabel = "FILE", description = "the true class of each --inputs file, one index a line: --floor is then an accuracy")
  Path classes;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (filters != null || floor != null) return structured();
    Pruner.Options o = new Pruner.Options().sparsity(sparsity).structure(Pruner.Structure.parse(pattern));
    switch (scope.toLowerCase(Locale.ROOT)) {
      case "layer": o.scope(Pruner.Scope.LAYER); break;
      case "global": o.scope(Pruner.Scope.GLOBAL); break;
      default: throw new IllegalArgumentException("--scope is global or layer; got " + scope);
    }
    if (ops != null) o.ops(opNames(ops, true));
    if (include != null) o.include(include);
    if (skip != null) o.skip(new LinkedHashSet<>(skip));
    EditableModel m = EditableModel.from(Model.load(model));
    SizeReport before = SizeReport.of(m);
    Pruner.Report r = Pruner.prune(m, o);
    SizeReport after = SizeReport.of(m);
    SparseEncoder.Report enc = noSparseStorage ? null : SparseEncoder.encode(m, new SparseEncoder.Options());
    new ModelWriter().write(m, output);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("%-48s %-18s %-20s %8s %8s%n", "layer", "op", "shape", "before", "after");
    for (Pruner.Layer l : r.layers()) {
      out.printf("%-48s %-18s %-20s %7.1f%% %7.1f%%%n", l.name(), l.op(), Arrays.toString(l.shape()), 100 * l.before(), 100 * l.after());
    }
    out.printf("%d layers, %,d weights: %.1f%% -> %.1f%% zeros%n", r.layers().size(), r.weights(), 100 * r.before(), 100 * r.after());
    out.printf("before: %s%n", before);
    out.printf("after:  %s%n", after);
    out.printf("wrote %s (%,d bytes)%s%n", output, Files.size(output),
        enc == null ? ", dense" : String.format(", %d weights stored sparse behind %d DENSIFY ops", enc.encoded().size(), enc.densifyOps()));
    return 0;
  }

  /** --filters / --floor: {@link FilterPruner}. */
  private int structured() throws Exception {
    FilterPruner.Options o = new FilterPruner.Options();
    switch (norm.toLowerCase(Locale.ROOT)) {
      case "l1": o.norm(FilterPruner.Norm.L1); break;
      case "l2": o.norm(FilterPruner.Norm.L2); break;
      default: throw new IllegalArgumentException("--norm is l1 or l2; got " + norm);
    }
    if (ops != null) o.ops(opNames(ops, false));
    if (include != null) o.include(include);
    if (skip != null) o.skip(new LinkedHashSet<>(skip));
    double max = filters == null ? 0.9 : filters;
    if (!(max >= 0 && max < 1)) throw new IllegalArgumentException("--filters must be in [0, 1); got " + max);
    Model m = Model.load(model);
    EditableModel edit = EditableModel.from(m);
    SizeReport before = SizeReport.of(edit);
    PrintWriter out = spec.commandLine().getOut();
    FilterPruner.Report r;
    if (floor != null) {
      if (!(floor >= 0 && floor <= 1)) throw new IllegalArgumentException("--floor must be in [0, 1]; got " + floor);
      if (!(floorStep > 0 && floorStep < 1)) throw new IllegalArgumentException("--floor-step must be in (0, 1); got " + floorStep);
      if (max <= 0) throw new IllegalArgumentException("--filters (the largest share tried) must be above 0 with --floor");
      List<java.nio.ByteBuffer> in = EvalInputs.load(m, inputs, random, seed);
      int[] cls = EvalInputs.classes(classes, in.size());
      java.util.function.ToDoubleFunction<Model> eval = EvalInputs.evaluator(m, in, cls);
      int steps = (int) Math.floor(max / floorStep + 1e-9);
      FilterPruner.FloorResult fr;
      try (ProgressBar pb = Progress.bar("floor", steps)) {
        fr = FilterPruner.pruneToFloor(edit, o, model -> {
          double v = eval.applyAsDouble(model);
          pb.step();
          return v;
        }, floor, floorStep, max);
        pb.maxHint(pb.getCurrent()); // the search stops at the first share below the floor: the bar ends full
      }
      out.printf(Locale.ROOT, "%-8s %-10s %s%n", "share", cls != null ? "accuracy" : "top1_agree", "parameters");
      for (FilterPruner.Step st : fr.steps()) out.printf(Locale.ROOT, "%-8.3f %-10.4f %,d%n", st.factor(), st.score(), st.params());
      out.printf(Locale.ROOT, "kept share %.3f (floor %.4f on %d inputs)%n", fr.factor(), floor, in.size());
      edit = fr.model();
      r = fr.report();
    } else {
      r = FilterPruner.prune(edit, o.factor(max));
    }
    out.print(FilterPruner.describe(r));
    new ModelWriter().write(edit, output);
    out.printf("before: %s%n", before);
    out.printf("after:  %s%n", SizeReport.of(edit));
    out.printf("wrote %s (%,d bytes), dense%n", output, Files.size(output));
    out.flush();
    return 0;
  }

  /** conv, depthwise, dense (fc) to builtin op names. */
  static Set<String> opNames(List<String> ops, boolean depthwiseAllowed) {
    Set<String> names = new LinkedHashSet<>();
    for (String s : ops) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "conv": names.add("CONV_2D"); break;
        case "depthwise":
          if (!depthwiseAllowed) throw new IllegalArgumentException("--ops for --filters takes conv and dense (depthwise channels follow their producer)");
          names.add("DEPTHWISE_CONV_2D");
          break;
        case "dense": case "fc": names.add("FULLY_CONNECTED"); break;
        default: throw new IllegalArgumentException("--ops takes conv, depthwise, dense; got " + s);
      }
    }
    return names;
  }
}
