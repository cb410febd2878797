package io.kompakt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kompakt.compress.Pruner.PolynomialDecay;
import io.kompakt.data.Idx;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.measure.Plots;
import io.kompakt.testdata.Networks;
import io.kompakt.train.Dataset;
import io.kompakt.train.Distillation;
import io.kompakt.train.ModelExport;
import io.kompakt.train.Optimizer;
import io.kompakt.train.PruneMasks;
import io.kompakt.train.TrainGraph;
import io.kompakt.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt train MODEL --data DIR -o OUT}: trains (or fine-tunes) a float model's weights in Java. */
@Command(name = "train", aliases = "finetune", mixinStandardHelpOptions = true,
    description = {"Trains the float32 weights and biases of a model's CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops",
        "(softmax cross-entropy, Adam or SGD with momentum, mini-batches over all threads) on an IDX image set (MNIST,",
        "Fashion-MNIST: train-* and t10k-* files), optionally pruning gradually to a target sparsity, and writes the",
        "trained model (atomically, after every epoch: a checkpoint). MODEL is a .tflite file or, with --network, one of",
        "kompakt generate --list. Prints the test accuracy after each epoch."})
final class TrainCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", arity = "0..1", description = "the float .tflite to train (or use --network)")
  Path model;

  @Option(names = "--network", paramLabel = "NAME", description = "start from one of Kompakt's own networks (e.g. fashion_mnist_cnn) instead of a file")
  String network;

  @Option(names = "--seed", defaultValue = "1", description = "seed of --network's initial weights and of the shuffling (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
      description = "folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-... (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the trained model (rewritten after each epoch)")
  Path output;

  @Option(names = "--epochs", defaultValue = "5", description = "passes over the training set (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--batch", defaultValue = "64", description = "samples per step (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--lr", defaultValue = "0.001", description = "learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--lr-schedule", defaultValue = "constant", paramLabel = "constant|cosine", description = "learning-rate schedule over all steps (default: ${DEFAULT-VALUE})")
  String lrSchedule;

  @Option(names = "--optimizer", defaultValue = "adam", paramLabel = "adam|sgd", description = "optimizer (default: ${DEFAULT-VALUE})")
  String optimizer;

  @Option(names = "--momentum", defaultValue = "0.9", description = "momentum of sgd (default: ${DEFAULT-VALUE})")
  double momentum;

  @Option(names = "--threads", paramLabel = "N", description = "threads (default: all processors)")
  Integer threads;

  @Option(names = "--mean", defaultValue = "127.5", description = "pixel normalization (p - mean) / std (default: ${DEFAULT-VALUE}, as kompakt run scales images)")
  double mean;

  @Option(names = "--std", defaultValue = "127.5", description = "see --mean (default: ${DEFAULT-VALUE})")
  double std;

  @Option(names = "--limit", paramLabel = "N", description = "use only the first N training samples")
  Integer limit;

  @Option(names = "--freeze", paramLabel = "REGEX", description = "weights and biases whose tensor name contains a match are not trained")
  String freeze;

  @Option(names = "--prune", paramLabel = "S", description = "prune the weights gradually to this sparsity in [0, 1) (magnitude, per layer)")
  Double prune;

  @Option(names = "--prune-schedule", defaultValue = "poly", paramLabel = "poly|constant",
      description = "poly: PolynomialDecay from 0 over the first 2/3 of the steps, then fine-tune with fixed masks; constant: the target from the start (default: ${DEFAULT-VALUE})")
  String pruneSchedule;

  @Option(names = "--prune-skip", paramLabel = "REGEX", description = "weights whose name contains a match are not pruned")
  String pruneSkip;

  @Option(names = "--qat", description = {"quantization-aware training: the forward passes see int8 weights (per channel as",
      "kompakt quantize stores them) and int8 activations (moving-average ranges), gradients pass straight through; the",
      "float model is written: quantize it with kompakt quantize"})
  boolean qat;

  @Option(names = "--teacher", paramLabel = "MODEL", description = {"knowledge distillation: learn from this float model's outputs",
      "too (it takes the same input as the trained model, preprocessed alike; run once over the training set first)"})
  Path teacher;

  @Option(names = "--temperature", defaultValue = "4", description = "distillation temperature T (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(names = "--alpha", defaultValue = "0.5",
      description = "distillation: weight of the labels' cross-entropy; 1 - alpha weighs T^2 * KL to the teacher (default: ${DEFAULT-VALUE})")
  double alpha;

  @Option(names = "--curves", paramLabel = "FILE.png", description = "write loss and accuracy curves per epoch as PNG")
  Path curves;

  @Option(names = "--json", description = "print the result (per-epoch loss, accuracy, time) as JSON")
  boolean json;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** One epoch's figures. */
  public record Epoch(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy, double seconds,
                      double sparsity) {}

  /** The whole run. */
  public record Result(String model, String output, String optimizer, int batch, double lr, int threads, int trainSamples,
                       int testSamples, long trainable, List<Epoch> epochs, double totalSeconds) {}

  @Override
  public Integer call() throws Exception {
    if ((model == null) == (network == null)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give a MODEL file or --network NAME (one of them)");
    }
    if (epochs < 1) throw new IllegalArgumentException("--epochs must be at least 1, is " + epochs);
    if (prune != null && !(prune >= 0 && prune < 1)) throw new IllegalArgumentException("--prune must be in [0, 1), is " + prune);
    for (Path p : new Path[] {output, curves}) {
      if (p != null && p.toAbsolutePath().getParent() != null && !Files.isDirectory(p.toAbsolutePath().getParent())) {
        throw new NoSuchFileException(p.toAbsolutePath().getParent() + " (output folder)");
      }
    }
    if (!Files.isDirectory(data)) throw new NoSuchFileException(data + " (data folder; Fashion-MNIST: apt-get install dataset-fashion-mnist)");
    if (teacher != null && !Files.isRegularFile(teacher)) throw new NoSuchFileException(teacher + " (teacher model)");
    if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be positive, is " + temperature);
    if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("--alpha must be in [0, 1], is " + alpha);
    Trainer.Schedule schedule;
    switch (lrSchedule.toLowerCase(Locale.ROOT)) {
      case "constant": schedule = Trainer.Schedule.CONSTANT; break;
      case "cosine": schedule = Trainer.Schedule.COSINE; break;
      default: throw new IllegalArgumentException("--lr-schedule is constant or cosine, not '" + lrSchedule + "'");
    }
    Optimizer opt = Optimizer.parse(optimizer, momentum);
    Model m;
    if (network != null) {
      m = Model.from(ModelWriter.toBytes(Networks.byName(network, seed)));
    } else {
      if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
      m = Model.load(model);
    }
    Pattern frozen = freeze == null ? null : Pattern.compile(freeze);
    TrainGraph graph = TrainGraph.of(m, name -> frozen == null || !frozen.matcher(name).find());
    int[] shape = graph.inputShape();
    int channels = shape.length == 4 ? shape[3] : 1;
    Idx.LabelledImages trainImages = Idx.load(data, "train"), testImages = Idx.load(data, "t10k");
    Dataset train = Dataset.of(trainImages, mean, std, channels), test = Dataset.of(testImages, mean, std, channels);
    if (limit != null) train = train.head(limit);
    Trainer.Options o = new Trainer.Options().batch(batch).lr(lr).schedule(schedule).optimizer(opt).seed(seed);
    if (threads != null) o.threads(threads);
    PrintWriter out = spec.commandLine().getOut();
    List<Epoch> history = new ArrayList<>();
    long stepsPerEpoch = (train.size() + batch - 1) / batch;
    long t0 = System.nanoTime();
    try (Trainer trainer = new Trainer(graph, o)) {
      trainer.setTotalSteps(stepsPerEpoch * epochs);
      PruneMasks masks = null;
      if (prune != null && prune > 0) {
        long total = stepsPerEpoch * epochs;
        PolynomialDecay sched;
        switch (pruneSchedule.toLowerCase(Locale.ROOT)) {
          case "poly":
            long end = Math.max(1, total * 2 / 3);
            sched = new PolynomialDecay(0, prune, 0, end, 3, Math.max(1, Math.min(100, end / 20)));
            break;
          case "constant": sched = new PolynomialDecay(prune, prune, 0, -1, 1, 1); break;
          default: throw new IllegalArgumentException("--prune-schedule is poly or constant, not '" + pruneSchedule + "'");
        }
        masks = new PruneMasks(graph, sched, pruneSkip);
        trainer.setPruning(masks);
      }
      trainer.setQuantizationAware(qat);
      if (teacher != null) trainer.setDistillation(new Distillation(teacherOutputs(train, graph.classes()), temperature, alpha));
      if (!json) {
        out.printf(Locale.ROOT, "model      %s (%,d trainable values in %d tensors)%n", network != null ? network : model,
            graph.trainableCount(), graph.params().size());
        out.printf(Locale.ROOT, "data       %s: %,d training, %,d test images%n", data, train.size(), test.size());
        out.printf(Locale.ROOT, "training   %s, lr %s (%s), batch %d, %d epochs, %d threads%s%n", opt.describe(), lr,
            lrSchedule, batch, epochs, o.threads(), (masks == null ? "" : String.format(Locale.ROOT, ", pruning to %.0f%% (%s)", 100 * prune, pruneSchedule))
                + (qat ? ", quantization-aware (int8 weights and activations in the forward pass)" : "")
                + (teacher == null ? "" : String.format(Locale.ROOT, ", distilled from %s (T %s, alpha %s)", teacher, temperature, alpha)));
        out.flush();
      }
      for (int e = 1; e <= epochs; e++) {
        long s0 = System.nanoTime();
        Trainer.Metrics tm;
        boolean bar = !json && System.console() != null;
        if (bar) {
          try (ProgressBar pb = new ProgressBarBuilder().setTaskName("epoch " + e + "/" + epochs).setInitialMax(stepsPerEpoch)
              .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
            double[] ema = {Double.NaN};
            tm = trainer.epoch(train, (step, loss) -> {
              ema[0] = Double.isNaN(ema[0]) ? loss : 0.98 * ema[0] + 0.02 * loss;
              pb.step();
              pb.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", ema[0]));
            });
          }
        } else {
          tm = trainer.epoch(train, null);
        }
        double secs = (System.nanoTime() - s0) / 1e9;
        Trainer.Metrics em = trainer.evaluate(test);
        Epoch ep = new Epoch(e, tm.loss(), tm.accuracy(), em.loss(), em.accuracy(), secs, masks == null ? 0 : masks.sparsity());
        history.add(ep);
        ModelExport.write(graph, output); // checkpoint, atomically
        if (curves != null) plot(history);
        if (!json) {
          out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  %.1f s%s%n", e, epochs,
              tm.loss(), 100 * tm.accuracy(), em.loss(), 100 * em.accuracy(), secs,
              masks == null ? "" : String.format(Locale.ROOT, "  sparsity %.1f%%", 100 * masks.sparsity()));
          out.flush();
        }
      }
    }
    double total = (System.nanoTime() - t0) / 1e9;
    Result r = new Result(network != null ? network : model.toString(), output.toString(), opt.describe(), batch, lr, o.threads(),
        train.size(), test.size(), graph.trainableCount(), history, total);
    if (json) {
      out.println(new ObjectMapper().setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
    } else {
      Epoch last = history.get(history.size() - 1);
      out.printf(Locale.ROOT, "test accuracy %.2f%% after %d epochs, %.1f s in all; wrote %s (%,d bytes)%n", 100 * last.testAccuracy(),
          epochs, total, output, Files.size(output));
      if (qat) out.printf("the float model of quantization-aware training: make the int8 model with%n  kompakt quantize %s -o INT8.tflite --calib %s%n",
          output, data.resolve("train-images-idx3-ubyte.gz"));
    }
    out.flush();
    return 0;
  }

  /** The teacher's logits (or log-probabilities, for a SOFTMAX output) for every training sample. */
  private float[][] teacherOutputs(Dataset train, int classes) throws Exception {
    Model t = Model.load(teacher);
    float[][] rows = new float[train.size()][];
    try (io.kompakt.engine.run.Interpreter it = new io.kompakt.engine.run.Interpreter(t, new io.kompakt.engine.run.Interpreter.Options())) {
      io.kompakt.engine.run.RuntimeTensor in = it.getInputTensor(0), out = it.getOutputTensor(0);
      if (in.type != io.kompakt.engine.model.TensorType.FLOAT32 || in.size() != train.sampleSize()) {
        throw new IllegalArgumentException("teacher " + teacher + ": input " + in + " does not take the " + train.sampleSize() + " float values of a sample");
      }
      if (out.type != io.kompakt.engine.model.TensorType.FLOAT32 || out.size() != classes) {
        throw new IllegalArgumentException("teacher " + teacher + ": output " + out + " is not " + classes + " float scores");
      }
      boolean softmax = t.mainSubgraph().operators().get(t.mainSubgraph().operators().size() - 1).name().equals("SOFTMAX");
      float[] x = new float[train.sampleSize()];
      for (int i = 0; i < rows.length; i++) {
        train.sample(i, x);
        System.arraycopy(x, 0, in.f32, in.offset, x.length);
        it.invoke();
        float[] y = java.util.Arrays.copyOfRange(out.f32, out.offset, out.offset + classes);
        rows[i] = softmax ? Distillation.logitsOfProbabilities(y) : y;
      }
    }
    return rows;
  }

  private void plot(List<Epoch> h) throws java.io.IOException {
    Map<String, List<Double>> loss = new LinkedHashMap<>(), acc = new LinkedHashMap<>();
    List<Double> tl = new ArrayList<>(), vl = new ArrayList<>(), ta = new ArrayList<>(), va = new ArrayList<>();
    for (Epoch e : h) {
      tl.add(e.trainLoss());
      vl.add(e.testLoss());
      ta.add(e.trainAccuracy());
      va.add(e.testAccuracy());
    }
    loss.put("train", tl);
    loss.put("test", vl);
    acc.put("train", ta);
    acc.put("test", va);
    Plots.trainingCurves(network != null ? network : String.valueOf(model.getFileName()), loss, acc, curves);
  }
}
