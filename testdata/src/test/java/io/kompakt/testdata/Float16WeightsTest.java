package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.compress.Float16Quantizer;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Float16-weight models (FLOAT16 constants + DEQUANTIZE, as the converter writes them) run as real TFLite runs them. */
class Float16WeightsTest {
  @Test
  void halfSizeAndTfliteOutputs(@TempDir Path dir) throws Exception {
    EditableModel m = Networks.byName("mobilenet_v2_0.35_96", 3);
    long floatBytes = ModelWriter.toBytes(m).length;
    int converted = Float16Quantizer.quantize(m, 1024);
    Path file = dir.resolve("f16.tflite");
    new ModelWriter().write(m, file);
    assertTrue(converted > 20, converted + " constants");
    assertTrue(Files.size(file) < 0.55 * floatBytes, "float16 file " + Files.size(file) + " vs float " + floatBytes);
    Model model = Model.load(file);
    assertTrue(model.mainSubgraph().tensors().stream().anyMatch(t -> t.type() == TensorType.FLOAT16));
    try (Interpreter it = new Interpreter(model)) {
      assertEquals(model.mainSubgraph().operators().size() - converted, it.kernelCount(), "every DEQUANTIZE folded at prepare");
      assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: comparison with TFLite skipped");
      assertEquals(0, Oracle.call("random", file.toString(), "3", dir.resolve("in").toString()).exitCode());
      Oracle.Result r = Oracle.run(file, dir.resolve("in"), dir.resolve("out"));
      assertEquals(0, r.exitCode(), r.output());
      TensorFiles.read(dir.resolve("in/input_0.bin"), it.getInputTensor(0));
      it.invoke();
      RuntimeTensor out = it.getOutputTensor(0);
      ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out/output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < out.size(); i++) {
        double w = want.getFloat(4 * i), got = out.f32[out.offset + i];
        assertTrue(Math.abs(got - w) <= 1e-4 * Math.abs(w) + 1e-5, "output[" + i + "]: " + got + " vs TFLite " + w);
      }
    }
  }
}
