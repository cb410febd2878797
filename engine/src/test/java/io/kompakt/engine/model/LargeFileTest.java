package io.kompakt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files over 2 GB, made sparse: a small FlatBuffer at the start and a buffer's bytes far beyond 2^31, so they
 * take a few kilobytes on disk. Skipped where the file system refuses such a file.
 */
class LargeFileTest {

  /** Writes {@code head} at 0 and {@code tail} at {@code at}; skips the test if the file system refuses. */
  static Path sparseFile(Path dir, byte[] head, long at, byte[] tail) throws IOException {
    Assumptions.assumeTrue(Files.getFileStore(dir).getUsableSpace() > (1L << 30),
        "less than 1 GB free: a file system without sparse files could fill up");
    Path p = dir.resolve("big.tflite");
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.write(head);
      f.seek(at);
      f.write(tail);
    } catch (IOException e) {
      Files.deleteIfExists(p);
      Assumptions.abort("the file system refused a sparse file of " + (at + tail.length) + " bytes: " + e);
    }
    return p;
  }

  @ParameterizedTest(name = "buffer at {0}")
  @ValueSource(longs = {2_200_000_000L, Integer.MAX_VALUE - 32L, (4L << 30) + 5})
  void bufferStoredBeyond2GigabytesReadsBack(long offset, @TempDir Path dir) throws IOException {
    byte[] data = new byte[64];
    new Random(offset).nextBytes(data);
    EditableModel m = new EditableModel();
    EditableModel.Subgraph sg = m.addSubgraph("main");
    EditableModel.Tensor t = sg.add(new EditableModel.Tensor("far", TensorType.FLOAT32, 16));
    t.buffer = m.addBuffer(ByteBuffer.wrap(data));
    sg.outputs.add(t);
    byte[] inline = ModelWriter.toBytes(m);
    byte[] ext = TestModels.externalize(inline);

    FlatNav nav = new FlatNav(ext);
    int field = nav.present(nav.buffer(1), "Buffer", "offset");
    long near = nav.getLong(field);
    assertEquals(ext.length, near + data.length, "the buffer is the last thing in the file");
    assertEquals(data.length, nav.getLong(nav.present(nav.buffer(1), "Buffer", "size")));
    nav.putLong(field, offset);
    byte[] head = Arrays.copyOf(ext, (int) near);

    Path p = sparseFile(dir, head, offset, data);
    try {
      assertEquals(offset + data.length, Files.size(p));
      Model model = Model.load(p);
      assertEquals(offset + data.length, model.fileSize());
      Model.Buffer b = model.buffers().get(1);
      assertTrue(b.external());
      assertArrayEquals(data, TestModels.bytes(b.data()));
      assertArrayEquals(data, TestModels.bytes(model.mainSubgraph().tensor(0).dataView()));
      assertEquals(ByteOrder.LITTLE_ENDIAN, model.mainSubgraph().tensor(0).dataView().order());
      assertEquals(List.of(), ModelDiff.differences(Model.from(inline), model));
      TestModels.assertContent(m, model);
    } finally {
      Files.deleteIfExists(p);
    }
  }

  @Test
  void bufferBeyondTheEndOfA2GigabyteFileIsRefused(@TempDir Path dir) throws IOException {
    EditableModel m = TestModels.floatNet(1);
    byte[] ext = TestModels.externalize(ModelWriter.toBytes(m));
    FlatNav nav = new FlatNav(ext);
    int field = nav.present(nav.buffer(1), "Buffer", "offset");
    long size = nav.getLong(nav.present(nav.buffer(1), "Buffer", "size"));
    long end = 2_300_000_000L;
    nav.putLong(field, end - size + 1);
    Path p = sparseFile(dir, ext, end - 1, new byte[1]);
    try {
      ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(ModelFormatException.class, () -> Model.load(p));
      assertTrue(e.getMessage().contains("buffer 1") && e.getMessage().contains("beyond the end of the file (" + end + " bytes)"),
          e.getMessage());
    } finally {
      Files.deleteIfExists(p);
    }
  }

  @Test
  void hugeZipCentralDirectoryIsIgnoredWithAWarning(@TempDir Path dir) throws IOException {
    byte[] model = ModelWriter.toBytes(TestModels.floatNet(2));
    ByteBuffer eocd = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
    eocd.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1)
        .putInt(0x90000000).putInt(0).putShort((short) 0); // central directory of 2.4 GB at offset 0
    long size = 2_600_000_000L;
    Path p = sparseFile(dir, model, size - 22, eocd.array());
    try {
      Model m = Model.load(p);
      assertTrue(m.associatedFiles().isEmpty());
      assertTrue(m.warnings().stream().anyMatch(w -> w.startsWith("zip tail")), m.warnings().toString());
    } catch (ModelFormatException e) {
      // refusing the file would do too
    } catch (RuntimeException e) {
      fail("Model.load threw " + e, e);
    } finally {
      Files.deleteIfExists(p);
    }
  }
}
