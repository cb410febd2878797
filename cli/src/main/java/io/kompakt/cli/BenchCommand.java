package io.kompakt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.measure.LatencyBench;
import io.kompakt.measure.Plots;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt bench MODEL}: latency distribution, memory and per-op profile, like TFLite's benchmark_model. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Times a model on seeded random inputs: init (load + prepare) and first-inference time, then warm-up",
        "runs and timed runs; prints min/median/mean/p90/max/std, the arena, the process's peak memory and a per-op profile",
        "(taken from as many profiled runs after the timed ones, so that reading the clock after every op does not count in the latency)."})
final class BenchCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the .tflite file")
  Path model;

  @Option(names = "--runs", defaultValue = "50", paramLabel = "N", description = "timed runs (default: ${DEFAULT-VALUE})")
  int runs;

  @Option(names = "--warmup", defaultValue = "5", paramLabel = "N", description = "untimed runs first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--warmup-time", defaultValue = "1", paramLabel = "SECONDS",
      description = "and warm up at least this long, then on until the JIT has gone quiet and runs stop getting faster "
          + "(at most 5 times this, and at least 5 s; 0: no such wait) (default: ${DEFAULT-VALUE})")
  double warmupTime;

  @Option(names = "--time", defaultValue = "0", paramLabel = "SECONDS", description = "stop timing after this long (0: run all --runs)")
  double time;

  @Option(names = "--cooldown", defaultValue = "0", paramLabel = "MS", description = "pause between timed runs (default: ${DEFAULT-VALUE})")
  int cooldown;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--kernels", defaultValue = "auto", paramLabel = "KIND", description = "auto, reference, scalar or vector (default: ${DEFAULT-VALUE})")
  String kernels;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the random inputs (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", description = "print one JSON object (every run included) instead of text")
  boolean json;

  @Option(names = "--csv", paramLabel = "FILE", description = "write one row per timed run")
  Path csv;

  @Option(names = "--plot", paramLabel = "FILE.png", description = "write a PNG of per-run latency and its histogram")
  Path plot;

  @Option(names = "--top-ops", defaultValue = "10", paramLabel = "N", description = "ops listed in the profile (default: ${DEFAULT-VALUE})")
  int topOps;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    Interpreter.Kernels k;
    try {
      k = Interpreter.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--kernels must be auto, reference, scalar or vector, not '" + kernels + "'");
    }
    for (Path p : new Path[] {csv, plot}) {
      if (p != null && p.toAbsolutePath().getParent() != null && !Files.isDirectory(p.toAbsolutePath().getParent())) {
        throw new NoSuchFileException(p.toAbsolutePath().getParent() + " (output folder)");
      }
    }
    LatencyBench.Config config = new LatencyBench.Config(warmup, warmupTime, runs, time, cooldown, threads, k, seed);
    LatencyBench.Result r;
    boolean bar = System.console() != null && !json && warmup + runs >= 20;
    if (bar) {
      try (ProgressBar pb = new ProgressBarBuilder().setTaskName("bench").setInitialMax(warmup + runs)
          .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
        r = LatencyBench.run(model, config, (phase, done, total) -> pb.step());
      }
    } else {
      r = LatencyBench.run(model, config, null);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
    } else {
      printText(r, out);
    }
    if (csv != null) {
      StringBuilder sb = new StringBuilder("run,latency_ms\n");
      for (int i = 0; i < r.runsMs().size(); i++) sb.append(i + 1).append(',').append(String.format(Locale.ROOT, "%.6f", r.runsMs().get(i))).append('\n');
      io.kompakt.engine.AtomicFiles.write(csv, sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    if (plot != null) Plots.latency(r, plot);
    out.flush();
    return 0;
  }

  private void printText(LatencyBench.Result r, PrintWriter out) {
    out.printf(Locale.ROOT, "model      %s%n", r.model());
    out.printf(Locale.ROOT, "setup      kernels %s, %d thread%s, %d warm-up, %d timed runs; %s on %s%n", r.kernels(), r.threads(),
        r.threads() > 1 ? "s" : "", r.warmup(), r.runs(), r.jdk(), r.osArch());
    out.printf(Locale.ROOT, "simd       %s%n", r.simd());
    out.printf(Locale.ROOT, "init       %.2f ms (load + prepare); first inference %.2f ms (includes JIT warm-up)%n", r.initMs(), r.firstMs());
    // models that run in microseconds (hello_world: 0.3 us) are shown in us, where ms would print 0.000
    boolean micro = r.medianMs() < 0.1;
    String unit = micro ? "us" : "ms";
    double k = micro ? 1000 : 1;
    out.printf(Locale.ROOT, "latency    min %.3f  median %.3f  mean %.3f  p90 %.3f  max %.3f  std %.3f %s%n",
        k * r.minMs(), k * r.medianMs(), k * r.meanMs(), k * r.p90Ms(), k * r.maxMs(), k * r.stdMs(), unit);
    out.printf(Locale.ROOT, "memory     arena %,d bytes; peak RSS %s%n", r.arenaBytes(),
        r.peakRssBytes() < 0 ? "unknown" : String.format(Locale.ROOT, "%,d bytes", r.peakRssBytes()));
    out.println("by op type (" + unit + " per run, share)");
    for (LatencyBench.OpTime t : r.byOpType()) out.printf(Locale.ROOT, "  %-26s %9.3f  %5.1f%%%n", t.name(), k * t.ms(), 100 * t.share());
    out.println("slowest ops");
    r.byOp().stream().sorted((a, b) -> Double.compare(b.ms(), a.ms())).limit(topOps)
        .forEach(t -> out.printf(Locale.ROOT, "  #%-4d %-21s %9.3f  %5.1f%%%n", t.index(), t.name(), k * t.ms(), 100 * t.share()));
  }
}
