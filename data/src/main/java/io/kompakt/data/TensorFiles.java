package io.kompakt.data;

import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Raw tensor files: {@code .bin} (the tensor's little-endian bytes, row-major, as the goldens store them) and
 * NumPy {@code .npy} (version 1-3, C order, dtype matching the tensor's type).
 */
public final class TensorFiles {
  private TensorFiles() {}

  /** Reads a .bin or .npy file into a tensor, checking the size (and for .npy the dtype and shape). */
  public static void read(Path file, RuntimeTensor t) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer data = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    if (file.toString().endsWith(".npy")) data = npyPayload(file, data, t);
    long need = t.type.bytesFor(t.size());
    if (data.remaining() != need) {
      throw new IllegalArgumentException(file + " holds " + data.remaining() + " bytes; input " + t + " needs " + need);
    }
    t.readFrom(data.slice().order(ByteOrder.LITTLE_ENDIAN));
  }

  /** The tensor's bytes, little-endian, as a .bin file holds them. */
  public static byte[] bytes(RuntimeTensor t) {
    ByteBuffer b = ByteBuffer.allocate((int) t.type.bytesFor(t.size())).order(ByteOrder.LITTLE_ENDIAN);
    t.writeTo(b);
    return b.array();
  }

  private static ByteBuffer npyPayload(Path file, ByteBuffer b, RuntimeTensor t) {
    if (b.remaining() < 10 || b.get(0) != (byte) 0x93 || b.get(1) != 'N' || b.get(2) != 'U') {
      throw new IllegalArgumentException(file + " is not a .npy file");
    }
    int major = b.get(6);
    int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
    int start = major == 1 ? 10 : 12;
    if (headerLen < 0 || start + headerLen > b.limit()) throw new IllegalArgumentException(file + ": .npy header is truncated");
    String header = new String(b.array(), start, headerLen, StandardCharsets.ISO_8859_1);
    String expected = npyDtype(t);
    if (!header.contains("'descr': '" + expected + "'") && !header.contains("'descr': '|" + expected.substring(1) + "'")) {
      throw new IllegalArgumentException(file + ": dtype in " + header.trim() + " does not match input " + t + " (" + expected + ")");
    }
    if (header.contains("'fortran_order': True")) throw new IllegalArgumentException(file + ": Fortran order is not supported");
    String shape = header.replaceAll(".*'shape': \\(([^)]*)\\).*", "$1").replace(" ", "").replace("\n", "");
    long n = 1;
    for (String d : shape.split(",")) if (!d.isEmpty()) n *= Long.parseLong(d);
    if (n != t.size()) throw new IllegalArgumentException(file + ": shape (" + shape + ") has " + n + " elements; input " + t + " has " + t.size() + " " + Arrays.toString(t.shape));
    b.position(start + headerLen);
    return b;
  }

  private static String npyDtype(RuntimeTensor t) {
    switch (t.type) {
      case FLOAT32: return "<f4";
      case INT8: return "|i1";
      case UINT8: return "|u1";
      case BOOL: return "|b1";
      case INT16: return "<i2";
      case INT32: return "<i4";
      case INT64: return "<i8";
      default: return "?";
    }
  }
}
