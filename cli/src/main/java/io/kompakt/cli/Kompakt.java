package io.kompakt.cli;

import io.kompakt.engine.model.ModelFormatException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kompakt} command: one subcommand per job, each a thin shell over the library. */
@Command(name = "kompakt", mixinStandardHelpOptions = true, versionProvider = Kompakt.Version.class,
    description = "Reads, writes, runs and compresses TensorFlow Lite models in pure Java.",
    subcommands = {InspectCommand.class, RunCommand.class, BenchCommand.class, DequantizeCommand.class, PruneCommand.class, SensitivityCommand.class, QuantizeCommand.class, TrainCommand.class, TransferCommand.class, EvalCommand.class, ExperimentCommand.class, GenerateCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Kompakt implements Runnable {
  /** Exit code for a bad input file or path. */
  public static final int EXIT_BAD_INPUT = 2;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (for tests). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line: errors about inputs print one clear line and exit 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Kompakt());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      if (ex instanceof ModelFormatException) {
        err.println("kompakt: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      if (ex instanceof NoSuchFileException) {
        err.println("kompakt: no such file: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      if (ex instanceof AccessDeniedException) {
        err.println("kompakt: permission denied: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      if (ex instanceof io.kompakt.engine.run.UnsupportedOpException) {
        err.println("kompakt: cannot run: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      if (ex instanceof java.nio.file.FileSystemException || ex instanceof IllegalArgumentException
          || ex instanceof java.io.IOException) {
        err.println("kompakt: " + ex.getMessage());
        return EXIT_BAD_INPUT;
      }
      err.println("kompakt: internal error: " + ex);
      ex.printStackTrace(err);
      return 1;
    });
    return cl;
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Kompakt.class.getPackage().getImplementationVersion();
      return new String[] {"kompakt " + (v == null ? "(development build)" : v),
          "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + " on "
              + System.getProperty("os.arch")};
    }
  }
}
