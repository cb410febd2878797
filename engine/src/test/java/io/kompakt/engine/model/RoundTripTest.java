package io.kompakt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Write, read, edit and write again: the same bytes and the same content. */
class RoundTripTest {

  static Stream<Arguments> models() {
    List<Arguments> a = new ArrayList<>();
    for (TestModels.Kind k : TestModels.kinds()) {
      for (long seed : new long[] {1, 2, 3, 0xC0FFEE, 424242}) a.add(Arguments.of(k, seed));
    }
    return a.stream();
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("models")
  void writeReadWriteGivesTheSameBytes(TestModels.Kind kind, long seed) {
    EditableModel built = kind.build().apply(seed);
    byte[] first = ModelWriter.toBytes(built);
    Model read1 = Model.from(first);
    TestModels.assertContent(built, read1);

    byte[] second = ModelWriter.toBytes(EditableModel.from(read1));
    assertArrayEquals(first, second, "rewriting a read model changed its bytes");
    Model read2 = Model.from(second);
    assertEquals(List.of(), ModelDiff.differences(read1, read2));
    TestModels.assertContent(built, read2);

    // the same seed builds the same bytes
    assertArrayEquals(first, ModelWriter.toBytes(kind.build().apply(seed)), "writer is not deterministic");
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("models")
  void bufferDataIs16ByteAlignedInTheFile(TestModels.Kind kind, long seed) {
    byte[] file = ModelWriter.toBytes(kind.build().apply(seed));
    ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    io.kompakt.schema.tflite.Model fm = io.kompakt.schema.tflite.Model.getRootAsModel(bb);
    Model model = Model.from(file);
    assertEquals(fm.buffersLength(), model.buffers().size());
    int withData = 0;
    for (int i = 0; i < fm.buffersLength(); i++) {
      io.kompakt.schema.tflite.Buffer b = fm.buffers(i);
      if (b.dataLength() == 0) {
        assertEquals(0, model.buffers().get(i).size(), "buffer " + i);
        continue;
      }
      withData++;
      ByteBuffer v = b.dataAsByteBuffer();
      int start = v.position();
      assertEquals(0, start % 16, "buffer " + i + " data starts at byte " + start);
      // the reader's view is of exactly these file bytes
      ByteBuffer view = model.buffers().get(i).data();
      assertFalse(model.buffers().get(i).external());
      assertEquals(b.dataLength(), view.remaining());
      byte[] expected = new byte[b.dataLength()];
      System.arraycopy(file, start, expected, 0, expected.length);
      assertArrayEquals(expected, TestModels.bytes(view), "buffer " + i);
    }
    assertTrue(withData > 0, "model has no constant data");
    assertEquals(0, model.buffers().get(0).size(), "buffer 0 is the empty sentinel");
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("models")
  void externalBuffersReadBackTheSame(TestModels.Kind kind, long seed) {
    EditableModel built = kind.build().apply(seed);
    byte[] inline = ModelWriter.toBytes(built);
    byte[] external = TestModels.externalize(inline);
    Model a = Model.from(inline), b = Model.from(external);
    assertEquals(List.of(), ModelDiff.differences(a, b));
    TestModels.assertContent(built, b);
    for (Model.Buffer buf : b.buffers()) {
      assertEquals(buf.size() > 0, buf.external(), "buffer " + buf.index());
    }
    // rewriting the external model stores the buffers inline again: the original bytes
    assertArrayEquals(inline, ModelWriter.toBytes(EditableModel.from(b)));
  }

  @Test
  void loadFromAFileEqualsReadingFromMemory(@TempDir Path dir) throws Exception {
    for (TestModels.Kind kind : TestModels.kinds()) {
      EditableModel built = kind.build().apply(77);
      Path p = dir.resolve(kind.name() + ".tflite");
      new ModelWriter().write(built, p);
      byte[] bytes = Files.readAllBytes(p);
      assertArrayEquals(ModelWriter.toBytes(built), bytes, kind.name());
      Model loaded = Model.load(p);
      assertEquals(p.toString(), loaded.source());
      assertEquals(bytes.length, loaded.fileSize());
      assertEquals(List.of(), ModelDiff.differences(Model.from(bytes), loaded), kind.name());
      TestModels.assertContent(built, loaded);
    }
  }

  @Test
  void readsFromAnyByteBufferFromItsStartToItsLimit() {
    byte[] file = ModelWriter.toBytes(TestModels.customOpModel(12));
    Model plain = Model.from(file);
    byte[] padded = new byte[file.length + 40];
    System.arraycopy(file, 0, padded, 24, file.length);
    ByteBuffer heap = ByteBuffer.wrap(padded, 24, file.length).slice();
    heap.position(100); // ignored
    ByteBuffer direct = ByteBuffer.allocateDirect(file.length).put(file).flip().order(ByteOrder.BIG_ENDIAN);
    for (ByteBuffer b : List.of(heap, direct, ByteBuffer.wrap(file).asReadOnlyBuffer())) {
      Model m = Model.from(b);
      assertEquals(List.of(), ModelDiff.differences(plain, m), b.toString());
      assertEquals(file.length, m.fileSize());
      assertEquals(plain.associatedFiles().keySet(), m.associatedFiles().keySet());
    }
  }

  @Test
  void diffSeesAChangedWeight() {
    EditableModel built = TestModels.floatNet(5);
    Model original = Model.from(ModelWriter.toBytes(built));
    EditableModel edited = EditableModel.from(original);
    EditableModel.Buffer w = edited.subgraphs.get(0).tensors.get(1).buffer;
    byte[] data = TestModels.bytes(w.data());
    data[data.length - 1] ^= 1;
    w.setData(ByteBuffer.wrap(data));
    List<String> d = ModelDiff.differences(original, Model.from(ModelWriter.toBytes(edited)));
    assertEquals(1, d.size(), d.toString());
    assertTrue(d.get(0).contains("conv/weights") && d.get(0).contains("data"), d.get(0));
  }

  @Test
  void negativeZeroOptionSurvivesAWrite() {
    EditableModel m = TestModels.floatNet(1);
    m.subgraphs.get(0).operators.get(2).options = FlatTable.of("SoftmaxOptions").set("beta", -0.0f);
    TestModels.assertContent(m, Model.from(ModelWriter.toBytes(m)));
  }

  @Test
  void customModelCarriesMetadataLabelsAndNormalization() {
    EditableModel built = TestModels.customOpModel(9);
    Model m = Model.from(ModelWriter.toBytes(built));
    assertNotNull(m.tfliteMetadata(), () -> "TFLite Metadata not read; warnings " + m.warnings());
    String labels = new String(built.associatedFiles.get(TestModels.LABELS), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(List.of(labels.split("\n")), m.labels());
    double[][] norm = MetadataView.inputNormalization(m.tfliteMetadata());
    assertNotNull(norm);
    assertEquals(127.5, norm[0][0], 1e-6);
    assertEquals(1, m.opCodes().stream().filter(OpCode::isCustom).count(), "one opcode for both MyOp operators: " + m.opCodes());
    assertEquals("MyOp", m.subgraphs().get(1).operators().get(0).name());
  }

  @Test
  void sparseModelsCoverBothIndexWidths() {
    boolean u8 = false, u16 = false;
    for (long seed = 1; seed <= 40 && !(u8 && u16); seed++) {
      Model m = Model.from(ModelWriter.toBytes(TestModels.sparseModel(seed)));
      Sparsity.Dimension d = m.subgraphs().get(0).tensor(1).sparsity().dimensions().get(1);
      assertEquals(Sparsity.Format.SPARSE_CSR, d.format());
      u8 |= d.indicesType().equals("Uint8Vector");
      u16 |= d.indicesType().equals("Uint16Vector");
      // consistent CSR: segments ascend from 0 to the number of stored values
      int[] seg = d.segments();
      assertEquals(0, seg[0]);
      for (int i = 1; i < seg.length; i++) assertTrue(seg[i] >= seg[i - 1]);
      assertEquals(seg[seg.length - 1] * 4L, m.subgraphs().get(0).tensor(1).storedBytes());
    }
    assertTrue(u8 && u16, "seeds 1..40 should give both Uint8Vector and Uint16Vector indices");
  }
}
