package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.data.TensorFiles;
import io.kompakt.data.TopK;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of ../shared/golden whose model is float: each output within 1e-4 relative (1e-5 absolute near
 * zero) of real TFLite's, and the top-5 classes equal where the golden lists them.
 */
class GoldenFloatTest {
  static final double REL = 1e-4, ABS = 1e-5;

  static List<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    if (!Shared.available()) return out;
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> dirs = Files.list(Shared.resolve("golden"))) {
      for (Path dir : dirs.sorted().collect(Collectors.toList())) {
        JsonNode meta = json.readTree(dir.resolve("meta.json").toFile());
        boolean allFloat = true;
        for (JsonNode t : meta.get("inputs")) allFloat &= t.get("dtype").asText().equals("float32");
        for (JsonNode t : meta.get("outputs")) allFloat &= t.get("dtype").asText().equals("float32");
        if (!allFloat) continue;
        meta.get("cases").fieldNames().forEachRemaining(c -> out.add(Arguments.of(dir.getFileName().toString(), c)));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesTflite(String model, String caseName) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    Path dir = Shared.resolve("golden").resolve(model);
    JsonNode meta = new ObjectMapper().readTree(dir.resolve("meta.json").toFile());
    Model m = Model.load(Shared.resolve("models").resolve(meta.get("model").asText()));
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      for (int i = 0; i < it.getInputTensorCount(); i++) {
        TensorFiles.read(dir.resolve(caseName).resolve("input_" + i + ".bin"), it.getInputTensor(i));
      }
      it.invoke();
      for (int o = 0; o < it.getOutputTensorCount(); o++) {
        RuntimeTensor t = it.getOutputTensor(o);
        ByteBuffer g = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(caseName).resolve("output_" + o + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(g.remaining() / 4, t.size(), "output " + o + " size");
        double worst = 0;
        for (int i = 0; i < t.size(); i++) {
          double want = g.getFloat(4 * i), got = t.f32[t.offset + i];
          double err = Math.abs(got - want);
          worst = Math.max(worst, err / (REL * Math.abs(want) + ABS));
          assertTrue(err <= REL * Math.abs(want) + ABS,
              model + " " + caseName + " output " + o + "[" + i + "]: " + got + " vs TFLite " + want);
        }
        System.out.printf("%s %s output %d: worst error %.3f of the tolerance%n", model, caseName, o, worst);
      }
      JsonNode top5 = meta.get("cases").get(caseName).get("top5");
      if (top5 != null) {
        List<Integer> want = new ArrayList<>();
        top5.forEach(n -> want.add(n.asInt()));
        List<Integer> got = TopK.of(it.getOutputTensor(0), 5).stream().map(TopK.Entry::index).collect(Collectors.toList());
        assertEquals(want, got, "top-5 of " + model + " " + caseName);
      }
    }
  }
}
