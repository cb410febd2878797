package io.kompakt.engine.model;

/** TFLite tensor element types, with their schema code and size in bytes (0 where not fixed). */
public enum TensorType {
  FLOAT32(0, 4), FLOAT16(1, 2), INT32(2, 4), UINT8(3, 1), INT64(4, 8), STRING(5, 0), BOOL(6, 1), INT16(7, 2),
  COMPLEX64(8, 8), INT8(9, 1), FLOAT64(10, 8), COMPLEX128(11, 16), UINT64(12, 8), RESOURCE(13, 0), VARIANT(14, 0),
  UINT32(15, 4), UINT16(16, 2), INT4(17, 0), BFLOAT16(18, 2), INT2(19, 0), UINT4(20, 0), FLOAT8_E4M3FN(21, 1),
  FLOAT8_E5M2(22, 1);

  private static final TensorType[] BY_CODE = new TensorType[32];

  static {
    for (TensorType t : values()) BY_CODE[t.code] = t;
  }

  /** The value of the schema's TensorType enum. */
  public final int code;
  /** Bytes per element; 0 for strings, resources, variants and sub-byte types (see {@link #bytesFor}). */
  public final int size;

  TensorType(int code, int size) {
    this.code = code;
    this.size = size;
  }

  /** The type of a schema code, or null if the code is unknown. */
  public static TensorType ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** Whether the size of a tensor of this type follows from its shape. */
  public boolean hasFixedSize() { return size > 0 || this == INT4 || this == UINT4 || this == INT2; }

  /** Bytes that {@code elements} packed elements take (INT4, UINT4, INT2 are packed), or -1 if not fixed. */
  public long bytesFor(long elements) {
    if (this == INT4 || this == UINT4) return (elements + 1) / 2;
    if (this == INT2) return (elements + 3) / 4;
    return size > 0 ? elements * size : -1;
  }

  /** Lower-case name as TFLite tools print it (float32, int8, ...). */
  public String lowerName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
