package io.kompakt.testdata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Real TensorFlow Lite, through {@code ../shared/tools/tflite-oracle/oracle.sh} (its WebAssembly build under
 * Node): proof that a file Kompakt writes loads in TFLite, and TFLite's outputs for it.
 */
public final class Oracle {
  /** Exit code of the oracle when TFLite refuses a model. */
  public static final int REFUSED = 3;

  private Oracle() {}

  public static Path script() { return Shared.resolve("tools/tflite-oracle/oracle.sh"); }

  /** Whether the oracle can run here: ../shared present and node on the PATH. */
  public static boolean available() {
    if (!Files.isRegularFile(script())) return false;
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** The result of one oracle call. */
  public record Result(int exitCode, String output) {}

  /** Runs {@code oracle.sh ARGS...} with a time bound and returns its exit code and output. */
  public static Result call(String... args) throws IOException, InterruptedException {
    String[] cmd = new String[args.length + 2];
    cmd[0] = "bash";
    cmd[1] = script().toString();
    System.arraycopy(args, 0, cmd, 2, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("oracle timed out: " + String.join(" ", args));
    }
    return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Runs a model on the inputs of {@code inDir} ({@code input_<i>.bin}), writing {@code outDir/output_<i>.bin}. */
  public static Result run(Path model, Path inDir, Path outDir) throws IOException, InterruptedException {
    Files.createDirectories(outDir);
    return call("run", model.toString(), inDir.toString(), outDir.toString());
  }
}
