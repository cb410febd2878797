package io.kompakt.measure;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;

/**
 * Latency of a model as TFLite's benchmark_model measures it, made for people: init (load + prepare), the first
 * inference, warm-up runs, then timed runs (a count or a time budget) with an optional cooldown between them,
 * and the distribution, the arena, the process's peak memory and a per-op profile. As in benchmark_model, the timed
 * runs are plain runs; the per-op profile comes from as many profiled runs after them (reading the clock after every op
 * costs about 25 ns an op here: a third of a sub-microsecond model's time).
 */
public final class LatencyBench {
  private LatencyBench() {}

  /**
   * What to run.
   *
   * @param warmup untimed runs first (at least this many)
   * @param warmupSeconds and at least this long: the JIT compiles a small model's kernels only after thousands of runs;
   *     if more than 0, warm-up then goes on until it has settled ({@link Settling}), for at most
   *     {@link #settleCapSeconds} in all
   * @param runs timed runs (at least 1)
   * @param timeBudgetSeconds if > 0, stop timing runs once this much time has passed (at least one run)
   * @param cooldownMs pause between timed runs (lets a small device cool down, as the seeds measured)
   */
  public record Config(int warmup, double warmupSeconds, int runs, double timeBudgetSeconds, int cooldownMs, int threads,
                       Interpreter.Kernels kernels, long seed) {
    public Config {
      if (warmupSeconds < 0) throw new IllegalArgumentException("warm-up time must be 0 or more seconds, not " + warmupSeconds);
      if (warmup < 0) throw new IllegalArgumentException("warm-up runs must be 0 or more, not " + warmup);
      if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, not " + runs);
      if (cooldownMs < 0) throw new IllegalArgumentException("cooldown must be 0 or more ms, not " + cooldownMs);
      if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    }
  }

  /** Told after each warm-up and timed run. */
  public interface Progress {
    void step(String phase, int done, int total);
  }

  /** Time of one op (or op type): total over the profiled runs divided by their number, and its share. */
  public record OpTime(String name, int index, double ms, double share) {}

  /** Everything measured. Field names follow the anchors' JSON (snake_case when printed). */
  public record Result(String model, int threads, String kernels, int runs, int warmup, double initMs, double firstMs,
                       double minMs, double medianMs, double meanMs, double p90Ms, double maxMs, double stdMs,
                       long arenaBytes, long peakRssBytes, String jdk, String osArch, String simd, List<Double> runsMs,
                       List<OpTime> byOpType, List<OpTime> byOp) {}

  /** Loads, prepares and times a model. */
  public static Result run(Path file, Config c, Progress progress) throws IOException {
    long t0 = System.nanoTime();
    Model model = Model.load(file);
    Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(c.threads()).setKernels(c.kernels()));
    double initMs = (System.nanoTime() - t0) / 1e6;
    try {
      io.kompakt.engine.run.RandomInputs.fill(it, c.seed());
      long f0 = System.nanoTime();
      it.invoke();
      double firstMs = (System.nanoTime() - f0) / 1e6;
      long warmStart = System.nanoTime(), warmEnd = warmStart + (long) (c.warmupSeconds() * 1e9);
      long settleEnd = c.warmupSeconds() > 0 ? warmStart + (long) (settleCapSeconds(c.warmupSeconds()) * 1e9) : warmEnd;
      Settling settling = new Settling(warmStart, LatencyBench::compileMillis);
      int warmed = 0;
      while (warmed < c.warmup() || System.nanoTime() < warmEnd || (!settling.settled() && System.nanoTime() < settleEnd)) {
        it.invoke();
        settling.add(it.getLastInferenceDurationNanoseconds(), System.nanoTime());
        warmed++;
        if (progress != null && warmed <= c.warmup()) progress.step("warm-up", warmed, c.warmup());
      }
      long[] opNanos = new long[it.kernelCount()];
      List<Double> runs = new ArrayList<>();
      long budgetEnd = c.timeBudgetSeconds() > 0 ? System.nanoTime() + (long) (c.timeBudgetSeconds() * 1e9) : Long.MAX_VALUE;
      for (int i = 0; i < c.runs(); i++) {
        if (i > 0 && System.nanoTime() > budgetEnd) break;
        if (i > 0 && c.cooldownMs() > 0) sleep(c.cooldownMs());
        it.invoke();
        runs.add(it.getLastInferenceDurationNanoseconds() / 1e6);
        if (progress != null) progress.step("timed", i + 1, c.runs());
      }
      for (int i = 0; i < runs.size(); i++) {
        if (i > 0 && c.cooldownMs() > 0) sleep(c.cooldownMs());
        it.invokeProfiled(opNanos);
      }
      DescriptiveStatistics st = new DescriptiveStatistics();
      runs.forEach(st::addValue);
      Percentile p = new Percentile().withEstimationType(Percentile.EstimationType.R_7);
      double[] v = st.getValues();
      double totalNanos = 0;
      for (long n : opNanos) totalNanos += n;
      List<OpTime> byOp = new ArrayList<>();
      Map<String, Double> byType = new LinkedHashMap<>();
      for (int k = 0; k < opNanos.length; k++) {
        var op = it.kernelOperator(k);
        double ms = opNanos[k] / 1e6 / runs.size();
        byOp.add(new OpTime(op.name(), op.index(), ms, totalNanos == 0 ? 0 : opNanos[k] / totalNanos));
        byType.merge(op.name(), ms, Double::sum);
      }
      double sumMs = totalNanos / 1e6 / runs.size();
      List<OpTime> types = new ArrayList<>();
      byType.forEach((k, ms) -> types.add(new OpTime(k, -1, ms, sumMs == 0 ? 0 : ms / sumMs)));
      types.sort(Comparator.comparingDouble(OpTime::ms).reversed());
      return new Result(file.toString(), c.threads(), c.kernels().name().toLowerCase(java.util.Locale.ROOT), runs.size(),
          warmed, initMs, firstMs, st.getMin(), p.evaluate(v, 50), st.getMean(), p.evaluate(v, 90), st.getMax(),
          runs.size() > 1 ? st.getStandardDeviation() : 0, it.arenaBytes(), PeakMemory.peakRssBytes(),
          System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), System.getProperty("os.arch"),
          io.kompakt.engine.run.KernelRegistry.defaults().description(), runs, types, byOp);
    } finally {
      it.close();
    }
  }

  /** The longest warm-up, waiting for it to settle: 5 times the minimum warm-up time, and at least 5 s. */
  static double settleCapSeconds(double warmupSeconds) { return Math.max(5, 5 * warmupSeconds); }

  /** The JIT's total compilation time so far (ms), or -1 where the JVM does not tell. */
  static long compileMillis() {
    java.lang.management.CompilationMXBean b = java.lang.management.ManagementFactory.getCompilationMXBean();
    return b != null && b.isCompilationTimeMonitoringSupported() ? b.getTotalCompilationTime() : -1;
  }

  /**
   * Whether warm-up has settled, judged window by window (at least {@value #MIN_RUNS} runs and 0.1 s each): settled when
   * during the last window the JIT compiled nothing and the window's mean run time is not more than 5 % below the
   * window's before. A model with few, long kernel calls per run reaches C2 late: the head-layers model (one 1024 ->
   * 1001 layer) still ran 6x slower after bench's 1 s of warm-up in 1 JVM of 7, its kernels in C1 code.
   */
  static final class Settling {
    static final int MIN_RUNS = 16;
    static final long MIN_WINDOW_NANOS = 100_000_000L;
    private final java.util.function.LongSupplier compileMillis;
    private long windowStart, windowCompileMillis, runs, sumNanos;
    private double previousMean = Double.NaN;
    private boolean settled;

    /** {@code compileMillis}: the JIT's compilation time so far, asked once per window (not per run). */
    Settling(long now, java.util.function.LongSupplier compileMillis) {
      this.compileMillis = compileMillis;
      start(now, compileMillis.getAsLong());
    }

    private void start(long now, long compileMillis) {
      windowStart = now;
      windowCompileMillis = compileMillis;
      runs = 0;
      sumNanos = 0;
    }

    /** One warm-up run of {@code nanos}, ended at {@code now}. */
    void add(long nanos, long now) {
      runs++;
      sumNanos += nanos;
      if (runs < MIN_RUNS || now - windowStart < MIN_WINDOW_NANOS) return;
      long compileMillis = this.compileMillis.getAsLong();
      double mean = (double) sumNanos / runs;
      boolean quiet = compileMillis == windowCompileMillis;
      settled = quiet && !Double.isNaN(previousMean) && mean >= 0.95 * previousMean;
      previousMean = mean;
      start(now, compileMillis);
    }

    /** The verdict of the last complete window (false before two windows). */
    boolean settled() { return settled; }
  }

  private static void sleep(int ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during cooldown", e);
    }
  }
}
