package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real TFLite loads what Kompakt writes: each shared model rewritten by Kompakt gives TFLite's outputs for the
 * original byte for byte (on the first golden case), and the project's own networks load and run.
 */
class OracleLoadsKompaktFilesTest {

  static List<Path> models() throws IOException { return SharedModelsRoundTripTest.models(); }

  static List<String> networks() { return List.of("fashion_mnist_cnn", "mobilenet_v1_0.25_96"); }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void rewrittenModelGivesTheSameOutputsInTflite(Path file, @TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    String name = file.getFileName().toString().replace(".tflite", "");
    Path rewritten = dir.resolve(file.getFileName());
    new ModelWriter().write(EditableModel.from(Model.load(file)), rewritten);
    Path golden = Shared.resolve("golden").resolve(name);
    if (!Files.isDirectory(golden)) {
      // No golden: TFLite refuses the original (person_detect, model_invoking_error); it must refuse or load the rewrite alike.
      int original = Oracle.call("info", file.toString()).exitCode();
      int ours = Oracle.call("info", rewritten.toString()).exitCode();
      assertEquals(original, ours, "TFLite treats the rewritten " + name + " as the original");
      return;
    }
    Path input;
    try (Stream<Path> s = Files.list(golden)) {
      input = s.filter(Files::isDirectory).sorted().findFirst().orElseThrow();
    }
    Oracle.Result a = Oracle.run(file, input, dir.resolve("a"));
    Oracle.Result b = Oracle.run(rewritten, input, dir.resolve("b"));
    assertEquals(0, a.exitCode(), a.output());
    assertEquals(0, b.exitCode(), "TFLite refused Kompakt's rewrite: " + b.output());
    List<Path> outs;
    try (Stream<Path> s = Files.list(dir.resolve("a"))) {
      outs = s.sorted().collect(Collectors.toList());
    }
    for (Path o : outs) {
      assertArrayEquals(Files.readAllBytes(o), Files.readAllBytes(dir.resolve("b").resolve(o.getFileName())),
          name + " " + o.getFileName());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void generatedNetworksRunInTflite(String network, @TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    Path file = dir.resolve(network + ".tflite");
    new ModelWriter().write(Networks.byName(network, 7), file);
    Oracle.Result r = Oracle.call("random", file.toString(), "1", dir.resolve("in").toString());
    assertEquals(0, r.exitCode(), r.output());
    Oracle.Result run = Oracle.run(file, dir.resolve("in"), dir.resolve("out"));
    assertEquals(0, run.exitCode(), "TFLite could not run " + network + ": " + run.output());
    long outBytes = Files.size(dir.resolve("out/output_0.bin"));
    Model m = Model.load(file);
    assertEquals(m.mainSubgraph().output(0).denseBytes(), outBytes, "output size as the model declares");
  }
}
