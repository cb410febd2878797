package io.kompakt.cli;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.testdata.Networks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt generate NETWORK -o FILE}: writes one of the project's own test networks. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Writes one of Kompakt's own test networks (float32, seeded random weights) as a .tflite file.",
        "Networks: see kompakt generate --list."})
final class GenerateCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NETWORK", arity = "0..1", description = "which network (--list shows them)")
  String network;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "where to write the .tflite file")
  Path output;

  @Option(names = "--list", description = "list the networks and exit")
  boolean list;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the random weights (default: ${DEFAULT-VALUE})")
  long seed;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (list) {
      for (String n : Networks.all().keySet()) spec.commandLine().getOut().println(n);
      return 0;
    }
    if (network == null || output == null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give a NETWORK and -o FILE (or --list)");
    }
    EditableModel m = Networks.byName(network, seed);
    Path parent = output.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) throw new java.nio.file.NoSuchFileException(parent + " (output folder)");
    new ModelWriter().write(m, output);
    spec.commandLine().getOut().printf("wrote %s (%,d bytes)%n", output, Files.size(output));
    return 0;
  }
}
