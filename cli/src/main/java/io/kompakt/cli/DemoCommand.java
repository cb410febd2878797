package io.kompakt.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kompakt demo}: the README's main job on a model the project makes itself. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Makes Kompakt's own MobileNet V1 0.25 (96x96, seeded random weights), writes it as .tflite, reads it",
        "back, describes it and runs it on a generated image: the pipeline so far, with nothing downloaded.",
        "(Random weights: the classes it prints mean nothing; the shapes, sizes and timings do.)"})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "target/demo", description = "where to write the model and image (default: ${DEFAULT-VALUE})")
  Path dir;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dir);
    Path model = dir.resolve("mobilenet_v1_0.25_96.tflite");
    Path image = dir.resolve("gradient.png");
    BufferedImage img = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 128; y++) for (int x = 0; x < 128; x++) img.setRGB(x, y, (2 * x) << 16 | (2 * y) << 8 | ((x ^ y) & 0xFF));
    ImageIO.write(img, "png", image.toFile());
    var cl = spec.commandLine().getParent();
    var out = spec.commandLine().getOut();
    int rc = cl.execute("generate", "mobilenet_v1_0.25_96", "-o", model.toString());
    if (rc != 0) return rc;
    out.println();
    rc = cl.execute("inspect", "--no-ops", model.toString());
    if (rc != 0) return rc;
    out.println();
    out.println("kompakt run " + model + " " + image + " --top 3 -v");
    return cl.execute("run", model.toString(), image.toString(), "--top", "3", "-v");
  }
}
