package io.kompakt.cli;

import io.kompakt.data.Dataset;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.AtomicFiles;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.measure.eval.Evaluator;
import io.kompakt.train.HeadTransfer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt transfer}: a classifier's head replaced and trained for new classes (transfer learning). */
@Command(name = "transfer", mixinStandardHelpOptions = true,
    description = {"Transfer learning: replaces a float classifier's head (its last FULLY_CONNECTED, or 1x1 CONV_2D as in",
        "MobileNet V1) by one for the classes of DATA, trains it on the features the frozen network computes (one fast",
        "inference per image, then softmax regression with Adam) and writes the model with the new head, and its labels",
        "beside it (OUT.labels.txt). DATA: a folder with one sub-folder per class, an IDX folder (MNIST / Fashion-MNIST),",
        "or a path,label CSV. Test images: --test, else the IDX t10k split, else --holdout of DATA."})
final class TransferCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "the float .tflite classifier whose features to reuse")
  Path model;

  @Parameters(index = "1", paramLabel = "DATA", description = "labelled images: class folders, IDX folder or CSV")
  Path data;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the new model")
  Path output;

  @Option(names = "--test", paramLabel = "DATA", description = "labelled test images (default: the IDX t10k split, else --holdout)")
  Path test;

  @Option(names = "--holdout", defaultValue = "0.2", description = "share of DATA kept for testing when there is no test set (default: ${DEFAULT-VALUE})")
  double holdout;

  @Option(names = "--limit", defaultValue = "0", description = "use the first N training images (0: all)")
  int limit;

  @Option(names = "--test-limit", defaultValue = "0", description = "use the first N test images (0: all)")
  int testLimit;

  @Option(names = "--epochs", defaultValue = "30", description = "passes over the training features (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--lr", defaultValue = "0.01", description = "Adam's learning rate (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--threads", defaultValue = "1", description = "threads for the feature runs (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the head's initial weights and the shuffling (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--mean", split = ",", paramLabel = "M", description = "float inputs: (x - mean) / std (default: the model's metadata, else 127.5)")
  float[] mean;

  @Option(names = "--std", split = ",", paramLabel = "S", description = "see --mean (default: the model's metadata, else 127.5)")
  float[] std;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (epochs < 1) throw new IllegalArgumentException("--epochs must be at least 1, is " + epochs);
    if (!(holdout > 0 && holdout < 1)) throw new IllegalArgumentException("--holdout must be in (0, 1), is " + holdout);
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) throw new NoSuchFileException(parent + " (output folder)");
    PrintWriter out = spec.commandLine().getOut();
    Model m = Model.load(model);
    HeadTransfer.Head head = HeadTransfer.find(m);
    int[] hw = Evaluator.imageInputSize(m);
    Preprocessing pre = Preprocessing.forModel(m, 1, mean, std, false);
    Dataset train = Dataset.open(data, "train", limit);
    if (!train.labelled()) throw new IllegalArgumentException(data + ": the images need labels (class folders, IDX labels or a CSV)");
    Dataset testSet = test != null ? Dataset.open(test, "t10k", testLimit)
        : io.kompakt.data.Idx.hasSplit(data, "t10k") ? Dataset.open(data, "t10k", testLimit) : null;
    int classes = train.classes().isEmpty() ? maxLabel(train) + 1 : train.classes().size();
    out.printf(Locale.ROOT, "model   %s: head op #%d %s, %d features -> %d classes; new head: %d classes%n", model, head.op(),
        head.type(), head.depth(), head.classes(), classes);
    out.printf(Locale.ROOT, "data    %s (%d images)%s%n", train.description(), train.size(),
        testSet == null ? String.format(Locale.ROOT, ", %.0f%% held out for testing", 100 * holdout) : "; test: " + testSet.description() + " (" + testSet.size() + ")");
    out.flush();
    long t0 = System.nanoTime();
    float[][] xTrain = HeadTransfer.features(m, head, train, pre, hw[1], hw[0], threads, null);
    int[] yTrain = labels(train);
    float[][] xTest;
    int[] yTest;
    if (testSet != null) {
      xTest = HeadTransfer.features(m, head, testSet, pre, hw[1], hw[0], threads, null);
      yTest = labels(testSet);
    } else {
      HeadTransfer.Split split;
      try {
        split = HeadTransfer.holdOut(xTrain, yTrain, holdout, seed);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(data + ": " + e.getMessage());
      }
      xTrain = split.trainX();
      yTrain = split.trainY();
      xTest = split.testX();
      yTest = split.testY();
    }
    double featureSeconds = (System.nanoTime() - t0) / 1e9;
    out.printf(Locale.ROOT, "features %d train + %d test images in %.1f s%n", xTrain.length, xTest.length, featureSeconds);
    out.flush();
    for (int y : yTest) if (y < 0 || y >= classes) throw new IllegalArgumentException("a test label (" + y + ") is outside the " + classes + " training classes");
    HeadTransfer.Linear linear = HeadTransfer.train(xTrain, yTrain, classes, epochs, lr, seed, (e, loss, acc) -> {
      if (e == 1 || e == epochs || e % 10 == 0) {
        out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f acc %.2f%%%n", e, epochs, loss, 100 * acc);
        out.flush();
      }
    });
    int right = 0;
    for (int i = 0; i < xTest.length; i++) if (linear.predict(xTest[i]) == yTest[i]) right++;
    byte[] bytes = ModelWriter.toBytes(HeadTransfer.graft(m, head, linear));
    AtomicFiles.write(output, bytes);
    String name = output.getFileName().toString();
    Path labelsFile = output.resolveSibling((name.endsWith(".tflite") ? name.substring(0, name.length() - 7) : name) + ".labels.txt");
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < classes; c++) sb.append(train.className(c)).append('\n');
    AtomicFiles.write(labelsFile, sb.toString().getBytes(StandardCharsets.UTF_8));
    out.printf(Locale.ROOT, "test accuracy %.2f%% (%d of %d); wrote %s (%,d bytes) and %s%n", 100.0 * right / xTest.length, right,
        xTest.length, output, bytes.length, labelsFile);
    out.flush();
    return 0;
  }

  private static int[] labels(Dataset d) {
    int[] y = new int[d.size()];
    for (int i = 0; i < y.length; i++) y[i] = d.label(i);
    return y;
  }

  private static int maxLabel(Dataset d) {
    int m = 0;
    for (int i = 0; i < d.size(); i++) m = Math.max(m, d.label(i));
    return m;
  }
}
