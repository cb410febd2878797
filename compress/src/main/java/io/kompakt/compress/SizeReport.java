package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * Sizes of a model: the file as written ({@code raw}), that file gzipped (java.util.zip at its default level, what
 * a download or an app bundle would see), and the file with its pruned weights stored sparse
 * ({@link SparseEncoder}; equal to raw when nothing is sparse enough to gain).
 */
public record SizeReport(long raw, long gzip, long sparse) {

  /** The sizes of {@code m} (left unchanged). */
  public static SizeReport of(EditableModel m) {
    byte[] raw = ModelWriter.toBytes(m);
    EditableModel copy = EditableModel.from(Model.from(raw));
    SparseEncoder.encode(copy, new SparseEncoder.Options());
    return new SizeReport(raw.length, gzipSize(raw), ModelWriter.toBytes(copy).length);
  }

  /** Bytes of {@code data} gzipped at the default level. */
  public static long gzipSize(byte[] data) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(data);
      }
      return out.size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() { return String.format("raw %,d B, gzip %,d B, sparse %,d B", raw, gzip, sparse); }
}
