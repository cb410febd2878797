package io.kompakt.engine.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The zip archive that TFLite Metadata appends to a model file (label files and other associated files).
 * The FlatBuffer ignores trailing bytes; this finds the archive from its end record and reads its entries.
 * A damaged archive is reported as a warning, never an error: the model itself is still valid.
 */
public final class ZipTail {
  private static final int EOCD = 0x06054b50, CEN = 0x02014b50, LOC = 0x04034b50;
  /** Most bytes of associated files read from one model. */
  static final long MAX_TOTAL = 256L << 20;

  private ZipTail() {}

  static Map<String, byte[]> read(long fileSize, ModelReader.Ranges ranges, List<String> warnings) throws IOException {
    int tailLen = (int) Math.min(fileSize, 22 + 65535);
    ByteBuffer tail = ranges.read(fileSize - tailLen, tailLen).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = -1;
    for (int p = tailLen - 22; p >= 0; p--) {
      if (tail.getInt(p) == EOCD && p + 22 + Short.toUnsignedInt(tail.getShort(p + 20)) == tailLen) { eocd = p; break; }
    }
    if (eocd < 0) return Collections.emptyMap();
    long eocdPos = fileSize - tailLen + eocd;
    long cdSize = Integer.toUnsignedLong(tail.getInt(eocd + 12));
    long cdOffset = Integer.toUnsignedLong(tail.getInt(eocd + 16));
    long base = eocdPos - cdSize - cdOffset; // where the archive's offsets count from (0 if absolute)
    if (cdSize > MAX_TOTAL) {
      warnings.add("zip tail: central directory of " + cdSize + " bytes is implausibly large; associated files ignored");
      return Collections.emptyMap();
    }
    if (base < 0 || cdSize > eocdPos) {
      warnings.add("zip tail: central directory lies outside the file; associated files ignored");
      return Collections.emptyMap();
    }
    ByteBuffer cd = ranges.read(eocdPos - cdSize, cdSize).order(ByteOrder.LITTLE_ENDIAN);
    long first = cdOffset;
    for (int p = 0; p + 46 <= cdSize; ) {
      if (cd.getInt(p) != CEN) break;
      first = Math.min(first, Integer.toUnsignedLong(cd.getInt(p + 42)));
      p += 46 + Short.toUnsignedInt(cd.getShort(p + 28)) + Short.toUnsignedInt(cd.getShort(p + 30))
          + Short.toUnsignedInt(cd.getShort(p + 32));
    }
    long start = base + first;
    if (start < 0 || start > eocdPos) {
      warnings.add("zip tail: entries lie outside the file; associated files ignored");
      return Collections.emptyMap();
    }
    long len = fileSize - start;
    if (len > MAX_TOTAL) {
      warnings.add("zip tail of " + len + " bytes is over " + (MAX_TOTAL >> 20) + " MB; associated files ignored");
      return Collections.emptyMap();
    }
    ByteBuffer zip = ranges.read(start, len);
    byte[] bytes = new byte[(int) len];
    zip.duplicate().get(bytes);
    if (len >= 4 && ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(0) != LOC && cdSize > 0) {
      warnings.add("zip tail: no local header where the archive should start; associated files ignored");
      return Collections.emptyMap();
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    long total = 0;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isDirectory()) continue;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
          total += n;
          if (total > MAX_TOTAL) {
            warnings.add("zip tail: associated files exceed " + (MAX_TOTAL >> 20) + " MB; the rest are ignored");
            return Collections.unmodifiableMap(files);
          }
          out.write(buf, 0, n);
        }
        files.put(e.getName(), out.toByteArray());
      }
    } catch (IOException | IllegalArgumentException e) {
      warnings.add("zip tail is damaged (" + e.getMessage() + "); associated files read so far: " + files.keySet());
    }
    return Collections.unmodifiableMap(files);
  }

  /** A zip archive of the files, deterministic (fixed timestamps), stored uncompressed as TFLite Metadata does. */
  public static byte[] write(Map<String, byte[]> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        ZipEntry e = new ZipEntry(f.getKey());
        e.setTime(315532800000L + 86400000L); // 1980-01-02: a fixed, valid DOS time
        e.setMethod(ZipEntry.STORED);
        e.setSize(f.getValue().length);
        e.setCompressedSize(f.getValue().length);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(f.getValue());
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(f.getValue());
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

}
