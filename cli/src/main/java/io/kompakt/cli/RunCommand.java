package io.kompakt.cli;

import io.kompakt.data.ImageInput;
import io.kompakt.data.Preprocessing;
import io.kompakt.data.TensorFiles;
import io.kompakt.data.TopK;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt run MODEL INPUT...}: one inference, with the top classes for a classifier. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Runs a model once. Each INPUT is an image (JPEG, PNG, BMP: resized bilinearly to the input's size;",
        "float inputs scaled by the model's normalization metadata, else to [-1, 1]; uint8 raw pixels; int8 minus 128)",
        "or a raw tensor (.bin: the little-endian bytes; .npy). Prints the top classes of a classifier output."})
final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "the .tflite file")
  Path model;

  @Parameters(index = "1..*", paramLabel = "INPUT", arity = "1..*", description = "one file per model input, in order")
  List<Path> inputs;

  @Option(names = "--labels", paramLabel = "FILE", description = "class names, one per line (default: the model's own label file, if it has one)")
  Path labels;

  @Option(names = "--top", defaultValue = "5", paramLabel = "K", description = "how many classes to print (default: ${DEFAULT-VALUE})")
  int top;

  @Option(names = "--mean", split = ",", paramLabel = "M", description = "float inputs: (x - mean) / std, per channel or one value (default: metadata, else 127.5)")
  float[] mean;

  @Option(names = "--std", split = ",", paramLabel = "S", description = "see --mean (default: metadata, else 127.5)")
  float[] std;

  @Option(names = "--kernels", defaultValue = "auto", paramLabel = "KIND", description = "auto, reference, scalar or vector (default: ${DEFAULT-VALUE})")
  String kernels;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--save", paramLabel = "DIR", description = "write each output as DIR/output_<i>.bin")
  Path save;

  @Option(names = {"-v", "--verbose"}, description = "print load, prepare and run times and the arena size")
  boolean verbose;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (top < 0) throw new IllegalArgumentException("--top must be 0 or more");
    long t0 = System.nanoTime();
    Model m = Model.load(model);
    long t1 = System.nanoTime();
    Interpreter.Kernels k;
    try {
      k = Interpreter.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--kernels must be auto, reference, scalar or vector, not '" + kernels + "'");
    }
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(k).setNumThreads(threads))) {
      long t2 = System.nanoTime();
      if (inputs.size() != it.getInputTensorCount()) {
        throw new IllegalArgumentException("the model has " + it.getInputTensorCount() + " inputs; " + inputs.size() + " given");
      }
      ImageInput.Normalization norm = Preprocessing.forModel(m, 1, mean, std, false).normalization();
      for (int i = 0; i < inputs.size(); i++) {
        Path p = inputs.get(i);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
        RuntimeTensor t = it.getInputTensor(i);
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".bin") || name.endsWith(".npy")) TensorFiles.read(p, t);
        else ImageInput.fill(t, p, norm);
      }
      it.invoke();
      long t3 = System.nanoTime();
      List<String> names = labels != null ? Files.readAllLines(labels, StandardCharsets.UTF_8) : m.labels();
      for (int o = 0; o < it.getOutputTensorCount(); o++) {
        RuntimeTensor t = it.getOutputTensor(o);
        if (it.getOutputTensorCount() > 1) out.println("output " + o + " " + t);
        boolean classifier = t.size() > 1 && t.size() == t.shape[t.shape.length - 1];
        if (classifier && top > 0) {
          out.println("rank  index  label  score");
          int rank = 1;
          for (TopK.Entry e : TopK.of(t, top)) {
            String label = e.index() < names.size() ? names.get(e.index()) : "-";
            out.printf(Locale.ROOT, "%d  %d  %s  %.6f%n", rank++, e.index(), label, e.score());
          }
        } else {
          int n = Math.min(t.size(), 16);
          StringBuilder sb = new StringBuilder();
          for (int i = 0; i < n; i++) sb.append(i > 0 ? ", " : "").append(t.get(i));
          out.println(t + " = [" + sb + (t.size() > n ? ", ..." : "") + "]");
        }
        if (save != null) {
          Files.createDirectories(save);
          io.kompakt.engine.AtomicFiles.write(save.resolve("output_" + o + ".bin"), TensorFiles.bytes(t));
        }
      }
      if (verbose) {
        out.printf(Locale.ROOT, "load %.2f ms, prepare %.2f ms, inference %.2f ms, arena %,d bytes, kernels %s, threads %d%n",
            (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, it.arenaBytes(), k.name().toLowerCase(Locale.ROOT), threads);
      }
    }
    out.flush();
    return 0;
  }

}
