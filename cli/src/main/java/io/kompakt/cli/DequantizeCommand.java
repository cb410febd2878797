package io.kompakt.cli;

import io.kompakt.compress.Dequantizer;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt dequantize MODEL -o OUT}: the float network of a quantized model. */
@Command(name = "dequantize", mixinStandardHelpOptions = true,
    description = {"Writes the float32 network of a quantized model: weights dequantized, QUANTIZE/DEQUANTIZE removed,",
        "and (unless --no-clamp) each op whose output was 8-bit given the tightest fused activation (RELU, RELU6,",
        "RELU_N1_TO_1) covering that output's real range. The network the speed anchors time with --dequantize."})
final class DequantizeCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the quantized .tflite file")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the float model")
  Path output;

  @Option(names = "--no-clamp", description = "do not add activations from the 8-bit output ranges")
  boolean noClamp;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    EditableModel m = EditableModel.from(Model.load(model));
    Dequantizer.Report r = Dequantizer.dequantize(m, !noClamp);
    new ModelWriter().write(m, output);
    spec.commandLine().getOut().printf("wrote %s (%,d bytes): %d constants and %d activations to float32, %d QUANTIZE/DEQUANTIZE removed, %d clamps added%n",
        output, Files.size(output), r.constants(), r.activations(), r.removedOps(), r.clampsAdded());
    return 0;
  }
}
