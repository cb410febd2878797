package io.kompakt.train;

import io.kompakt.engine.run.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Mini-batch training of a {@link TrainGraph} with softmax cross-entropy: each batch is split among the threads, each
 * thread runs its samples forward and backward in its own {@link Workspace} (allocated once) and accumulates
 * gradients; the sums are reduced in a fixed order (so results do not depend on scheduling), averaged over the batch,
 * and handed to the {@link Optimizer}; pruning masks, if any, are applied after each update. Not thread-safe.
 */
public final class Trainer implements AutoCloseable {
  /** Learning-rate schedule over all steps. */
  public enum Schedule { CONSTANT, COSINE }

  /** Settings; the defaults train the Fashion-MNIST CNN well. */
  public static final class Options {
    int batch = 64;
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    double lr = 1e-3;
    Schedule schedule = Schedule.CONSTANT;
    Optimizer optimizer;
    long seed = 1;

    public Options batch(int b) {
      if (b < 1) throw new IllegalArgumentException("batch size must be at least 1, is " + b);
      batch = b;
      return this;
    }

    public Options threads(int t) {
      if (t < 1) throw new IllegalArgumentException("threads must be at least 1, is " + t);
      threads = t;
      return this;
    }

    public Options lr(double v) {
      if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException("learning rate must be positive, is " + v);
      lr = v;
      return this;
    }

    public Options schedule(Schedule s) { schedule = s; return this; }

    public Options optimizer(Optimizer o) { optimizer = o; return this; }

    public Options seed(long s) { seed = s; return this; }

    public int batch() { return batch; }

    public int threads() { return threads; }

    public double lr() { return lr; }
  }

  /** Loss and accuracy over a set of samples. */
  public record Metrics(double loss, double accuracy, int samples) {}

  /** Called after each step with the step's mean loss. */
  @FunctionalInterface
  public interface StepListener {
    void step(long step, double loss);
  }

  private final TrainGraph graph;
  private final Options options;
  private final Optimizer optimizer;
  private final Parallel parallel;
  private final Workspace[] ws;
  private final float[][] samples, dLoss, probs;
  private final double[] lossSum;
  private final int[] correct;
  private final List<float[]> grads = new ArrayList<>();
  private final List<Param> params;
  private final SplittableRandom random;
  private PruneMasks pruning;
  private FakeQuant qat;
  private Distillation distillation;
  private final float[][] softened;
  private long step;
  private long totalSteps = -1;

  public Trainer(TrainGraph graph, Options options) {
    this.graph = graph;
    this.options = options;
    this.optimizer = options.optimizer != null ? options.optimizer : new Optimizer.Adam(0.9, 0.999, 1e-7);
    this.params = graph.params();
    if (params.isEmpty()) throw new IllegalArgumentException("model '" + graph.model().source() + "' has no trainable tensors");
    int t = options.threads;
    parallel = new Parallel(t);
    ws = new Workspace[t];
    samples = new float[t][graph.inputSize()];
    dLoss = new float[t][graph.classes()];
    probs = new float[t][graph.classes()];
    softened = new float[t][graph.classes()];
    lossSum = new double[t];
    correct = new int[t];
    for (int i = 0; i < t; i++) ws[i] = graph.newWorkspace();
    for (Param p : params) grads.add(new float[p.size()]);
    random = new SplittableRandom(options.seed);
  }

  public TrainGraph graph() { return graph; }

  public Optimizer optimizer() { return optimizer; }

  /** Prune during training with these masks (null: no pruning). */
  public void setPruning(PruneMasks masks) { this.pruning = masks; }

  /**
   * Quantization-aware training from now on ({@link FakeQuant}): forward passes see int8-quantized weights and
   * activations; the float weights are what the optimizer updates and what is written.
   */
  public void setQuantizationAware(boolean on) { qat = on ? new FakeQuant(graph) : null; }

  /**
   * Learn from a teacher's outputs too ({@link Distillation}; its rows indexed as the training data set's samples),
   * or not (null).
   */
  public void setDistillation(Distillation d) { distillation = d; }

  /** The fake quantization in use, or null. */
  public FakeQuant quantizationAware() { return qat; }

  /** Steps done so far. */
  public long steps() { return step; }

  /** The total number of steps planned (for the cosine schedule); -1 unknown. */
  public void setTotalSteps(long n) { totalSteps = n; }

  /** The learning rate at the current step. */
  public double currentLr() {
    if (options.schedule == Schedule.COSINE && totalSteps > 0) {
      double p = Math.min(1, (double) step / totalSteps);
      return options.lr * 0.5 * (1 + Math.cos(Math.PI * p));
    }
    return options.lr;
  }

  /** One epoch over {@code data} in a shuffled order; returns the mean training loss and accuracy. */
  public Metrics epoch(Dataset data, StepListener listener) {
    check(data);
    int n = data.size();
    int[] order = new int[n];
    for (int i = 0; i < n; i++) order[i] = i;
    shuffle(order, random);
    double loss = 0;
    long right = 0;
    for (int from = 0; from < n; from += options.batch) {
      int to = Math.min(n, from + options.batch);
      double l = step(data, order, from, to);
      loss += l * (to - from);
      for (int c : correct) right += c;
      if (listener != null) listener.step(step, l);
    }
    return new Metrics(loss / n, (double) right / n, n);
  }

  /** One optimizer step on samples {@code order[from..to)}; returns their mean loss. */
  public double step(Dataset data, int[] order, int from, int to) {
    int b = to - from, t = ws.length;
    if (pruning != null) pruning.update(step);
    final FakeQuant fq = qat;
    final Distillation kd = distillation;
    if (kd != null && kd.samples() != data.size()) {
      throw new IllegalArgumentException("the teacher's outputs cover " + kd.samples() + " samples, the training set has " + data.size());
    }
    if (fq != null) {
      fq.quantizeWeights();
      fq.startBatch(ws);
    }
    parallel.forRange(t, 1, (a, z) -> {
      for (int k = a; k < z; k++) {
        Workspace w = ws[k];
        w.zeroParamGrads(graph);
        lossSum[k] = 0;
        correct[k] = 0;
        int lo = from + (int) ((long) b * k / t), hi = from + (int) ((long) b * (k + 1) / t);
        for (int i = lo; i < hi; i++) {
          int s = order == null ? i : order[i];
          data.sample(s, samples[k]);
          int label = data.label(s);
          float[] out = graph.forward(w, samples[k], fq);
          if (kd != null) {
            lossSum[k] += kd.loss(s, w.act[graph.logitsTensor()], label, probs[k], softened[k], dLoss[k]);
          } else {
            lossSum[k] += crossEntropy(out, label, probs[k], dLoss[k]);
          }
          if (argmax(out) == label) correct[k]++;
          graph.backward(w, dLoss[k], fq);
        }
      }
    });
    float inv = 1f / b;
    double loss = 0;
    for (int i = 0; i < params.size(); i++) {
      float[] g = grads.get(i);
      int tensor = params.get(i).tensor;
      System.arraycopy(ws[0].grad[tensor], 0, g, 0, g.length);
      for (int k = 1; k < t; k++) {
        float[] gk = ws[k].grad[tensor];
        for (int j = 0; j < g.length; j++) g[j] += gk[j];
      }
      for (int j = 0; j < g.length; j++) g[j] *= inv;
    }
    for (double l : lossSum) loss += l;
    if (fq != null) {
      fq.restoreWeights();
      fq.endBatch(ws);
    }
    optimizer.step(params, grads, currentLr());
    if (pruning != null) for (Param p : params) p.applyMask();
    graph.refresh();
    step++;
    return loss / b;
  }

  /**
   * The loss of one sample and its gradient with respect to the logits. {@code out} is the model's output: the
   * probabilities when the model ends in SOFTMAX, else the logits (a softmax is applied here).
   */
  private double crossEntropy(float[] out, int label, float[] p, float[] d) {
    if (label < 0 || label >= out.length) throw new IllegalArgumentException("label " + label + " is outside the model's " + out.length + " classes");
    if (graph.softmaxHead()) System.arraycopy(out, 0, p, 0, p.length);
    else SoftmaxNode.softmax(out, 0, out.length, 1f, p);
    for (int c = 0; c < p.length; c++) d[c] = p[c] - (c == label ? 1f : 0f);
    return -Math.log(Math.max(p[label], 1e-30));
  }

  /** Fisher-Yates shuffle of {@code a} in place. */
  static void shuffle(int[] a, SplittableRandom r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1), x = a[i];
      a[i] = a[j];
      a[j] = x;
    }
  }

  static int argmax(float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return best;
  }

  /** Loss and accuracy of the current weights on {@code data} (forward passes only, on all threads). */
  public Metrics evaluate(Dataset data) {
    check(data);
    int n = data.size(), t = ws.length;
    parallel.forRange(t, 1, (a, z) -> {
      for (int k = a; k < z; k++) {
        lossSum[k] = 0;
        correct[k] = 0;
        int lo = (int) ((long) n * k / t), hi = (int) ((long) n * (k + 1) / t);
        for (int i = lo; i < hi; i++) {
          data.sample(i, samples[k]);
          int label = data.label(i);
          float[] out = graph.forward(ws[k], samples[k]);
          lossSum[k] += crossEntropy(out, label, probs[k], dLoss[k]);
          if (argmax(out) == label) correct[k]++;
        }
      }
    });
    double loss = 0;
    long right = 0;
    for (int k = 0; k < t; k++) {
      loss += lossSum[k];
      right += correct[k];
    }
    return new Metrics(loss / n, (double) right / n, n);
  }

  /** The model's output for one sample (a copy). */
  public float[] predict(float[] sample) { return graph.forward(ws[0], sample).clone(); }

  private void check(Dataset data) {
    if (data.sampleSize() != graph.inputSize()) {
      throw new IllegalArgumentException("samples have " + data.sampleSize() + " values but the model's input "
          + java.util.Arrays.toString(graph.inputShape()) + " takes " + graph.inputSize());
    }
    if (data.size() == 0) throw new IllegalArgumentException("the data set is empty");
  }

  @Override
  public void close() { parallel.close(); }
}
