package io.kompakt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelInfo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt inspect MODEL}: what is in a model, before deploying it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Describes a .tflite model: inputs and outputs, operators with their options, tensor sizes,",
        "parameter count, bytes by type, per-tensor sparsity, the op set, metadata and labels."})
final class InspectCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", arity = "0..1", description = "the .tflite file")
  Path model;

  @Option(names = "--env", description = "describe the runtime instead (JVM, CPU architecture, kernels: Vector API or scalar, threads)")
  boolean env;

  @Option(names = "--json", description = "print one JSON object instead of text")
  boolean json;

  @Option(names = "--tensors", description = "list every tensor (inputs and outputs are always listed)")
  boolean tensors;

  @Option(names = "--no-ops", description = "leave out the operator list")
  boolean noOps;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (env) {
      PrintWriter out = spec.commandLine().getOut();
      io.kompakt.engine.run.KernelRegistry r = io.kompakt.engine.run.KernelRegistry.defaults();
      java.util.Map<String, Object> e = new java.util.LinkedHashMap<>();
      e.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
      e.put("os_arch", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
      e.put("cpus", Runtime.getRuntime().availableProcessors());
      e.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
      e.put("kernels_default", io.kompakt.engine.run.Interpreter.Kernels.fromSystemProperty().name().toLowerCase(java.util.Locale.ROOT));
      e.put("simd", r.description());
      e.put("ops_with_kernels", r.opNames().size());
      if (json) {
        out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(e));
      } else {
        e.forEach((k, v) -> out.printf("%-17s %s%n", k, v));
        out.println("ops              " + String.join(", ", r.opNames()));
      }
      out.flush();
      return 0;
    }
    if (model == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give a MODEL (or --env)");
    if (!Files.exists(model)) throw new NoSuchFileException(model.toString());
    if (Files.isDirectory(model)) throw new IllegalArgumentException(model + " is a directory, not a .tflite file");
    Model m = Model.load(model);
    ModelInfo.Summary s = ModelInfo.of(m);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);
      out.println(mapper.writeValueAsString(s));
    } else {
      printText(s, out);
    }
    out.flush();
    return 0;
  }

  private void printText(ModelInfo.Summary s, PrintWriter out) {
    out.printf("Model      %s%n", s.source());
    out.printf("File       %,d bytes, schema version %d%n", s.fileBytes(), s.schemaVersion());
    if (s.description() != null && !s.description().isEmpty()) out.printf("About      %s%n", s.description());
    out.printf("Parameters %,d in constant tensors, %,d bytes (%s)%n", s.parameters(), s.constantBytes(), bytesByType(s.constantBytesByType()));
    out.printf("Op set     %s%n", opSet(s.opSet()));
    out.println(s.opsWithoutKernel().isEmpty() ? "Kernels    Kompakt has a kernel for every op (types and options are checked when it prepares the model)"
        : "Kernels    Kompakt has no kernel for: " + String.join(", ", s.opsWithoutKernel()));
    for (ModelInfo.SubgraphInfo sg : s.subgraphs()) {
      out.println();
      out.printf("Subgraph %d%s: %d operators, %d tensors%n", sg.index(), sg.name() == null ? "" : " '" + sg.name() + "'",
          sg.operators().size(), sg.tensors().size());
      out.println("  Inputs");
      for (ModelInfo.TensorInfo t : sg.inputs()) out.println("    " + tensorLine(t));
      out.println("  Outputs");
      for (ModelInfo.TensorInfo t : sg.outputs()) out.println("    " + tensorLine(t));
      if (!noOps) {
        out.println("  Operators");
        for (ModelInfo.OpInfo o : sg.operators()) {
          out.printf("    %3d %-22s in=%s out=%s%s%s%n", o.index(), o.op() + (o.version() > 1 ? " v" + o.version() : ""),
              Arrays.toString(o.inputs()), Arrays.toString(o.outputs()),
              o.options().isEmpty() ? "" : " " + o.options(),
              o.customOptionsBytes() > 0 ? " custom_options=" + o.customOptionsBytes() + " bytes" : "");
        }
      }
      if (tensors) {
        out.println("  Tensors");
        for (ModelInfo.TensorInfo t : sg.tensors()) out.println("    " + tensorLine(t));
      }
    }
    if (!s.signatures().isEmpty()) {
      out.println();
      for (String sig : s.signatures()) out.println("Signature  " + sig);
    }
    if (!s.metadata().isEmpty() || !s.associatedFiles().isEmpty()) out.println();
    if (!s.metadata().isEmpty()) out.println("Metadata   " + String.join(", ", s.metadata()));
    if (s.tfliteMetadataName() != null) out.println("TFLite Metadata: " + s.tfliteMetadataName()
        + (s.tfliteMetadataDescription() == null ? "" : " - " + s.tfliteMetadataDescription()));
    if (!s.associatedFiles().isEmpty()) out.println("Files      " + s.associatedFiles());
    if (s.labels() > 0) out.println("Labels     " + s.labels() + " (" + String.join(", ", s.firstLabels()) + ", ...)");
    if (!s.warnings().isEmpty()) {
      out.println();
      for (String w : s.warnings()) out.println("Warning    " + w);
    }
  }

  static String tensorLine(ModelInfo.TensorInfo t) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%4d %-8s %-18s %,12d B  %s", t.index(), t.type(), Arrays.toString(t.shape()), t.bytes(), t.name()));
    if (t.constant()) sb.append("  const(buffer ").append(t.buffer()).append(')');
    if (t.zeroFraction() > 0) sb.append(String.format("  zeros %.1f%%", 100 * t.zeroFraction()));
    if (t.quantization() != null) sb.append("  q: ").append(t.quantization());
    if (t.sparsity() != null) sb.append("  sparse: ").append(t.sparsity());
    return sb.toString();
  }

  private static String bytesByType(Map<String, Long> m) {
    StringBuilder sb = new StringBuilder();
    m.forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "").append(k).append(' ').append(String.format("%,d", v)));
    return sb.length() == 0 ? "none" : sb.toString();
  }

  private static String opSet(Map<String, Integer> m) {
    StringBuilder sb = new StringBuilder();
    m.forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "").append(k).append(" x").append(v));
    return sb.length() == 0 ? "none" : sb.toString();
  }
}
