package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** TFLite-Micro's seanet integration suite (16x8 single-op models): every output value identical, all 127. */
class SeanetTest {
  static List<Path> models() throws IOException {
    if (!Shared.available()) return List.of();
    try (Stream<Path> s = Files.walk(Shared.resolve("models/seanet"), 2)) {
      return s.filter(p -> p.toString().endsWith(".tflite")).sorted().collect(Collectors.toList());
    }
  }

  static long[] csv(Path p) throws IOException {
    String text = Files.readString(p, StandardCharsets.US_ASCII).trim();
    if (text.isEmpty()) return new long[0];
    return Arrays.stream(text.split("[,\\s]+")).mapToLong(Long::parseLong).toArray();
  }

  static Path find(Path dir, String prefix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElse(null);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void bitExact(Path file) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    String name = file.getFileName().toString().replace(".tflite", "");
    Path dir = file.getParent();
    try (Interpreter it = new Interpreter(Model.load(file), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      List<long[]> inputs = new ArrayList<>();
      for (int k = 0; ; k++) {
        Path in = find(dir, name + "_input" + k + "_");
        if (in == null) break;
        inputs.add(csv(in));
      }
      assertEquals(it.getInputTensorCount(), inputs.size(), name + ": inputs");
      for (int k = 0; k < inputs.size(); k++) {
        RuntimeTensor t = it.getInputTensor(k);
        long[] v = inputs.get(k);
        assertEquals(t.size(), v.length, name + " input " + k + " size");
        for (int i = 0; i < v.length; i++) {
          switch (RuntimeTensor.storage(t.type)) {
            case I8: t.i8[t.offset + i] = (byte) v[i]; break;
            case I16: t.i16[t.offset + i] = (short) v[i]; break;
            case I32: t.i32[t.offset + i] = (int) v[i]; break;
            case I64: t.i64[t.offset + i] = v[i]; break;
            default: throw new IllegalStateException(name + " input " + k + " is " + t.type);
          }
        }
      }
      it.invoke();
      long[] golden = csv(find(dir, name + "_golden_"));
      RuntimeTensor out = it.getOutputTensor(0);
      assertEquals(golden.length, out.size(), name + " output size");
      int wrong = 0;
      StringBuilder first = new StringBuilder();
      for (int i = 0; i < golden.length; i++) {
        if (out.getLong(i) != golden[i]) {
          if (wrong++ < 5) first.append(" [").append(i).append("] ").append(out.getLong(i)).append(" vs ").append(golden[i]);
        }
      }
      assertEquals(0, wrong, name + ": " + wrong + " of " + golden.length + " values differ:" + first);
    }
  }
}
