package io.kompakt.cli;

import io.kompakt.measure.eval.ExperimentReport;
import io.kompakt.measure.eval.ExperimentRunner;
import io.kompakt.measure.eval.Plan;
import io.kompakt.measure.eval.Results;
import io.kompakt.measure.eval.VariantSteps;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt experiment PLAN}: a grid of compressed variants, measured side by side, with CSV, plots and a report. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = {"Runs an experiment plan (JSON; see docs/experiments.md): makes every variant of a base model (pruning,",
        "dynamic-range int8, float16, ... as a list or a sparsity x layers x quantization grid), writes it, and measures file",
        "sizes (raw, gzip), accuracy and per-class accuracy (or agreement with a reference), timed runs with cooldown,",
        "per-image latency and memory. Writes results.json, variants.csv, classes.csv, image_latency.csv, PNG/SVG plots and",
        "report.html (one page) to the output folder. --merge adds earlier results (e.g. from a Pi 4) to the same report."})
final class ExperimentCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "PLAN", description = "the plan file (.json)")
  Path plan;

  @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "output folder (default: <plan name>-results beside the plan; created if absent)")
  Path output;

  @Option(names = "--limit", paramLabel = "N", description = "evaluate the first N images only (overrides the plan's limit)")
  Integer limit;

  @Option(names = "--runs", paramLabel = "N", description = "timed runs per variant (overrides the plan's latency.runs; 0 skips them)")
  Integer runs;

  @Option(names = "--label", paramLabel = "NAME", description = "name of this machine in merged reports (default: the host name)")
  String label;

  @Option(names = "--merge", arity = "1..*", paramLabel = "RESULTS.json", description = "results.json files of earlier runs to show in the same report")
  List<Path> merge;

  @Option(names = "--from", paramLabel = "RESULTS.json", description = "rebuild the report from an earlier results.json instead of running a plan")
  Path from;

  @Option(names = "--json", description = "print the results as one JSON object when done")
  boolean json;

  @Option(names = "--list-steps", description = "list the variant steps this build has and exit")
  boolean listSteps;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (listSteps) {
      for (String s : VariantSteps.names()) out.println(s);
      out.flush();
      return 0;
    }
    if ((plan == null) == (from == null)) throw new IllegalArgumentException("give a PLAN to run, or --from RESULTS.json to rebuild a report (not both)");
    List<Results.Experiment> merged = new ArrayList<>();
    if (merge != null) for (Path p : merge) merged.add(Results.readExperiment(p));
    Results.Experiment e;
    Path dir;
    if (from != null) {
      e = Results.readExperiment(from);
      if (output == null) throw new IllegalArgumentException("--from needs -o DIR for the new report");
      dir = output;
    } else {
      if (!Files.isRegularFile(plan)) throw new NoSuchFileException(plan.toString(), null, "no such plan file");
      Plan p = Plan.read(plan);
      if (limit != null || runs != null) p = override(p);
      String stem = plan.getFileName().toString().replaceFirst("\\.json$", "");
      dir = output != null ? output : plan.toAbsolutePath().getParent().resolve(stem + "-results");
      if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " exists and is not a folder");
      PrintWriter err = spec.commandLine().getErr();
      boolean bar = System.console() != null && !json;
      int n = p.variants().size();
      List<String> notes = new ArrayList<>();
      ProgressBar[] pb = new ProgressBar[1];
      String[] name = {""};
      ExperimentRunner.Listener listener = new ExperimentRunner.Listener() {
        @Override
        public void variant(int index, int count, String v) {
          name[0] = String.format(Locale.ROOT, "%d/%d %s", index, count, v);
          if (pb[0] != null) pb[0].setExtraMessage(name[0]);
          else if (!json) err.println("[" + name[0] + "]");
        }

        @Override
        public void step(String phase, int done, int total) {
          if (pb[0] == null && bar && phase.equals("reference") && done == 1) {
            pb[0] = Progress.bar("experiment", (long) total * (n + 1));
            pb[0].setExtraMessage(name[0]);
          }
          if (pb[0] != null && (phase.equals("eval") || phase.equals("reference"))) pb[0].step();
          if (pb[0] != null && phase.startsWith("bench")) pb[0].setExtraMessage(name[0] + " (" + phase + " " + done + "/" + total + ")");
        }

        @Override
        public void note(String message) { notes.add(message); }
      };
      try {
        e = ExperimentRunner.run(p, dir, label, listener);
      } finally {
        if (pb[0] != null) pb[0].close();
      }
      for (String s : notes) err.println("note: " + s);
    }
    ExperimentReport.Written w = ExperimentReport.write(e, merged, dir);
    if (json) {
      out.println(Results.mapper().writeValueAsString(e));
    } else {
      printTable(e, merged, out);
      out.printf("wrote %s (one page), %s, %s, %s, %s and %d plots in %s%n", w.html().getFileName(), w.json().getFileName(), w.variantsCsv().getFileName(),
          w.classesCsv().getFileName(), w.latencyCsv().getFileName(), w.plots().size(), dir);
    }
    out.flush();
    return 0;
  }

  private Plan override(Plan p) {
    var lat = p.latency();
    if (runs != null && runs < 0) throw new IllegalArgumentException("--runs must be 0 or more, not " + runs);
    if (limit != null && limit < 0) throw new IllegalArgumentException("--limit must be 0 (all) or more, not " + limit);
    if (runs != null) {
      lat = runs == 0 ? null : new io.kompakt.measure.LatencyBench.Config(lat == null ? 5 : lat.warmup(), lat == null ? 0.5 : lat.warmupSeconds(), runs, 0,
          lat == null ? 0 : lat.cooldownMs(), lat == null ? p.evaluation().threads() : lat.threads(), lat == null ? p.evaluation().kernels() : lat.kernels(), 1);
    }
    return new Plan(p.file(), p.name(), p.base(), p.reference(), p.data(), p.split(), limit != null ? limit : p.limit(), p.crop(), p.mean(), p.std(),
        p.bgr(), p.evaluation(), lat, p.sparseStorage(), p.variants());
  }

  private static void printTable(Results.Experiment e, List<Results.Experiment> merged, PrintWriter out) {
    out.printf(Locale.ROOT, "%s: %s, %d images, %s%n", e.name(), e.dataset(), e.images(), e.labelled() ? "top-1 accuracy" : "agreement with " + e.reference());
    out.printf(Locale.ROOT, "%-12s %-26s %10s %10s %8s %8s %10s %10s %11s%n", "source", "variant", "raw KB", "gzip KB", "top-1", "agree", "median ms", "p90 ms", "model mem KB");
    List<Results.Experiment> all = new ArrayList<>(List.of(e));
    all.addAll(merged);
    for (Results.Experiment x : all) {
      for (Results.Variant v : x.variants()) {
        String src = v.source() != null ? v.source() : x.source().label();
        if (!v.ok()) {
          out.printf(Locale.ROOT, "%-12s %-26s %s: %s%n", trim(src, 12), v.name(), v.status(), v.message());
          continue;
        }
        Results.LatencyStats b = v.benchLatency() != null ? v.benchLatency() : v.imageLatency();
        out.printf(Locale.ROOT, "%-12s %-26s %10.1f %10.1f %8s %8s %10.3f %10.3f %11.1f%n", trim(src, 12), v.name(), v.rawBytes() / 1024.0, v.gzipBytes() / 1024.0,
            pct(v.top1()), pct(v.agreement()), b.medianMs(), b.p90Ms(), v.modelMemoryBytes() / 1024.0);
      }
    }
  }

  private static String trim(String s, int n) { return s.length() <= n ? s : s.substring(0, n); }

  private static String pct(Double d) { return d == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * d); }
}
