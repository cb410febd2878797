package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.data.TensorFiles;
import io.kompakt.data.TopK;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Integer models against TFLite's reference kernels (../shared/golden-tflm): byte for byte, with Kompakt's reference
 * kernels and with its fast ones. uint8 models, which
 * only ../golden has (XNNPACK's rounding): top-1 equal on every image case, unit differences printed.
 */
class GoldenIntegerTest {
  /** Optional models (not CNNs): SVDF and LSTM. */
  static final List<String> OPTIONAL = List.of("keyword_scrambled", "keras_lstm_mnist_ptq");

  static List<Arguments> tflmCases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    if (!Shared.available()) return out;
    try (Stream<Path> dirs = Files.list(Shared.resolve("golden-tflm"))) {
      for (Path dir : dirs.filter(Files::isDirectory).sorted().collect(Collectors.toList())) {
        String model = dir.getFileName().toString();
        if (OPTIONAL.contains(model) || model.endsWith("_float") || model.equals("mobilenet_v1_0.25_224_1_default_1")) continue;
        try (Stream<Path> cases = Files.list(dir)) {
          cases.filter(Files::isDirectory).sorted().forEach(c -> out.add(Arguments.of(model, c.getFileName().toString())));
        }
      }
    }
    return out;
  }

  static Path inputDir(String model, String caseName) {
    Path own = Shared.resolve("golden-tflm").resolve(model).resolve(caseName);
    return Files.exists(own.resolve("input_0.bin")) ? own : Shared.resolve("golden").resolve(model).resolve(caseName);
  }

  static Interpreter run(String model, Path inputs) throws IOException {
    return run(model, inputs, Interpreter.Kernels.REFERENCE);
  }

  static Interpreter run(String model, Path inputs, Interpreter.Kernels kernels) throws IOException {
    Interpreter it = new Interpreter(Model.load(Shared.resolve("models").resolve(model + ".tflite")),
        new Interpreter.Options().setKernels(kernels).setNumThreads(kernels == Interpreter.Kernels.REFERENCE ? 1 : 2));
    for (int i = 0; i < it.getInputTensorCount(); i++) TensorFiles.read(inputs.resolve("input_" + i + ".bin"), it.getInputTensor(i));
    it.invoke();
    return it;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("tflmCases")
  void matchesReferenceKernelsByteForByte(String model, String caseName) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    // Kompakt's reference kernels, then its fast ones (Vector API where present, two threads)
    for (Interpreter.Kernels kernels : new Interpreter.Kernels[] {Interpreter.Kernels.REFERENCE, Interpreter.Kernels.AUTO}) {
      check(model, caseName, kernels);
    }
  }

  private static void check(String model, String caseName, Interpreter.Kernels kernels) throws Exception {
    try (Interpreter it = run(model, inputDir(model, caseName), kernels)) {
      for (int o = 0; o < it.getOutputTensorCount(); o++) {
        byte[] want = Files.readAllBytes(Shared.resolve("golden-tflm").resolve(model).resolve(caseName).resolve("output_" + o + ".bin"));
        byte[] got = TensorFiles.bytes(it.getOutputTensor(o));
        if (!Arrays.equals(want, got)) {
          RuntimeTensor t = it.getOutputTensor(o);
          int diff = 0, max = 0, first = -1;
          for (int i = 0; i < t.size() && t.type.size == 1; i++) {
            int a = t.type == TensorType.UINT8 ? want[i] & 0xFF : want[i], b = t.type == TensorType.UINT8 ? got[i] & 0xFF : got[i];
            if (a != b) { diff++; max = Math.max(max, Math.abs(a - b)); if (first < 0) first = i; }
          }
          throw new AssertionError(model + " " + caseName + " (" + kernels + " kernels) output " + o + ": " + diff + " values differ (max " + max
              + " units, first at " + first + ")");
        }
      }
    }
  }

  static List<Arguments> uint8Cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    if (!Shared.available()) return out;
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> dirs = Files.list(Shared.resolve("golden"))) {
      for (Path dir : dirs.sorted().collect(Collectors.toList())) {
        String model = dir.getFileName().toString();
        if (Files.isDirectory(Shared.resolve("golden-tflm").resolve(model))) continue;
        JsonNode meta = json.readTree(dir.resolve("meta.json").toFile());
        if (!meta.get("outputs").get(0).get("dtype").asText().equals("uint8")) continue;
        meta.get("cases").fieldNames().forEachRemaining(c -> out.add(Arguments.of(model, c)));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("uint8Cases")
  void uint8ModelsAgreeWithTfliteOnTopOne(String model, String caseName) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    Path dir = Shared.resolve("golden").resolve(model).resolve(caseName);
    try (Interpreter it = run(model, dir)) {
      for (int o = 0; o < it.getOutputTensorCount(); o++) {
        RuntimeTensor t = it.getOutputTensor(o);
        byte[] want = Files.readAllBytes(dir.resolve("output_" + o + ".bin"));
        byte[] got = TensorFiles.bytes(t);
        assertEquals(want.length, got.length);
        int[] histogram = new int[256];
        for (int i = 0; i < want.length; i++) histogram[Math.abs((want[i] & 0xFF) - (got[i] & 0xFF))]++;
        int max = 0;
        for (int d = 0; d < 256; d++) if (histogram[d] > 0) max = d;
        System.out.printf("uint8 %s %s output %d: %d of %d bytes differ, max %d units, by units %s%n", model, caseName, o,
            want.length - histogram[0], want.length, max, Arrays.toString(Arrays.copyOf(histogram, max + 1)));
      }
      JsonNode top5 = new ObjectMapper().readTree(Shared.resolve("golden").resolve(model).resolve("meta.json").toFile())
          .get("cases").get(caseName).get("top5");
      if (top5 != null && caseName.startsWith("image-")) {
        int got = TopK.of(it.getOutputTensor(0), 1).get(0).index();
        assertEquals(top5.get(0).asInt(), got, model + " " + caseName + ": top-1");
      }
      assertTrue(it.getOutputTensorCount() > 0);
    }
  }
}
