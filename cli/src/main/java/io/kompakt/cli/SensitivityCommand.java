package io.kompakt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kompakt.compress.Pruner;
import io.kompakt.compress.Sensitivity;
import io.kompakt.compress.SizeReport;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.engine.AtomicFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.measure.Plots;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt sensitivity MODEL}: how much each layer can be pruned on its own. */
@Command(name = "sensitivity", mixinStandardHelpOptions = true,
    description = {"Prunes one layer at a time (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED weights, by magnitude) at each sparsity",
        "of --steps and measures the model on the given inputs against the unpruned one: relative L2 error of output 0, top-1",
        "agreement, and accuracy where --classes are given. Prints a table; --csv, --json and --plot write it too. With",
        "--max-drop and -o, prunes each layer to the highest sparsity whose drop stays within the bound and writes that model."})
final class SensitivityCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the .tflite file")
  Path model;

  @Option(names = "--inputs", arity = "1..*", paramLabel = "FILE", description = "inputs to evaluate on: images (JPEG/PNG/BMP, scaled as `run` does) or .bin/.npy tensors (default: --random)")
  List<Path> inputs;

  @Option(names = "--random", defaultValue = "8", paramLabel = "N", description = "without --inputs: N seeded random inputs (default 8)")
  int random;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "seed of the random inputs (default 1)")
  long seed;

  @Option(names = "--classes", paramLabel = "FILE", description = "the true class of each input, one index a line: accuracy is measured too")
  Path classes;

  @Option(names = "--steps", split = ",", defaultValue = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", paramLabel = "S,S,...",
      description = "sparsities to try per layer (default 0,0.1,...,0.9)")
  double[] steps;

  @Option(names = "--pattern", defaultValue = "unstructured", paramLabel = "P", description = "unstructured, N:M (e.g. 2:4), or blocks RxC along output x input channels: block1x4, block4x1, block8x1 (the fastest for the sparse kernels) ... (default unstructured)")
  String pattern;

  @Option(names = "--ops", split = ",", paramLabel = "conv,depthwise,dense", description = "op types to analyse (default all three)")
  List<String> ops;

  @Option(names = "--include", paramLabel = "REGEX", description = "only layers whose weight or output name contains a match")
  String include;

  @Option(names = "--skip", arity = "1..*", paramLabel = "NAME", description = "layers (weight or output tensor names) left out")
  List<String> skip;

  @Option(names = "--csv", paramLabel = "FILE", description = "write the table as CSV")
  Path csv;

  @Option(names = "--json", description = "print the result as JSON instead of the table")
  boolean json;

  @Option(names = "--plot", paramLabel = "FILE.png", description = "plot top-1 agreement (or accuracy) and relative error against sparsity, a line per layer")
  Path plot;

  @Option(names = "--max-drop", paramLabel = "D", description = "per layer, the highest sparsity whose drop of accuracy (or of top-1 agreement) is at most D, e.g. 0.01")
  Double maxDrop;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "with --max-drop: write the model pruned to the chosen per-layer sparsities (stored sparse)")
  Path output;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "inference threads (default 1)")
  int threads;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (output != null && maxDrop == null) throw new IllegalArgumentException("-o needs --max-drop");
    if (maxDrop != null && !(maxDrop >= 0 && maxDrop <= 1)) throw new IllegalArgumentException("--max-drop must be in [0, 1]; got " + maxDrop);
    if (steps.length == 0) throw new IllegalArgumentException("--steps needs at least one sparsity");
    for (double st : steps) if (!(st >= 0 && st <= 1)) throw new IllegalArgumentException("--steps must be sparsities in [0, 1]; got " + st);
    if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1");
    Pruner.Options o = new Pruner.Options().structure(Pruner.Structure.parse(pattern));
    if (ops != null) o.ops(PruneCommand.opNames(ops, true));
    if (include != null) o.include(include);
    if (skip != null) o.skip(new LinkedHashSet<>(skip));
    Model m = Model.load(model);
    List<ByteBuffer> in = EvalInputs.load(m, inputs, random, seed);
    int[] cls = EvalInputs.classes(classes, in.size());
    EditableModel edit = EditableModel.from(m);
    int total = Sensitivity.layers(edit, o) * steps.length;
    if (total == 0) throw new IllegalArgumentException("no layer of " + model + " matches the selection");
    Sensitivity.Result r;
    try (ProgressBar pb = new ProgressBarBuilder().setTaskName("sensitivity").setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
      r = Sensitivity.analyse(edit, o, steps, in, cls, new Interpreter.Options().setNumThreads(threads), pb::stepTo);
    }
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Double> chosen = maxDrop == null ? null : Sensitivity.choose(r, maxDrop);
    if (json) {
      out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(r, chosen)));
    } else {
      out.print(Sensitivity.table(r));
      if (chosen != null) {
        out.printf(Locale.ROOT, "per-layer sparsity for a drop of at most %.4f:%n", maxDrop);
        for (Map.Entry<String, Double> e : chosen.entrySet()) out.printf(Locale.ROOT, "  %-44s %3.0f%%%n", e.getKey(), 100 * e.getValue());
      }
    }
    if (csv != null) AtomicFiles.write(csv, Sensitivity.csv(r).getBytes(StandardCharsets.UTF_8));
    if (plot != null) {
      Map<String, double[][]> series = new LinkedHashMap<>();
      for (Sensitivity.Curve c : r.curves()) {
        double[] xs = new double[c.points().size()], ys = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
          Sensitivity.Point p = c.points().get(i);
          xs[i] = 100 * p.sparsity();
          ys[i] = r.labelled() ? p.accuracy() : p.top1Agreement();
        }
        series.put(c.layer(), new double[][] {xs, ys});
      }
      Plots.lines(model.getFileName() + ": one layer pruned at a time (" + in.size() + " inputs)", "sparsity of the layer (%)",
          r.labelled() ? "accuracy" : "top-1 agreement with the unpruned model", series, plot);
    }
    if (output != null) {
      SizeReport before = SizeReport.of(edit);
      List<Pruner.Layer> done = Sensitivity.applyPerLayer(edit, chosen, o);
      SizeReport after = SizeReport.of(edit);
      SparseEncoder.encode(edit, new SparseEncoder.Options());
      new ModelWriter().write(edit, output);
      if (!json) {
        out.printf("pruned %d layers; before: %s%nafter:  %s%nwrote %s (%,d bytes)%n", done.size(), before, after, output, Files.size(output));
      }
    }
    out.flush();
    return 0;
  }

  private static ObjectNode toJson(Sensitivity.Result r, Map<String, Double> chosen) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("inputs", r.inputs());
    if (r.labelled()) root.put("base_accuracy", r.baseAccuracy());
    ArrayNode layers = root.putArray("layers");
    for (Sensitivity.Curve c : r.curves()) {
      ObjectNode l = layers.addObject();
      l.put("layer", c.layer());
      l.put("op", c.op());
      l.put("weights", c.weights());
      if (chosen != null) l.put("chosen_sparsity", chosen.get(c.layer()));
      ArrayNode pts = l.putArray("points");
      for (Sensitivity.Point p : c.points()) {
        ObjectNode n = pts.addObject();
        n.put("sparsity", p.sparsity());
        n.put("achieved", p.achieved());
        if (Double.isFinite(p.relL2())) n.put("rel_l2", p.relL2()); else n.putNull("rel_l2");
        n.put("top1_agreement", p.top1Agreement());
        if (r.labelled()) n.put("accuracy", p.accuracy());
      }
    }
    return root;
  }
}
