package io.kompakt.engine.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelDiff;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.model.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** ModelWriter: atomic writes to a path, refusals of inconsistent models, external buffers. */
class ModelWriterTest {

  static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  /** Ways to break a valid model so that writing it fails, and a fragment of the expected message. */
  static Stream<Arguments> brokenModels() {
    return Stream.of(
        Arguments.of("operator input not in the subgraph", "is not a tensor of the subgraph", (Consumer<EditableModel>) m ->
            m.subgraphs.get(0).operators.get(1).inputs.add(new EditableModel.Tensor("stray", TensorType.FLOAT32, 1))),
        Arguments.of("operator output not in the subgraph", "is not a tensor of the subgraph", (Consumer<EditableModel>) m ->
            m.subgraphs.get(0).operators.get(0).outputs.set(0, new EditableModel.Tensor("stray", TensorType.FLOAT32, 1))),
        Arguments.of("non-empty buffer 0", "buffer 0 must be the empty sentinel", (Consumer<EditableModel>) m ->
            m.buffers.get(0).setData(ByteBuffer.wrap(new byte[] {1}))),
        Arguments.of("tensor buffer not in the model", "not in the model's buffer list", (Consumer<EditableModel>) m ->
            m.subgraphs.get(0).tensors.get(1).buffer = new EditableModel.Buffer(ByteBuffer.allocate(8))),
        Arguments.of("buffer listed twice", "listed twice", (Consumer<EditableModel>) m -> m.buffers.add(m.buffers.get(1))),
        Arguments.of("tensor listed twice", "listed twice", (Consumer<EditableModel>) m ->
            m.subgraphs.get(0).tensors.add(m.subgraphs.get(0).tensors.get(0))),
        Arguments.of("subgraph output not in the subgraph", "subgraph 0 output", (Consumer<EditableModel>) m ->
            m.subgraphs.get(0).outputs.add(new EditableModel.Tensor("stray", TensorType.FLOAT32, 1))),
        Arguments.of("signature of a subgraph not in the model", "names a subgraph not in the model", (Consumer<EditableModel>) m -> {
          EditableModel.SignatureDef s = new EditableModel.SignatureDef();
          s.key = "orphan";
          s.subgraph = new EditableModel.Subgraph();
          m.signatures.add(s);
        }),
        Arguments.of("signature tensor of another subgraph", "is not a tensor of its subgraph", (Consumer<EditableModel>) m -> {
          EditableModel.SignatureDef s = new EditableModel.SignatureDef();
          s.key = "mixed";
          s.subgraph = m.subgraphs.get(0);
          s.inputs.put("elsewhere", new EditableModel.Tensor("stray", TensorType.FLOAT32, 1));
          m.signatures.add(s);
        }),
        // fails only after the FlatBuffer went to the stream: the zip tail refuses a name over 65535 bytes
        Arguments.of("associated file name too long for zip", "", (Consumer<EditableModel>) m ->
            m.associatedFiles.put("n".repeat(70_000), new byte[] {1, 2, 3})));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenModels")
  void failedWriteLeavesNoFile(String what, String message, Consumer<EditableModel> breakIt, @TempDir Path dir) throws IOException {
    EditableModel m = TestModels.floatNet(21);
    breakIt.accept(m);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelWriter.toBytes(m));
    assertTrue(e.getMessage() != null && e.getMessage().contains(message), () -> what + ": " + e.getMessage());

    Path target = dir.resolve("model.tflite");
    assertThrows(IllegalArgumentException.class, () -> new ModelWriter().write(m, target));
    assertFalse(Files.exists(target), "a partial target was left");
    assertEquals(List.of(), listing(dir), "temporary files were left");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenModels")
  void failedWriteKeepsTheExistingFile(String what, String message, Consumer<EditableModel> breakIt, @TempDir Path dir) throws IOException {
    Path target = dir.resolve("model.tflite");
    new ModelWriter().write(TestModels.int8Conv(4), target);
    byte[] before = Files.readAllBytes(target);

    EditableModel m = TestModels.floatNet(21);
    breakIt.accept(m);
    assertThrows(IllegalArgumentException.class, () -> new ModelWriter().write(m, target), what);
    assertArrayEquals(before, Files.readAllBytes(target), "the existing file changed");
    assertEquals(List.of("model.tflite"), listing(dir), "temporary files were left");
    Model.load(target); // still a valid model
  }

  /** Editing an editable copy's operator options leaves the loaded model's operators as they were. */
  @Test
  void editingOptionsOfACopyLeavesTheLoadedModelAlone() {
    Model loaded = Model.from(ModelWriter.toBytes(TestModels.floatNet(5)));
    EditableModel copy = EditableModel.from(loaded);
    EditableModel.Operator conv = copy.subgraphs.get(0).operators.get(0);
    assertEquals("RELU", conv.options.getEnumName("fused_activation_function"));
    conv.options.set("fused_activation_function", "RELU6");
    assertEquals("RELU", loaded.mainSubgraph().operators().get(0).options().getEnumName("fused_activation_function"));
    assertEquals("RELU", EditableModel.from(loaded).subgraphs.get(0).operators.get(0).options.getEnumName("fused_activation_function"));
    assertEquals(loaded.mainSubgraph().operators().get(1).options(), copy.subgraphs.get(0).operators.get(1).options, "an unedited copy is equal");
  }

  @Test
  void writeReplacesAnExistingFileWithTheSameBytesAsToBytes(@TempDir Path dir) throws IOException {
    Path target = dir.resolve("m.tflite");
    Files.write(target, new byte[] {1, 2, 3});
    for (TestModels.Kind k : TestModels.kinds()) {
      EditableModel m = k.build().apply(31);
      new ModelWriter().write(m, target);
      assertArrayEquals(ModelWriter.toBytes(m), Files.readAllBytes(target), k.name());
      assertEquals(List.of("m.tflite"), listing(dir));
      TestModels.assertContent(m, Model.load(target));
    }
  }

  @Test
  void writeToARelativePath() throws IOException {
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "writer-test");
    try {
      Path rel = dir.resolve("rel.tflite");
      assertFalse(rel.isAbsolute());
      EditableModel m = TestModels.sparseModel(3);
      new ModelWriter().write(m, rel);
      assertArrayEquals(ModelWriter.toBytes(m), Files.readAllBytes(rel));
    } finally {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : (Iterable<Path>) s::iterator) Files.delete(p);
      }
      Files.delete(dir);
    }
  }

  @Test
  void thresholdAtTheTotalKeepsBuffersInside() throws IOException {
    EditableModel m = TestModels.customOpModel(7);
    long total = m.buffers.stream().mapToLong(EditableModel.Buffer::size).sum();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new ModelWriter().externalThreshold(total).writeTo(m, out);
    assertArrayEquals(ModelWriter.toBytes(m), out.toByteArray());
    assertTrue(Model.from(out.toByteArray()).buffers().stream().noneMatch(Model.Buffer::external));
  }

  // ------------------------------------------------------------------ external buffers: bug found

  @Test
  void externalWriteOfTheSmallestModel() throws IOException {
    EditableModel m = new EditableModel();
    EditableModel.Subgraph sg = m.addSubgraph("main");
    EditableModel.Tensor t = sg.add(new EditableModel.Tensor("w", TensorType.FLOAT32, 16));
    t.buffer = m.addBuffer(ByteBuffer.allocate(64));
    sg.outputs.add(t);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new ModelWriter().externalThreshold(0).writeTo(m, out);
    assertTrue(Model.from(out.toByteArray()).buffers().get(1).external());
  }

  @Test
  void externalThresholdZeroStoresEveryBufferOutside(@TempDir Path dir) throws IOException {
    for (TestModels.Kind k : TestModels.kinds()) {
      EditableModel m = k.build().apply(41);
      Path p = dir.resolve(k.name() + ".tflite"), q = dir.resolve(k.name() + "-again.tflite");
      new ModelWriter().externalThreshold(0).write(m, p);
      new ModelWriter().externalThreshold(0).write(m, q);
      byte[] bytes = Files.readAllBytes(p);
      assertArrayEquals(bytes, Files.readAllBytes(q), k.name() + ": not deterministic");

      Model ext = Model.load(p);
      for (Model.Buffer b : ext.buffers()) assertEquals(b.size() > 0, b.external(), k.name() + " buffer " + b.index());
      assertEquals(List.of(), ModelDiff.differences(Model.from(ModelWriter.toBytes(m)), ext), k.name());
      TestModels.assertContent(m, ext);

      io.kompakt.schema.tflite.Model fm = io.kompakt.schema.tflite.Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
      for (int i = 0; i < fm.buffersLength(); i++) {
        io.kompakt.schema.tflite.Buffer b = fm.buffers(i);
        assertEquals(0, b.dataLength(), "buffer " + i + " has data inside the FlatBuffer");
        if (b.size() > 0) assertEquals(0, b.offset() % 16, k.name() + " buffer " + i + " at " + b.offset());
      }
      // reading it back and writing it inline gives the ordinary file
      assertArrayEquals(ModelWriter.toBytes(m), ModelWriter.toBytes(EditableModel.from(ext)));
    }
  }

  @Test
  void thresholdJustBelowTheTotalStoresBuffersOutside() throws IOException {
    EditableModel m = TestModels.floatNet(7);
    long total = m.buffers.stream().mapToLong(EditableModel.Buffer::size).sum();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new ModelWriter().externalThreshold(total - 1).writeTo(m, out);
    assertTrue(Model.from(out.toByteArray()).buffers().stream().filter(b -> b.size() > 0).allMatch(Model.Buffer::external));
  }
}
