package io.kompakt.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * IDX files, the format of MNIST and Fashion-MNIST ({@code train-images-idx3-ubyte[.gz]} etc.): a magic number
 * {@code 0x00 0x00 type rank}, {@code rank} big-endian int32 dimensions, then the data row-major. Only unsigned
 * bytes (type 0x08), which is what both data sets use. Gzipped files are read directly.
 */
public final class Idx {
  /** Where Debian's {@code dataset-fashion-mnist} package installs Fashion-MNIST. */
  public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** An IDX array of unsigned bytes: its dimensions and data, row-major. */
  public record Array(int[] shape, byte[] data) {
    /** The count along dimension 0 (images or labels). */
    public int count() {
      return shape[0];
    }

    /** Elements per item (e.g. 784 for 28x28 images; 1 for labels). */
    public int itemSize() {
      int n = 1;
      for (int i = 1; i < shape.length; i++) n *= shape[i];
      return n;
    }

    /** Element {@code j} of item {@code i} as 0..255. */
    public int get(int i, int j) {
      return Byte.toUnsignedInt(data[i * itemSize() + j]);
    }

    @Override
    public String toString() {
      return "IDX uint8 " + Arrays.toString(shape);
    }
  }

  /** A labelled image set: images [n][h][w] (uint8) and one label per image. */
  public record LabelledImages(Array images, Array labels) {
    public LabelledImages {
      if (labels.shape().length != 1) throw new IllegalArgumentException("labels must be 1-D, got " + labels);
      if (images.shape().length != 3) throw new IllegalArgumentException("images must be [n][h][w], got " + images);
      if (images.count() != labels.count()) {
        throw new IllegalArgumentException(images.count() + " images but " + labels.count() + " labels");
      }
    }

    public int size() {
      return labels.count();
    }

    public int label(int i) {
      return labels.get(i, 0);
    }

    public int height() {
      return images.shape()[1];
    }

    public int width() {
      return images.shape()[2];
    }
  }

  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private Idx() {}

  /** Reads one IDX file (plain or gzipped). */
  public static Array read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such IDX file");
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      int b0 = raw.read(), b1 = raw.read();
      raw.reset();
      InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw, 1 << 16) : raw;
      return read(in, file.toString());
    }
  }

  /** Reads an IDX array from a stream; {@code name} is used in error messages. */
  public static Array read(InputStream stream, String name) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    try {
      int magic = in.readInt();
      int type = (magic >>> 8) & 0xff, rank = magic & 0xff;
      if ((magic >>> 16) != 0) throw new IOException(name + ": not an IDX file (magic 0x" + Integer.toHexString(magic) + ")");
      if (type != 0x08) throw new IOException(name + ": IDX element type 0x" + Integer.toHexString(type) + " is not supported (only unsigned byte, 0x08)");
      if (rank < 1 || rank > 4) throw new IOException(name + ": IDX rank " + rank + " is not supported (1 to 4)");
      int[] shape = new int[rank];
      long n = 1;
      for (int i = 0; i < rank; i++) {
        shape[i] = in.readInt();
        if (shape[i] < 0) throw new IOException(name + ": negative dimension " + shape[i]);
        n *= shape[i];
        if (n > MAX_ELEMENTS) throw new IOException(name + ": " + Arrays.toString(shape) + " is too large");
      }
      byte[] data = new byte[(int) n];
      in.readFully(data);
      if (in.read() != -1) throw new IOException(name + ": trailing bytes after " + n + " elements");
      return new Array(shape, data);
    } catch (EOFException e) {
      throw new IOException(name + ": truncated IDX file", e);
    }
  }

  /** Writes an uncompressed IDX array (for tests and generated data sets). */
  public static byte[] encode(int[] shape, byte[] data) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * shape.length + data.length);
    b.putInt(0x0800 | shape.length);
    for (int d : shape) b.putInt(d);
    b.put(data);
    return b.array();
  }

  /**
   * Fashion-MNIST (or MNIST) from a folder holding {@code <split>-images-idx3-ubyte[.gz]} and
   * {@code <split>-labels-idx1-ubyte[.gz]}, split "train" or "t10k".
   */
  public static LabelledImages load(Path dir, String split) throws IOException {
    return new LabelledImages(read(find(dir, split + "-images-idx3-ubyte")), read(find(dir, split + "-labels-idx1-ubyte")));
  }

  /** Whether {@code dir} holds the images and labels of {@code split} (plain or gzipped). */
  public static boolean hasSplit(Path dir, String split) {
    for (String kind : new String[] {"-images-idx3-ubyte", "-labels-idx1-ubyte"}) {
      String base = split + kind;
      if (!Files.isRegularFile(dir.resolve(base)) && !Files.isRegularFile(dir.resolve(base + ".gz"))) return false;
    }
    return true;
  }

  private static Path find(Path dir, String base) throws IOException {
    for (String name : new String[] {base, base + ".gz"}) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) return p;
    }
    throw new NoSuchFileException(dir.resolve(base) + "[.gz]", null,
        "not found (Fashion-MNIST: apt-get install dataset-fashion-mnist puts it in " + DEBIAN_FASHION_MNIST + ")");
  }
}
