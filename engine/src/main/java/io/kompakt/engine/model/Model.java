package io.kompakt.engine.model;

import io.kompakt.schema.metadata.MetadataLayout;
import io.kompakt.schema.tflite.TfliteLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A TFLite model, verified and read-only. {@link #load(Path)} memory-maps the file; constant tensor data are
 * views into it, never copies, so many interpreters may share one model. Everything the file says is checked
 * before it is read: a malformed, truncated or hostile file gives a {@link ModelFormatException} naming what
 * is wrong and where.
 *
 * <p>Files over 2 GB are supported where, as the schema allows, their buffers are stored by offset and size
 * after the FlatBuffer (which itself is below 2 GB).
 */
public final class Model {
  /** The schema version this reader follows. */
  public static final int SCHEMA_VERSION = 3;
  /** Name of the metadata entry holding TFLite Metadata (a FlatBuffer with identifier "M001"). */
  public static final String TFLITE_METADATA = "TFLITE_METADATA";

  /**
   * A buffer of the model.
   *
   * @param data its bytes (read-only view), or null if empty
   * @param external whether the file stores it by offset and size outside the FlatBuffer
   */
  public record Buffer(int index, ByteBuffer data, boolean external) {
    public long size() { return data == null ? 0 : data.remaining(); }
  }

  /** A named metadata entry pointing at a buffer. */
  public record Metadata(String name, int buffer, ByteBuffer data) {}

  final String source;
  final long fileSize;
  final ByteBuffer flatbuffer;
  int version;
  String description;
  List<OpCode> opCodes;
  List<Subgraph> subgraphs;
  List<Buffer> buffers;
  List<Metadata> metadata;
  List<SignatureDef> signatures;
  int[] metadataBufferIndices;
  Map<String, byte[]> associatedFiles;
  FlatTable tfliteMetadata;
  final List<String> warnings = new ArrayList<>();

  Model(String source, long fileSize, ByteBuffer flatbuffer) {
    this.source = source;
    this.fileSize = fileSize;
    this.flatbuffer = flatbuffer;
  }

  /**
   * Memory-maps and verifies a model file.
   *
   * @throws NoSuchFileException if there is no such file
   * @throws ModelFormatException if the file is not a valid TFLite model
   */
  public static Model load(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) throw new ModelFormatException("model '" + path + "': file is " + size + " bytes, too short to be a TFLite model");
      MappedByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
      ModelReader.Ranges ranges = (offset, length) -> {
        if (offset + length <= head.capacity()) return slice(head, offset, length);
        return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
      };
      return new ModelReader(path.toString(), size, head, ranges).read();
    }
  }

  /** Verifies a model held in memory (positions 0 to limit of {@code bytes}; its position is ignored). */
  public static Model from(ByteBuffer bytes) {
    ByteBuffer whole = bytes.duplicate();
    whole.clear();
    whole = whole.slice();
    ByteBuffer base = whole;
    try {
      return new ModelReader("<memory>", base.limit(), base, (offset, length) -> slice(base, offset, length)).read();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory model could not be read", e);
    }
  }

  /** Verifies a model held in a byte array. */
  public static Model from(byte[] bytes) { return from(ByteBuffer.wrap(bytes)); }

  static ByteBuffer slice(ByteBuffer base, long offset, long length) {
    ByteBuffer d = base.duplicate();
    d.limit((int) (offset + length));
    d.position((int) offset);
    return d.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Where the model came from: its path, or {@code <memory>}. */
  public String source() { return source; }

  /** Size of the file (or byte array) in bytes. */
  public long fileSize() { return fileSize; }

  /** The schema version the file declares (3 for every current TFLite file). */
  public int version() { return version; }

  public String description() { return description; }

  public List<OpCode> opCodes() { return opCodes; }

  public List<Subgraph> subgraphs() { return subgraphs; }

  /** The first subgraph: the one TFLite runs. */
  public Subgraph mainSubgraph() {
    if (subgraphs.isEmpty()) throw new ModelFormatException("model '" + source + "' has no subgraph");
    return subgraphs.get(0);
  }

  public List<Buffer> buffers() { return buffers; }

  public List<Metadata> metadata() { return metadata; }

  public List<SignatureDef> signatures() { return signatures; }

  /** The deprecated {@code metadata_buffer} list of buffer indices. */
  public int[] metadataBufferIndices() { return metadataBufferIndices.clone(); }

  /** Files packed in the model's zip tail (label files of TFLite Metadata), name to bytes, in archive order. */
  public Map<String, byte[]> associatedFiles() { return associatedFiles; }

  /** The TFLite Metadata (ModelMetadata table), or null if the model has none. */
  public FlatTable tfliteMetadata() { return tfliteMetadata; }

  /** Things the reader accepted but that a user should know (e.g. an out-of-range quantized_dimension). */
  public List<String> warnings() { return Collections.unmodifiableList(warnings); }

  /** The verified FlatBuffer bytes (read-only). */
  public ByteBuffer flatbuffer() { return flatbuffer.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN); }

  /** The label file named by the metadata of an output tensor, or the first associated file whose name says labels. */
  public List<String> labels() {
    String name = null;
    if (tfliteMetadata != null) name = MetadataView.firstLabelFile(tfliteMetadata);
    if (name == null) {
      for (String n : associatedFiles.keySet()) if (n.toLowerCase(java.util.Locale.ROOT).contains("label")) { name = n; break; }
    }
    byte[] b = name == null ? null : associatedFiles.get(name);
    if (b == null) return List.of();
    List<String> lines = new ArrayList<>();
    for (String l : new String(b, java.nio.charset.StandardCharsets.UTF_8).split("\r?\n")) lines.add(l);
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
    return lines;
  }

  static final io.kompakt.schema.SchemaLayout LAYOUT = TfliteLayout.LAYOUT;
  static final io.kompakt.schema.SchemaLayout METADATA_LAYOUT = MetadataLayout.LAYOUT;

  @Override
  public String toString() { return "Model(" + source + ")"; }
}
