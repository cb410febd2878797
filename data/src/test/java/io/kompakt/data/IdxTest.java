package io.kompakt.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir Path dir;

  @Test
  void readsPlainAndGzippedFilesAndPairsImagesWithLabels() throws IOException {
    Random r = new Random(7);
    byte[] pixels = new byte[5 * 3 * 4];
    r.nextBytes(pixels);
    byte[] labels = {3, 0, 9, 1, 200 - 256};
    Files.write(dir.resolve("train-images-idx3-ubyte"), Idx.encode(new int[] {5, 3, 4}, pixels));
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(Idx.encode(new int[] {5}, labels));
    }
    Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), gz.toByteArray());

    Idx.LabelledImages set = Idx.load(dir, "train");
    assertEquals(5, set.size());
    assertEquals(3, set.height());
    assertEquals(4, set.width());
    assertEquals(200, set.label(4));
    assertEquals(Byte.toUnsignedInt(pixels[2 * 12 + 5]), set.images().get(2, 5));
  }

  @Test
  void rejectsBadFilesWithTheirName() throws IOException {
    Path p = dir.resolve("x.idx");
    Files.write(p, new byte[] {1, 2, 3, 4});
    assertTrue(assertThrows(IOException.class, () -> Idx.read(p)).getMessage().contains("x.idx"));
    Files.write(p, new byte[] {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0});
    assertTrue(assertThrows(IOException.class, () -> Idx.read(p)).getMessage().contains("not supported"));
    byte[] full = Idx.encode(new int[] {2, 2}, new byte[4]);
    Files.write(p, java.util.Arrays.copyOf(full, full.length - 1));
    assertTrue(assertThrows(IOException.class, () -> Idx.read(p)).getMessage().contains("truncated"));
    Files.write(p, Idx.encode(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[0]));
    assertTrue(assertThrows(IOException.class, () -> Idx.read(p)).getMessage().contains("too large"));
    assertThrows(IOException.class, () -> Idx.load(dir, "t10k"));
  }
}
