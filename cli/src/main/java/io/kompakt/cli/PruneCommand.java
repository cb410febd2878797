package io.kompakt.cli;

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt prune MODEL -o OUT --sparsity 0.5}: magnitude pruning, stored sparse. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {"Zeroes the smallest-magnitude weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops to a target",
        "sparsity (per layer or one global threshold; unstructured, N:M along the input channels, or 1x4 / 4x1 blocks;",
        "quantized weights go to their zero point) and, unless --no-sparse-storage, stores the pruned weights in TFLite's",
        "sparse format behind DENSIFY ops, as TFLite's converter does. Prints each layer's sparsity and the sizes."})
final class PruneCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the .tflite file")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the pruned model")
  Path output;

  @Option(names = "--sparsity", defaultValue = "0.5", paramLabel = "S", description = "target fraction of zero weights, in [0, 1] (default 0.5; ignored for N:M)")
  double sparsity;

  @Option(names = "--scope", defaultValue = "layer", paramLabel = "global|layer", description = "one threshold over all layers or the target in each (default layer)")
  String scope;

  @Option(names = "--pattern", defaultValue = "unstructured", paramLabel = "P", description = "unstructured, N:M (e.g. 2:4), block1x4 or block4x1 (default unstructured)")
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

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    Pruner.Options o = new Pruner.Options().sparsity(sparsity).structure(Pruner.Structure.parse(pattern));
    switch (scope.toLowerCase(Locale.ROOT)) {
      case "layer": o.scope(Pruner.Scope.LAYER); break;
      case "global": o.scope(Pruner.Scope.GLOBAL); break;
      default: throw new IllegalArgumentException("--scope is global or layer; got " + scope);
    }
    if (ops != null) {
      Set<String> names = new LinkedHashSet<>();
      for (String s : ops) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
          case "conv": names.add("CONV_2D"); break;
          case "depthwise": names.add("DEPTHWISE_CONV_2D"); break;
          case "dense": case "fc": names.add("FULLY_CONNECTED"); break;
          default: throw new IllegalArgumentException("--ops takes conv, depthwise, dense; got " + s);
        }
      }
      o.ops(names);
    }
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
}
