package io.kompakt.measure.eval;

import io.kompakt.compress.SizeReport;
import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.data.Dataset;
import io.kompakt.data.ImageInput;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.AtomicFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.measure.LatencyBench;
import io.kompakt.measure.PeakMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an experiment {@link Plan}: makes every variant from the base model (steps in order, then sparse storage
 * of pruned weights unless the plan says otherwise), writes it to {@code <out>/models/<name>.tflite}, and measures
 * its file sizes (raw and gzip), accuracy and per-class accuracy (or agreement with the reference model on
 * unlabelled data), per-image latency during the evaluation, timed runs with cooldown (as {@code kompakt bench}),
 * the arena, the memory the loaded model holds and the process's peak RSS. A variant whose step is unavailable or
 * fails is recorded with its message; the others still run.
 */
public final class ExperimentRunner {
  private ExperimentRunner() {}

  /** Told what is happening (a progress bar). */
  public interface Listener {
    /** A variant starts: its position (from 1) and the count. */
    default void variant(int index, int count, String name) {}

    /** Progress in a phase ("reference", "eval", "bench"). */
    default void step(String phase, int done, int total) {}

    /** A note for the user (e.g. a variant that could not be made). */
    default void note(String message) {}
  }

  /** Runs the plan; model files go to {@code out/models}. */
  public static Results.Experiment run(Plan plan, Path out, String sourceLabel, Listener listener) throws IOException {
    Listener l = listener == null ? new Listener() {} : listener;
    long start = System.nanoTime();
    Model base = Model.load(plan.base());
    int[] hw = Evaluator.imageInputSize(base);
    Dataset data = Dataset.open(plan.data(), plan.split(), plan.limit());
    Preprocessing pre = Preprocessing.forModel(base, plan.crop(), plan.mean(), plan.std(), plan.bgr());
    PreparedImages images = new PreparedImages(data, pre, hw[1], hw[0]);
    Path models = out.resolve("models");
    Files.createDirectories(models);

    Model referenceModel = plan.reference() == null ? base : Model.load(plan.reference());
    String referenceName = plan.reference() == null ? "base model " + plan.base().getFileName() : plan.reference().getFileName().toString();
    l.variant(0, plan.variants().size(), "reference");
    Evaluator.Predictions reference = Evaluator.predict(referenceModel, images, plan.evaluation(), (d, t) -> l.step("reference", d, t));

    Results.Source source = Results.Source.here(sourceLabel);
    List<Results.Variant> results = new ArrayList<>();
    int k = 0;
    for (Plan.Variant v : plan.variants()) {
      l.variant(++k, plan.variants().size(), v.name());
      results.add(runVariant(plan, v, base, images, reference, models, source.label(), l));
    }
    Map<String, Object> latency = new LinkedHashMap<>();
    if (plan.latency() != null) {
      LatencyBench.Config c = plan.latency();
      latency.put("runs", c.runs());
      latency.put("warmup", c.warmup());
      latency.put("warmup_seconds", c.warmupSeconds());
      latency.put("cooldown_ms", c.cooldownMs());
      latency.put("threads", c.threads());
      latency.put("kernels", c.kernels().name().toLowerCase(java.util.Locale.ROOT));
    }
    latency.put("evaluation_threads", plan.evaluation().threads());
    latency.put("evaluation_cooldown_ms", plan.evaluation().cooldownMs());
    return new Results.Experiment(plan.name(), plan.file() == null ? null : plan.file().toString(), source, plan.base().toString(),
        data.description(), data.size(), data.labelled(), data.classes(), pre.toMap(), referenceName, latency,
        (System.nanoTime() - start) / 1e9, results);
  }

  static Results.Variant runVariant(Plan plan, Plan.Variant v, Model base, PreparedImages images, Evaluator.Predictions reference,
                                    Path models, String source, Listener l) {
    List<String> notes = new ArrayList<>();
    EditableModel m = EditableModel.from(base);
    try {
      Calibrator.Source calibration = new Calibrator.Source() {
        @Override public int count() { return images.size(); }
        @Override public void fill(int index, Interpreter it) {
          ImageInput.fill(it.getInputTensor(0), images.get(index), images.preprocessing().normalization());
        }
      };
      for (Plan.StepSpec s : v.steps()) notes.add(s.step() + ": " + VariantSteps.apply(s.step(), m, s.params(), calibration));
      if (plan.sparseStorage() && v.steps().stream().noneMatch(s -> s.step().equals("sparse"))) {
        SparseEncoder.Report r = SparseEncoder.encode(m, new SparseEncoder.Options());
        if (!r.encoded().isEmpty()) notes.add("sparse storage: " + r.encoded().size() + " tensors behind " + r.densifyOps() + " DENSIFY ops");
      }
    } catch (VariantSteps.UnavailableException e) {
      l.note(v.name() + ": " + e.getMessage());
      return failed(source, v, "unavailable", e.getMessage(), notes);
    } catch (RuntimeException e) {
      l.note(v.name() + ": could not be made: " + e.getMessage());
      return failed(source, v, "failed", "could not be made: " + e.getMessage(), notes);
    }
    Path file = models.resolve(v.name() + ".tflite");
    try {
      byte[] bytes = ModelWriter.toBytes(m);
      AtomicFiles.write(file, bytes);
      long gzip = SizeReport.gzipSize(bytes);
      long heap0 = heapUsed();
      Model model = Model.load(file);
      long held;
      Evaluator.Predictions p;
      Interpreter.Options io = new Interpreter.Options().setNumThreads(plan.evaluation().threads()).setKernels(plan.evaluation().kernels());
      try (Interpreter probe = new Interpreter(model, io)) {
        held = Math.max(0, heapUsed() - heap0) + Files.size(file);
      }
      p = Evaluator.predict(model, images, plan.evaluation(), (d, t) -> l.step("eval", d, t));
      Results.Evaluation e = Evaluation.summarize(file.toString(), images, p, reference, null);
      Results.LatencyStats bench = null;
      if (plan.latency() != null) {
        LatencyBench.Result r = LatencyBench.run(file, plan.latency(), (phase, d, t) -> l.step("bench " + phase, d, t));
        bench = new Results.LatencyStats(r.runs(), r.minMs(), r.medianMs(), r.meanMs(), r.p90Ms(), r.maxMs(), r.stdMs());
      }
      return new Results.Variant(source, v.name(), v.describe(), "ok", null, notes, file.toString(), bytes.length, gzip,
          e.top1(), e.top5(), e.macroF1(), e.agreement(), e.perClass(), e.confusion(), e.imagesPerSecond(), bench, e.imageLatency(),
          Evaluation.millis(p.nanos()), p.arenaBytes(), held, PeakMemory.peakRssBytes());
    } catch (IOException | RuntimeException e) {
      l.note(v.name() + ": failed: " + e.getMessage());
      return failed(source, v, "failed", e.getMessage(), notes);
    }
  }

  private static Results.Variant failed(String source, Plan.Variant v, String status, String message, List<String> notes) {
    return new Results.Variant(source, v.name(), v.describe(), status, message, notes, null, 0, 0, null, null, null, null, List.of(), null,
        null, null, null, List.of(), 0, 0, 0);
  }

  /** Java heap in use after a full collection (for the memory a loaded model and its interpreter hold). */
  static long heapUsed() {
    Runtime r = Runtime.getRuntime();
    System.gc();
    return r.totalMemory() - r.freeMemory();
  }
}
