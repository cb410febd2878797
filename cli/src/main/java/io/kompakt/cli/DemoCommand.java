package io.kompakt.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kompakt demo}: the README's main job on a model the project makes itself. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Makes Kompakt's own MobileNet V1 0.25 (96x96, seeded weights), writes it as .tflite, reads it",
        "back and describes it: the pipeline so far, on a model that needs nothing downloaded."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--dir", defaultValue = "target/demo", description = "where to write the model (default: ${DEFAULT-VALUE})")
  Path dir;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(dir);
    Path model = dir.resolve("mobilenet_v1_0.25_96.tflite");
    var cl = spec.commandLine().getParent();
    int rc = cl.execute("generate", "mobilenet_v1_0.25_96", "-o", model.toString());
    if (rc != 0) return rc;
    return cl.execute("inspect", "--no-ops", model.toString());
  }
}
