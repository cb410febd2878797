package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.compress.Dequantizer;
import io.kompakt.data.TopK;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.file.Files;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The float network of each shared quantized MobileNet keeps TFLite's top-1 on the image cases. */
class DequantizedModelsTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({"mobilenet_v1_0.25_224_quant", "mobilenet_v1_0.5_160_quant", "mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq"})
  void topOneAsTflite(String name) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    Model q = Model.load(Shared.resolve("models").resolve(name + ".tflite"));
    EditableModel e = EditableModel.from(q);
    Dequantizer.dequantize(e, true);
    Model f = Model.from(ModelWriter.toBytes(e));
    for (var t : f.mainSubgraph().tensors()) assertTrue(t.type() == TensorType.FLOAT32 || t.type() == TensorType.INT32, t.toString());
    var meta = new ObjectMapper().readTree(Shared.resolve("golden").resolve(name).resolve("meta.json").toFile());
    var qIn = q.mainSubgraph().input(0);
    float scale = qIn.quantization().scale()[0];
    long zp = qIn.quantization().zeroPoint()[0];
    int agree = 0, cases = 0;
    try (Interpreter it = new Interpreter(f, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      for (var c = meta.get("cases").fieldNames(); c.hasNext(); ) {
        String caseName = c.next();
        if (!caseName.startsWith("image-")) continue;
        byte[] raw = Files.readAllBytes(Shared.resolve("golden").resolve(name).resolve(caseName).resolve("input_0.bin"));
        RuntimeTensor in = it.getInputTensor(0);
        for (int i = 0; i < raw.length; i++) {
          int v = qIn.type() == TensorType.UINT8 ? raw[i] & 0xFF : raw[i];
          in.f32[in.offset + i] = scale * (v - zp); // the real value the quantized input stood for
        }
        it.invoke();
        cases++;
        if (TopK.of(it.getOutputTensor(0), 1).get(0).index() == meta.get("cases").get(caseName).get("top5").get(0).asInt()) agree++;
      }
    }
    assertEquals(cases, agree, name + ": top-1 agreement with TFLite on " + cases + " images");
  }

}
