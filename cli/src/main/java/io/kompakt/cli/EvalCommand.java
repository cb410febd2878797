package io.kompakt.cli;

import io.kompakt.data.Dataset;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.AtomicFiles;
import io.kompakt.engine.model.Model;
import io.kompakt.measure.eval.ClassificationMetrics;
import io.kompakt.measure.eval.EvalPlots;
import io.kompakt.measure.eval.Evaluation;
import io.kompakt.measure.eval.Evaluator;
import io.kompakt.measure.eval.Plan;
import io.kompakt.measure.eval.PreparedImages;
import io.kompakt.measure.eval.Results;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt eval MODEL DATA}: accuracy, per-class figures, confusion matrix, agreement and throughput. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluates a classifier on a data set: top-1/top-5 accuracy, per-class precision/recall/F1, the confusion",
        "matrix (text, and PNG with --confusion), agreement with a --reference model, throughput and per-image latency.",
        "DATA is a folder of IDX files (MNIST / Fashion-MNIST, e.g. /usr/share/datasets/fashion-mnist), a folder with one",
        "sub-folder per class, a folder of unlabelled images (then only agreement), or a CSV file of path,label."})
final class EvalCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "the .tflite classifier (one image input, scores as output 0)")
  Path model;

  @Parameters(index = "1", paramLabel = "DATA", description = "IDX folder, class-folder tree, image folder or path,label CSV")
  Path data;

  @Option(names = "--split", defaultValue = "t10k", paramLabel = "NAME", description = "IDX split: t10k (test) or train (default: ${DEFAULT-VALUE})")
  String split;

  @Option(names = "--limit", defaultValue = "0", paramLabel = "N", description = "evaluate the first N images only (0: all; default: ${DEFAULT-VALUE})")
  int limit;

  @Option(names = "--reference", paramLabel = "MODEL", description = "a model to compare predictions with (top-1 agreement)")
  Path reference;

  @Option(names = "--crop", defaultValue = "1", paramLabel = "F", description = "centre crop keeping this fraction of each side before resizing (default: ${DEFAULT-VALUE}, no crop)")
  double crop;

  @Option(names = "--mean", split = ",", paramLabel = "M", description = "float inputs: (x - mean) / std, one value or one per channel (default: the model's metadata, else 127.5)")
  float[] mean;

  @Option(names = "--std", split = ",", paramLabel = "S", description = "float inputs: the std (default: the model's metadata, else 127.5; Fashion-MNIST models trained on x/255 take --mean 0 --std 255)")
  float[] std;

  @Option(names = "--bgr", description = "feed channels as blue, green, red")
  boolean bgr;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "threads per inference (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--kernels", defaultValue = "auto", paramLabel = "KIND", description = "auto, reference, scalar or vector (default: ${DEFAULT-VALUE})")
  String kernels;

  @Option(names = "--cooldown", defaultValue = "0", paramLabel = "MS", description = "pause after each image (default: ${DEFAULT-VALUE})")
  int cooldown;

  @Option(names = "--confusion", paramLabel = "FILE.png", description = "write the confusion matrix as a PNG heat map")
  Path confusion;

  @Option(names = "--csv", paramLabel = "FILE", description = "write one row per class (support, precision, recall, F1)")
  Path csv;

  @Option(names = "--json", description = "print one JSON object instead of text")
  boolean json;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (reference != null && !Files.isRegularFile(reference)) throw new NoSuchFileException(reference.toString());
    if (limit < 0) throw new IllegalArgumentException("--limit must be 0 (all) or more, not " + limit);
    for (Path p : new Path[] {confusion, csv}) {
      if (p != null && p.toAbsolutePath().getParent() != null && !Files.isDirectory(p.toAbsolutePath().getParent())) {
        throw new NoSuchFileException(p.toAbsolutePath().getParent() + " (output folder)");
      }
    }
    Evaluator.Options o = new Evaluator.Options(threads, Plan.kernels(kernels), cooldown);
    Model m = Model.load(model);
    int[] hw = Evaluator.imageInputSize(m);
    Dataset ds = Dataset.open(data, split, limit);
    Preprocessing pre = Preprocessing.forModel(m, crop, mean, std, bgr);
    PreparedImages images = new PreparedImages(ds, pre, hw[1], hw[0]);
    boolean bar = System.console() != null && !json && ds.size() >= 20;
    Evaluator.Predictions ref = null;
    Results.Evaluation r;
    try (ProgressBar pb = bar ? Progress.bar("eval", (reference != null ? 2L : 1L) * ds.size()) : null) {
      Evaluator.Progress step = pb == null ? null : (d, t) -> pb.step();
      if (reference != null) {
        Model rm = Model.load(reference);
        int[] rhw = Evaluator.imageInputSize(rm);
        PreparedImages rimages = rhw[0] == hw[0] && rhw[1] == hw[1] ? images
            : new PreparedImages(ds, Preprocessing.forModel(rm, crop, mean, std, bgr), rhw[1], rhw[0]);
        if (pb != null) pb.setExtraMessage("reference");
        ref = Evaluator.predict(rm, rimages, o, step);
        if (pb != null) pb.setExtraMessage("model");
      }
      r = Evaluation.run(m, images, o, ref, reference == null ? null : reference.toString(), step);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Results.mapper().writeValueAsString(r));
    } else {
      printText(r, pre, out);
    }
    if (confusion != null) {
      if (r.confusion() == null) throw new IllegalArgumentException("--confusion needs labelled data with at most " + Evaluation.MAX_CONFUSION_CLASSES + " classes");
      EvalPlots.png(EvalPlots.confusion(r.confusion(), ds.classes(), model.getFileName() + ": confusion matrix"), confusion);
    }
    if (csv != null) {
      StringBuilder sb = new StringBuilder("class,name,support,precision,recall,f1\n");
      for (Results.ClassResult c : r.perClass()) {
        sb.append(String.format(Locale.ROOT, "%d,%s,%d,%.6f,%.6f,%.6f%n", c.index(), c.name().contains(",") ? "\"" + c.name() + "\"" : c.name(),
            c.support(), c.precision(), c.recall(), c.f1()));
      }
      AtomicFiles.write(csv, sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
    return 0;
  }

  private static void printText(Results.Evaluation r, Preprocessing pre, PrintWriter out) {
    out.printf(Locale.ROOT, "model        %s%n", r.model());
    out.printf(Locale.ROOT, "data         %s%n", r.dataset());
    out.printf(Locale.ROOT, "preprocess   %s%n", pre.describe());
    Results.LatencyStats l = r.imageLatency();
    out.printf(Locale.ROOT, "speed        %.1f images/s; per image median %.3f ms, p90 %.3f ms, max %.3f ms; arena %,d bytes%n",
        r.imagesPerSecond(), l.medianMs(), l.p90Ms(), l.maxMs(), r.arenaBytes());
    if (r.labelled()) {
      out.printf(Locale.ROOT, "accuracy     top-1 %.2f%%  top-5 %.2f%%  macro F1 %.4f  (%d images)%n", 100 * r.top1(), 100 * r.top5(), r.macroF1(), r.images());
    } else {
      out.printf(Locale.ROOT, "accuracy     unlabelled data (%d images): see agreement%n", r.images());
    }
    if (r.agreement() != null) out.printf(Locale.ROOT, "agreement    %.2f%% of top-1 classes equal to %s%n", 100 * r.agreement(), r.reference());
    if (!r.perClass().isEmpty()) {
      out.printf(Locale.ROOT, "%n%5s  %-16s %7s %9s %9s %9s%n", "class", "name", "images", "precision", "recall", "F1");
      for (Results.ClassResult c : r.perClass()) {
        if (c.support() == 0 && r.perClass().size() > 20) continue;
        out.printf(Locale.ROOT, "%5d  %-16s %7d %9.4f %9.4f %9.4f%n", c.index(), c.name(), c.support(), c.precision(), c.recall(), c.f1());
      }
    }
    if (r.confusion() != null && r.confusion().length <= 20) {
      ClassificationMetrics cm = new ClassificationMetrics(r.images(), 0, 0, r.confusion(), perClass(r));
      out.printf("%nconfusion matrix (rows: true class, columns: predicted)%n%s", cm.confusionText());
    }
  }

  private static java.util.List<ClassificationMetrics.PerClass> perClass(Results.Evaluation r) {
    java.util.List<ClassificationMetrics.PerClass> l = new java.util.ArrayList<>();
    for (Results.ClassResult c : r.perClass()) l.add(new ClassificationMetrics.PerClass(c.index(), c.name(), c.support(), 0, 0, c.precision(), c.recall(), c.f1()));
    return l;
  }
}
