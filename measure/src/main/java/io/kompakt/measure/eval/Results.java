package io.kompakt.measure.eval;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/** What evaluations and experiments measured, as records that print as (and read back from) snake_case JSON. */
public final class Results {
  private Results() {}

  /** Where a result was measured. */
  public record Source(String label, String host, String osArch, String jdk, int cpus, String simd, String date) {
    public static Source here(String label) {
      String host;
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "unknown";
      }
      return new Source(label == null || label.isBlank() ? host : label, host, System.getProperty("os.arch"),
          System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
          io.kompakt.engine.run.KernelRegistry.defaults().description(), java.time.Instant.now().toString());
    }
  }

  /** Latency statistics in milliseconds. */
  public record LatencyStats(int runs, double minMs, double medianMs, double meanMs, double p90Ms, double maxMs, double stdMs) {
    public static LatencyStats of(List<Double> ms) {
      if (ms.isEmpty()) return null;
      DescriptiveStatistics st = new DescriptiveStatistics();
      ms.forEach(st::addValue);
      Percentile p = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
      double[] v = st.getValues();
      return new LatencyStats(ms.size(), st.getMin(), p.evaluate(v, 50), st.getMean(), p.evaluate(v, 90), st.getMax(),
          ms.size() > 1 ? st.getStandardDeviation() : 0);
    }
  }

  /** One class of one model: images, precision, recall (the class's accuracy) and F1. */
  public record ClassResult(int index, String name, int support, double precision, double recall, double f1) {}

  /** One model evaluated on one data set (kompakt eval, and each variant of an experiment). */
  public record Evaluation(String model, String dataset, int images, boolean labelled, Map<String, Object> preprocessing,
                           Double top1, Double top5, Double macroF1, String reference, Double agreement,
                           List<ClassResult> perClass, int[][] confusion, double imagesPerSecond, LatencyStats imageLatency,
                           long arenaBytes) {}

  /**
   * One variant of an experiment. Status "ok", "unavailable" (a step this build does not have) or "failed"
   * (with the message). Sizes are of the file written; latency from timed runs with cooldown (bench) and per image
   * during the evaluation.
   */
  public record Variant(String source, String name, String steps, String status, String message, List<String> notes,
                        String file, long rawBytes, long gzipBytes, Double top1, Double top5, Double macroF1, Double agreement,
                        List<ClassResult> perClass, int[][] confusion, Double imagesPerSecond, LatencyStats benchLatency,
                        LatencyStats imageLatency, List<Double> imageLatencyMs, long arenaBytes, long modelMemoryBytes,
                        long peakRssBytes) {
    public boolean ok() { return "ok".equals(status); }

    /** Top-1 accuracy where the data is labelled, else agreement with the reference. */
    public Double score() { return top1 != null ? top1 : agreement; }

    /** The same result attributed to another source (merged reports). */
    public Variant withSource(String s) {
      return new Variant(s, name, steps, status, message, notes, file, rawBytes, gzipBytes, top1, top5, macroF1, agreement, perClass,
          confusion, imagesPerSecond, benchLatency, imageLatency, imageLatencyMs, arenaBytes, modelMemoryBytes, peakRssBytes);
    }
  }

  /** A whole experiment: where, on what, and every variant. */
  public record Experiment(String name, String plan, Source source, String baseModel, String dataset, int images, boolean labelled,
                           List<String> classes, Map<String, Object> preprocessing, String reference, Map<String, Object> latencyConfig,
                           double seconds, List<Variant> variants) {}

  /** The JSON mapper used for every report: snake_case names, indented, nulls kept. */
  public static ObjectMapper mapper() {
    return new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  /** Reads an experiment's results.json (e.g. from a Pi 4) to merge into a report. */
  public static Experiment readExperiment(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such results file");
    try {
      Experiment e = mapper().readValue(file.toFile(), Experiment.class);
      if (e.variants() == null || e.source() == null) throw new IOException(file + ": not an experiment's results.json (no variants or source)");
      return e;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": not an experiment's results.json: " + e.getOriginalMessage());
    }
  }

  /** Per-class results from metrics. */
  public static List<ClassResult> perClass(ClassificationMetrics m) {
    List<ClassResult> out = new ArrayList<>();
    for (ClassificationMetrics.PerClass c : m.perClass()) out.add(new ClassResult(c.index(), c.name(), c.support(), c.precision(), c.recall(), c.f1()));
    return out;
  }

  static Double finite(double d) { return Double.isFinite(d) ? d : null; }
}
