package io.kompakt.measure.eval;

import io.kompakt.data.ImageInput;
import io.kompakt.data.TopK;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.List;

/**
 * Runs a classifier over every image of a data set: the top-5 classes of each image (output 0, ranked as
 * {@link TopK}: higher score first, ties by lower index) and the time of each inference.
 */
public final class Evaluator {
  private Evaluator() {}

  /** Interpreter settings and a pause after each image (the seeds' cooldown; 0 for none). */
  public record Options(int threads, Interpreter.Kernels kernels, int cooldownMs) {
    public Options {
      if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
      if (cooldownMs < 0) throw new IllegalArgumentException("cooldown must be 0 or more ms, not " + cooldownMs);
      if (kernels == null) kernels = Interpreter.Kernels.AUTO;
    }

    public static Options defaults() { return new Options(1, Interpreter.Kernels.AUTO, 0); }
  }

  /** Told after each image. */
  public interface Progress {
    void step(int done, int total);
  }

  /**
   * What a model predicted.
   *
   * @param top the top-5 (or fewer, for fewer classes) class indices of each image, best first
   * @param nanos the inference time of each image (invoke only, not the preprocessing)
   * @param wallSeconds the whole loop, preprocessing included
   * @param arenaBytes the interpreter's arena (intermediate tensors)
   */
  public record Predictions(int[][] top, long[] nanos, double wallSeconds, long arenaBytes, int classes) {
    /** Images per second over the whole loop. */
    public double imagesPerSecond() { return wallSeconds > 0 ? top.length / wallSeconds : Double.NaN; }
  }

  /** Checks that a model has one image input [1, h, w, 1|3] and a classifier output, and returns the input's (h, w). */
  public static int[] imageInputSize(Model model) {
    var g = model.mainSubgraph();
    if (g.inputs().length != 1) throw new IllegalArgumentException(model.source() + ": a classifier with one image input is needed; it has " + g.inputs().length + " inputs");
    int[] s = g.input(0).shape();
    if (s.length != 4 || (s[3] != 1 && s[3] != 3)) {
      throw new IllegalArgumentException(model.source() + ": input " + java.util.Arrays.toString(s) + " is not an image input [1, height, width, 1 or 3]");
    }
    return new int[] {s[1], s[2]};
  }

  /** Runs {@code model} on every prepared image. */
  public static Predictions predict(Model model, PreparedImages images, Options o, Progress progress) {
    int[] hw = imageInputSize(model);
    if (hw[0] != images.height() || hw[1] != images.width()) {
      throw new IllegalArgumentException(model.source() + ": input is " + hw[1] + "x" + hw[0] + " but the images were prepared at " + images.width() + "x" + images.height());
    }
    ImageInput.Normalization norm = images.preprocessing().normalization();
    int n = images.size();
    int[][] top = new int[n][];
    long[] nanos = new long[n];
    try (Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(o.threads()).setKernels(o.kernels()))) {
      RuntimeTensor in = it.getInputTensor(0);
      RuntimeTensor out = it.getOutputTensor(0);
      if (out.size() < 2) throw new IllegalArgumentException(model.source() + ": output 0 has " + out.size() + " value(s), not a classifier's scores");
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        ImageInput.fill(in, images.get(i), norm);
        long s = System.nanoTime();
        it.invoke();
        nanos[i] = System.nanoTime() - s;
        List<TopK.Entry> best = TopK.of(out, 5);
        top[i] = best.stream().mapToInt(TopK.Entry::index).toArray();
        if (progress != null) progress.step(i + 1, n);
        if (o.cooldownMs() > 0 && i + 1 < n) sleep(o.cooldownMs());
      }
      return new Predictions(top, nanos, (System.nanoTime() - t0) / 1e9, it.arenaBytes(), out.size());
    }
  }

  static void sleep(int ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during cooldown", e);
    }
  }
}
