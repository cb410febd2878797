package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture Kompakt builds runs in Kompakt with real TFLite's outputs (random inputs from the oracle):
 * within 1e-4 relative, 1e-5 absolute, the float bar.
 */
class NetworksAgainstTfliteTest {
  static List<String> networks() {
    return List.copyOf(Networks.all().keySet());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void kompaktMatchesTflite(String network, @TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    Path file = dir.resolve(network + ".tflite");
    new ModelWriter().write(Networks.byName(network, 11), file);
    assertEquals(0, Oracle.call("random", file.toString(), "5", dir.resolve("in").toString()).exitCode());
    Oracle.Result r = Oracle.run(file, dir.resolve("in"), dir.resolve("out"));
    assertEquals(0, r.exitCode(), r.output());
    try (Interpreter it = new Interpreter(Model.load(file), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      TensorFiles.read(dir.resolve("in/input_0.bin"), it.getInputTensor(0));
      it.invoke();
      for (int o = 0; o < it.getOutputTensorCount(); o++) {
        RuntimeTensor out = it.getOutputTensor(o);
        ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out/output_" + o + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(want.remaining(), out.type.bytesFor(out.size()), network + " output " + o + " size");
        for (int i = 0; i < out.size(); i++) {
          if (out.type == io.kompakt.engine.model.TensorType.FLOAT32) {
            double w = want.getFloat(4 * i), got = out.f32[out.offset + i];
            assertTrue(Math.abs(got - w) <= 1e-4 * Math.abs(w) + 1e-5, network + " output " + o + "[" + i + "]: " + got + " vs TFLite " + w);
          } else {
            assertEquals(want.getInt(4 * i), out.getLong(i), network + " output " + o + "[" + i + "]");
          }
        }
      }
    }
  }
}
