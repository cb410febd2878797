package io.kompakt.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
  @TempDir Path dir;

  static void png(Path file, int w, int h, int rgb) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb + x);
    ImageIO.write(img, "png", file.toFile());
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(o)) {
      g.write(b);
    }
    return o.toByteArray();
  }

  @Test
  void idxFolderGivesGrayImagesLabelsAndFashionNames() throws IOException {
    Path f = dir.resolve("fashion-mnist");
    Files.createDirectories(f);
    byte[] px = new byte[3 * 2 * 2];
    for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 20);
    Files.write(f.resolve("t10k-images-idx3-ubyte.gz"), gzip(Idx.encode(new int[] {3, 2, 2}, px)));
    Files.write(f.resolve("t10k-labels-idx1-ubyte"), Idx.encode(new int[] {3}, new byte[] {9, 0, 4}));
    Dataset d = Dataset.open(f, "t10k", 0);
    assertEquals(3, d.size());
    assertTrue(d.labelled());
    assertEquals(Dataset.FASHION_MNIST_CLASSES, d.classes());
    assertEquals(9, d.label(0));
    assertEquals("Coat", d.className(d.label(2)));
    RgbImage img = d.image(1);
    assertEquals(2, img.width());
    for (int p = 0; p < 4; p++) for (int c = 0; c < 3; c++) assertEquals((4 + p) * 20, img.at(p % 2, p / 2, c));
    Dataset first = Dataset.open(f, "t10k", 2);
    assertEquals(2, first.size());
    assertThrows(IndexOutOfBoundsException.class, () -> first.label(2));
    // the train split is absent: the folder is then not an IDX set and holds no images
    IOException e = assertThrows(IOException.class, () -> Dataset.open(f, "train", 0));
    assertTrue(e.getMessage().contains("no IDX files, class folders or images"), e.getMessage());
  }

  @Test
  void idxFolderOfDigitsGetsDigitNames() throws IOException {
    Path f = dir.resolve("mnist");
    Files.createDirectories(f);
    Files.write(f.resolve("train-images-idx3-ubyte"), Idx.encode(new int[] {2, 1, 1}, new byte[] {1, 2}));
    Files.write(f.resolve("train-labels-idx1-ubyte"), Idx.encode(new int[] {2}, new byte[] {7, 3}));
    Dataset d = Dataset.open(f, "train", 0);
    assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), d.classes());
  }

  @Test
  void classFoldersAreSortedClassesAndUnlabelledFoldersHaveNoLabels() throws IOException {
    png(dir.resolve("set/dog/b.png"), 3, 2, 0x102030);
    png(dir.resolve("set/dog/a.png"), 3, 2, 0x405060);
    png(dir.resolve("set/cat/x.png"), 3, 2, 0x708090);
    Files.writeString(dir.resolve("set/cat/notes.txt"), "not an image");
    Dataset d = Dataset.open(dir.resolve("set"), "t10k", 0);
    assertEquals(List.of("cat", "dog"), d.classes());
    assertEquals(3, d.size());
    assertEquals("x.png", d.id(0));
    assertEquals(0, d.label(0));
    assertEquals("a.png", d.id(1));
    assertEquals(1, d.label(2));
    assertEquals(0x40, d.image(1).at(0, 0, 0));
    assertEquals(0x60 + 2, d.image(1).at(2, 1, 2));

    png(dir.resolve("flat/one.png"), 2, 2, 0);
    png(dir.resolve("flat/two.png"), 2, 2, 0);
    Dataset u = Dataset.open(dir.resolve("flat"), "t10k", 0);
    assertEquals(2, u.size());
    assertFalse(u.labelled());
    assertEquals(-1, u.label(1));
    assertTrue(u.classes().isEmpty());
  }

  @Test
  void csvWithHeaderQuotesNamesOrIndices() throws IOException {
    png(dir.resolve("img/a, b.png"), 2, 2, 0x010203);
    png(dir.resolve("img/c.png"), 2, 2, 0x040506);
    Files.writeString(dir.resolve("names.csv"), "path,label\n\"img/a, b.png\",zebra\nimg/c.png,ant\n# comment\n\n");
    Dataset d = Dataset.open(dir.resolve("names.csv"), "t10k", 0);
    assertEquals(List.of("ant", "zebra"), d.classes());
    assertEquals(1, d.label(0));
    assertEquals(0, d.label(1));
    assertEquals("a, b.png", d.id(0));
    Files.writeString(dir.resolve("idx.csv"), "img/c.png,2\nimg/c.png,0\n");
    Dataset n = Dataset.open(dir.resolve("idx.csv"), "t10k", 0);
    assertEquals(List.of("0", "1", "2"), n.classes());
    assertEquals(2, n.label(0));
  }

  @Test
  void badDataSetsNameWhatIsWrong() throws IOException {
    png(dir.resolve("img/c.png"), 2, 2, 0);
    Files.writeString(dir.resolve("missing.csv"), "img/c.png,1\nimg/nope.png,2\n");
    NoSuchFileException nf = assertThrows(NoSuchFileException.class, () -> Dataset.open(dir.resolve("missing.csv"), "t10k", 0));
    assertTrue(nf.getMessage().contains("nope.png") && nf.getMessage().contains("line 2"), nf.getMessage());
    Files.writeString(dir.resolve("three.csv"), "img/c.png,1,extra\n");
    IOException three = assertThrows(IOException.class, () -> Dataset.open(dir.resolve("three.csv"), "t10k", 0));
    assertTrue(three.getMessage().contains("line 1") && three.getMessage().contains("path,label"), three.getMessage());
    Files.writeString(dir.resolve("quote.csv"), "\"img/c.png,1\n");
    assertTrue(assertThrows(IOException.class, () -> Dataset.open(dir.resolve("quote.csv"), "t10k", 0)).getMessage().contains("unclosed quote"));
    Files.writeString(dir.resolve("empty.csv"), "path,label\n");
    assertTrue(assertThrows(IOException.class, () -> Dataset.open(dir.resolve("empty.csv"), "t10k", 0)).getMessage().contains("no images"));
    Files.createDirectories(dir.resolve("nothing"));
    assertThrows(IOException.class, () -> Dataset.open(dir.resolve("nothing"), "t10k", 0));
    assertThrows(NoSuchFileException.class, () -> Dataset.open(dir.resolve("absent"), "t10k", 0));
    Files.writeString(dir.resolve("model.tflite"), "x");
    assertTrue(assertThrows(IOException.class, () -> Dataset.open(dir.resolve("model.tflite"), "t10k", 0)).getMessage().contains("folder"));
  }
}
