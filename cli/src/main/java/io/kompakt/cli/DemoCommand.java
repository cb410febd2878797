package io.kompakt.cli;

import io.kompakt.engine.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kompakt demo}: the README's main job on a model the project provides itself. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"The main job on a model Kompakt provides itself: its Fashion-MNIST CNN, trained by Kompakt's own",
        "trainer (91.07% test accuracy). Writes it as .tflite, describes it, runs it on a drawn image, quantizes it to",
        "int8 and prunes it to 50% zeros (stored sparse), and compares the files. Where Debian's Fashion-MNIST is",
        "installed (apt-get install dataset-fashion-mnist), int8 is calibrated on training images and the float and",
        "int8 models are evaluated on the first --limit test images; otherwise calibration uses random inputs.",
        "Nothing is downloaded."})
final class DemoCommand implements Callable<Integer> {
  static final String MODEL_RESOURCE = "fashion_mnist_cnn_trained.tflite";
  static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
      "Ankle boot"};

  @Option(names = "--dir", defaultValue = "target/demo", description = "where to write the models and image (default: ${DEFAULT-VALUE})")
  Path dir;

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist",
      description = "Fashion-MNIST IDX folder, used where it exists (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--limit", defaultValue = "2000", description = "test images to evaluate (default: ${DEFAULT-VALUE})")
  int limit;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (limit < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be at least 1, not " + limit);
    Files.createDirectories(dir);
    Path model = dir.resolve("fashion_mnist_cnn.tflite");
    try (InputStream in = io.kompakt.testdata.Networks.class.getResourceAsStream(MODEL_RESOURCE)) {
      if (in == null) throw new IllegalStateException("the jar lacks its model " + MODEL_RESOURCE);
      byte[] bytes = in.readAllBytes();
      AtomicFiles.write(model, bytes);
    }
    Path image = dir.resolve("trouser.png");
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    for (int y = 2; y < 26; y++) {
      for (int x = 0; x < 28; x++) {
        boolean waist = y < 6 && x >= 9 && x <= 18;
        boolean legs = (x >= 9 && x <= 12 || x >= 15 && x <= 18);
        if (waist || legs) img.setRGB(x, y, 0xD0D0D0);
      }
    }
    AtomicFiles.write(image, out -> ImageIO.write(img, "png", out));
    Path labels = dir.resolve("labels.txt");
    AtomicFiles.write(labels, String.join("\n", CLASSES).concat("\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path trainImages = data.resolve("train-images-idx3-ubyte.gz");
    boolean haveData = Files.isRegularFile(trainImages) && Files.isRegularFile(data.resolve("t10k-images-idx3-ubyte.gz"));
    Path int8 = dir.resolve("fashion_mnist_cnn_int8.tflite"), pruned = dir.resolve("fashion_mnist_cnn_pruned50.tflite");

    List<String[]> steps = new ArrayList<>();
    steps.add(new String[] {"inspect", "--no-ops", model.toString()});
    steps.add(new String[] {"run", model.toString(), image.toString(), "--labels", labels.toString(), "--top", "3", "-v"});
    steps.add(new String[] {"quantize", model.toString(), "-o", int8.toString(), "--calib", haveData ? trainImages.toString() : "random",
        "--samples", "200", "--eval-samples", "0"});
    // one global threshold: per-layer 50 % would also halve the small first conv and the classifier, which costs ~8 points
    steps.add(new String[] {"prune", model.toString(), "-o", pruned.toString(), "--sparsity", "0.5", "--scope", "global"});
    if (haveData) {
      for (Path m : new Path[] {model, int8, pruned}) {
        steps.add(new String[] {"eval", m.toString(), data.toString(), "--limit", Integer.toString(limit), "--reference", model.toString()});
      }
    }
    CommandLine cl = spec.commandLine().getParent();
    var out = spec.commandLine().getOut();
    for (String[] s : steps) {
      out.println();
      out.println("$ kompakt " + String.join(" ", s));
      out.flush();
      int rc = cl.execute(s);
      if (rc != 0) return rc;
    }
    out.println();
    out.printf("files: float %,d B, int8 %,d B, pruned 50%% %,d B (in %s)%n", Files.size(model), Files.size(int8), Files.size(pruned), dir);
    if (!haveData) {
      out.println("(no Fashion-MNIST at " + data + ": install dataset-fashion-mnist, or pass --data, to see accuracies)");
    }
    return 0;
  }
}
