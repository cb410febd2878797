package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelDiff;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every model in ../shared/models reads, and write(read(f)) reads back equal, deterministically. */
class SharedModelsRoundTripTest {

  static List<Path> models() throws IOException {
    if (!Shared.available()) return List.of();
    try (Stream<Path> s = Files.list(Shared.resolve("models"))) {
      return s.filter(p -> p.toString().endsWith(".tflite")).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void sharedModelsArePresent() throws IOException {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    assertTrue(models().size() >= 16, "expected the 16 shared models, found " + models());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void roundTripReadsBackEqual(Path file, @TempDir Path dir) throws IOException {
    Model original = Model.load(file);
    Path out = dir.resolve(file.getFileName());
    new ModelWriter().write(EditableModel.from(original), out);
    Model back = Model.load(out);
    assertEquals(List.of(), ModelDiff.differences(original, back), "round trip of " + file.getFileName());
    byte[] again = ModelWriter.toBytes(EditableModel.from(back));
    assertArrayEquals(Files.readAllBytes(out), again, "writing is deterministic");
    assertEquals(original.associatedFiles().keySet(), back.associatedFiles().keySet());
    assertEquals(original.labels(), back.labels());
    if (original.associatedFiles().keySet().stream().anyMatch(n -> n.contains("label"))) {
      assertFalse(back.labels().isEmpty(), "labels survive the round trip");
    }
  }
}
