package io.kompakt.engine.model;

import com.google.flatbuffers.FlatBufferBuilder;
import io.kompakt.schema.SchemaLayout;
import io.kompakt.schema.SchemaLayout.Field;
import io.kompakt.schema.SchemaLayout.Kind;
import io.kompakt.schema.tflite.TfliteLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A table of any schema type held as field values, read and written by the schema layout. Used for operator
 * options (all of TFLite's option tables, without a class per table) and for anything printed by field name.
 *
 * <p>Values: whole numbers, bools and enums as {@link Long}; floats as {@link Double}; strings as {@link String};
 * tables and union members as {@link FlatTable}; vectors as {@code byte[]} (byte, ubyte, bool), {@code long[]}
 * (other integers), {@code double[]} (floats), {@code List<String>} or {@code List<FlatTable>}.
 */
public final class FlatTable {
  private final SchemaLayout layout;
  private final SchemaLayout.Table type;
  private final Map<String, Object> values = new LinkedHashMap<>();

  /** An empty table of a TFLite schema type, e.g. {@code FlatTable.of("Conv2DOptions")}. */
  public static FlatTable of(String tableType) {
    return new FlatTable(TfliteLayout.LAYOUT, tableType);
  }

  public FlatTable(SchemaLayout layout, String tableType) {
    this.layout = layout;
    this.type = layout.table(tableType);
  }

  public String typeName() { return type.name(); }

  public SchemaLayout.Table type() { return type; }

  /**
   * Sets a field. Enum fields take the value's name too ({@code set("padding", "SAME")}).
   *
   * @throws IllegalArgumentException if the table has no such field or the value does not fit its type
   */
  public FlatTable set(String field, Object value) {
    Field f = field(field);
    values.put(field, coerce(f, value));
    return this;
  }

  /**
   * An independent copy: setting a field of the copy leaves this table as it is (vectors and nested tables are
   * copied too). An operator's options read from a file are shared with every editable copy of the model unless
   * copied.
   */
  public FlatTable copy() {
    FlatTable c = new FlatTable(layout, type.name());
    values.forEach((k, v) -> c.values.put(k, copyValue(v)));
    return c;
  }

  private static Object copyValue(Object v) {
    if (v instanceof FlatTable) return ((FlatTable) v).copy();
    if (v instanceof long[]) return ((long[]) v).clone();
    if (v instanceof double[]) return ((double[]) v).clone();
    if (v instanceof byte[]) return ((byte[]) v).clone();
    if (v instanceof List) {
      List<Object> l = new ArrayList<>();
      for (Object o : (List<?>) v) l.add(copyValue(o));
      return List.copyOf(l);
    }
    return v; // Long, Double, String: immutable
  }

  /** Whether the field was set (or present in the file). */
  public boolean has(String field) { return values.containsKey(field(field).name()); }

  /** The field's value, or its schema default (null for absent strings, tables and vectors). */
  public Object get(String field) {
    Field f = field(field);
    Object v = values.get(field);
    if (v != null) return v;
    SchemaLayout.Type t = f.type();
    if (t.vector() || !t.kind().isScalar()) return null;
    if (t.kind() == Kind.FLOAT || t.kind() == Kind.DOUBLE) return f.defaultDouble();
    return f.defaultLong();
  }

  public long getLong(String field) {
    Object v = get(field);
    if (!(v instanceof Number)) throw new IllegalArgumentException(type.name() + "." + field + " is not a number");
    return ((Number) v).longValue();
  }

  public int getInt(String field) { return (int) getLong(field); }

  public double getDouble(String field) {
    Object v = get(field);
    if (!(v instanceof Number)) throw new IllegalArgumentException(type.name() + "." + field + " is not a number");
    return ((Number) v).doubleValue();
  }

  public boolean getBool(String field) { return getLong(field) != 0; }

  /** An enum field's value by name (e.g. "SAME", "RELU6"). */
  public String getEnumName(String field) {
    Field f = field(field);
    if (!f.type().isEnum()) throw new IllegalArgumentException(type.name() + "." + field + " is not an enum");
    return layout.enumType(f.type().ref()).nameOf(getLong(field));
  }

  /** An integer vector field as int[] (empty if absent). */
  public int[] getInts(String field) {
    Object v = get(field);
    if (v == null) return new int[0];
    if (v instanceof long[]) return Arrays.stream((long[]) v).mapToInt(x -> (int) x).toArray();
    if (v instanceof byte[]) {
      byte[] b = (byte[]) v;
      int[] r = new int[b.length];
      for (int i = 0; i < b.length; i++) r[i] = b[i];
      return r;
    }
    throw new IllegalArgumentException(type.name() + "." + field + " is not an integer vector");
  }

  /** The fields that are set, in schema order. */
  public Map<String, Object> values() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Field f : type.fields()) if (values.containsKey(f.name())) m.put(f.name(), values.get(f.name()));
    return m;
  }

  private Field field(String name) {
    Field f = type.field(name);
    if (f == null) throw new IllegalArgumentException(type.name() + " has no field '" + name + "'; fields: " + fieldNames());
    return f;
  }

  private String fieldNames() {
    List<String> n = new ArrayList<>();
    for (Field f : type.fields()) if (!f.deprecated() && !f.type().unionType()) n.add(f.name());
    return String.join(", ", n);
  }

  private Object coerce(Field f, Object v) {
    SchemaLayout.Type t = f.type();
    String where = type.name() + "." + f.name();
    if (v == null) return null;
    if (t.vector()) {
      switch (t.kind()) {
        case BOOL: case BYTE: case UBYTE:
          if (v instanceof byte[]) return v;
          break;
        case FLOAT: case DOUBLE:
          if (v instanceof double[]) return v;
          if (v instanceof float[]) { float[] a = (float[]) v; double[] d = new double[a.length]; for (int i = 0; i < a.length; i++) d[i] = a[i]; return d; }
          break;
        case STRING: case TABLE:
          if (v instanceof List) return List.copyOf((List<?>) v);
          break;
        default:
          if (v instanceof long[]) return v;
          if (v instanceof int[]) return Arrays.stream((int[]) v).asLongStream().toArray();
      }
      throw new IllegalArgumentException(where + " is a vector of " + t.kind() + ", not " + v.getClass().getSimpleName());
    }
    switch (t.kind()) {
      case STRING:
        if (v instanceof String) return v;
        break;
      case TABLE: case UNION:
        if (v instanceof FlatTable) return v;
        break;
      case FLOAT: case DOUBLE:
        if (v instanceof Number) return ((Number) v).doubleValue();
        break;
      default:
        if (v instanceof Boolean) return ((Boolean) v) ? 1L : 0L;
        if (v instanceof String && t.isEnum()) {
          for (Map.Entry<Long, String> e : layout.enumType(t.ref()).names().entrySet()) {
            if (e.getValue().equals(v)) return e.getKey();
          }
          throw new IllegalArgumentException(where + ": " + t.ref() + " has no value " + v);
        }
        if (v instanceof Number) return ((Number) v).longValue();
    }
    throw new IllegalArgumentException(where + " is " + t.kind() + ", not " + v.getClass().getSimpleName());
  }

  // ---------------------------------------------------------------- reading

  /**
   * How many elements a reader may still copy out of a file. A FlatBuffer may share one vector or table among
   * many references; verification stays cheap, but copying each reference could turn a small file into
   * gigabytes. The reader draws every copy from a budget proportional to the file's size.
   */
  public static final class Budget {
    private long remaining;
    private final String what;

    public Budget(long elements, String what) {
      this.remaining = elements;
      this.what = what;
    }

    /** Takes {@code n} elements; throws a ModelFormatException once the budget is spent. */
    public void take(long n) {
      remaining -= n;
      if (remaining < 0) {
        throw new ModelFormatException(what + ": its tables and vectors, shared many times over, would need more memory than "
            + "the file's size justifies; refusing to read further");
      }
    }
  }

  /** Reads a table at absolute position {@code pos} of a buffer that {@link FlatVerifier} has checked. */
  public static FlatTable read(ByteBuffer buffer, int pos, SchemaLayout layout, String tableType) {
    return read(buffer, pos, layout, tableType, new Budget(Math.max(1L << 22, 2L * buffer.limit()), "buffer"));
  }

  /** As {@link #read(ByteBuffer, int, SchemaLayout, String)}, copying at most what {@code budget} allows. */
  public static FlatTable read(ByteBuffer buffer, int pos, SchemaLayout layout, String tableType, Budget budget) {
    ByteBuffer bb = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    FlatTable t = new FlatTable(layout, tableType);
    t.budget = budget;
    t.readFrom(bb, pos);
    t.budget = null;
    return t;
  }

  private Budget budget;

  private void readFrom(ByteBuffer bb, int pos) {
    budget.take(1);
    int vt = pos - bb.getInt(pos);
    int slots = (Short.toUnsignedInt(bb.getShort(vt)) - 4) / 2;
    List<Field> fields = type.fields();
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      if (f.id() >= slots) break;
      int fo = Short.toUnsignedInt(bb.getShort(vt + 4 + 2 * f.id()));
      if (fo == 0) continue;
      int at = pos + fo;
      SchemaLayout.Type t = f.type();
      if (t.unionType()) continue; // read with its value
      if (t.vector()) {
        values.put(f.name(), readVector(bb, at + bb.getInt(at), t));
      } else if (t.kind().isScalar()) {
        values.put(f.name(), readScalar(bb, at, t.kind()));
      } else if (t.kind() == Kind.STRING) {
        values.put(f.name(), readString(bb, at + bb.getInt(at)));
      } else if (t.kind() == Kind.TABLE) {
        FlatTable sub = new FlatTable(layout, t.ref());
        sub.budget = budget;
        sub.readFrom(bb, at + bb.getInt(at));
        sub.budget = null;
        values.put(f.name(), sub);
      } else if (t.kind() == Kind.UNION) {
        Field typeField = fields.get(i - 1);
        int tfo = typeField.id() < slots ? Short.toUnsignedInt(bb.getShort(vt + 4 + 2 * typeField.id())) : 0;
        int member = tfo == 0 ? 0 : Byte.toUnsignedInt(bb.get(pos + tfo));
        String table = member == 0 ? null : layout.union(t.ref()).member(member);
        if (table != null) {
          FlatTable sub = new FlatTable(layout, table);
          sub.budget = budget;
          sub.readFrom(bb, at + bb.getInt(at));
          sub.budget = null;
          values.put(f.name(), sub);
        }
      }
    }
  }

  private static Object readScalar(ByteBuffer bb, int at, Kind k) {
    switch (k) {
      case BOOL: return bb.get(at) != 0 ? 1L : 0L; // any non-zero byte is true, as C++ reads it
      case UBYTE: return (long) Byte.toUnsignedInt(bb.get(at));
      case BYTE: return (long) bb.get(at);
      case SHORT: return (long) bb.getShort(at);
      case USHORT: return (long) Short.toUnsignedInt(bb.getShort(at));
      case INT: return (long) bb.getInt(at);
      case UINT: return Integer.toUnsignedLong(bb.getInt(at));
      case LONG: case ULONG: return bb.getLong(at);
      case FLOAT: return (double) bb.getFloat(at);
      case DOUBLE: return bb.getDouble(at);
      default: throw new IllegalStateException(k.toString());
    }
  }

  private String readString(ByteBuffer bb, int pos) {
    int len = bb.getInt(pos);
    budget.take(len);
    byte[] b = new byte[len];
    bb.get(pos + 4, b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private Object readVector(ByteBuffer bb, int pos, SchemaLayout.Type t) {
    int len = bb.getInt(pos);
    budget.take(len);
    int base = pos + 4;
    Kind k = t.kind();
    switch (k) {
      case BOOL: case BYTE: case UBYTE: {
        byte[] b = new byte[len];
        bb.get(base, b);
        return b;
      }
      case FLOAT: case DOUBLE: {
        double[] d = new double[len];
        for (int i = 0; i < len; i++) d[i] = ((Number) readScalar(bb, base + i * k.size, k)).doubleValue();
        return d;
      }
      case STRING: {
        List<String> s = new ArrayList<>(len);
        for (int i = 0; i < len; i++) { int at = base + 4 * i; s.add(readString(bb, at + bb.getInt(at))); }
        return s;
      }
      case TABLE: {
        List<FlatTable> s = new ArrayList<>(len);
        for (int i = 0; i < len; i++) {
          int at = base + 4 * i;
          FlatTable sub = new FlatTable(layout, t.ref());
          sub.budget = budget;
          sub.readFrom(bb, at + bb.getInt(at));
          sub.budget = null;
          s.add(sub);
        }
        return s;
      }
      default: {
        long[] l = new long[len];
        for (int i = 0; i < len; i++) l[i] = ((Number) readScalar(bb, base + i * k.size, k)).longValue();
        return l;
      }
    }
  }

  // ---------------------------------------------------------------- writing

  /** Writes this table into a builder and returns its offset. */
  public int write(FlatBufferBuilder b) {
    List<Field> fields = type.fields();
    int[] offsets = new int[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      Object v = values.get(f.name());
      if (v == null) continue;
      SchemaLayout.Type t = f.type();
      if (t.vector()) offsets[i] = writeVector(b, t, v);
      else if (t.kind() == Kind.STRING) offsets[i] = b.createString((String) v);
      else if (t.kind() == Kind.TABLE || t.kind() == Kind.UNION) offsets[i] = ((FlatTable) v).write(b);
    }
    b.startTable(type.slotCount());
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      SchemaLayout.Type t = f.type();
      Object v = values.get(f.name());
      if (t.unionType()) {
        Object member = values.get(fields.get(i + 1).name());
        if (member != null) {
          int idx = layout.union(t.ref()).indexOf(((FlatTable) member).typeName());
          if (idx < 0) throw new IllegalArgumentException(t.ref() + " has no member " + ((FlatTable) member).typeName());
          b.addByte(f.id(), (byte) idx, 0);
        }
        continue;
      }
      if (v == null) continue;
      if (offsets[i] != 0) { b.addOffset(f.id(), offsets[i], 0); continue; }
      if (!t.kind().isScalar() || t.vector()) continue;
      switch (t.kind()) {
        case BOOL: b.addBoolean(f.id(), ((Long) v) != 0, f.defaultLong() != 0); break;
        case BYTE: case UBYTE: b.addByte(f.id(), (byte) (long) (Long) v, (int) f.defaultLong()); break;
        case SHORT: case USHORT: b.addShort(f.id(), (short) (long) (Long) v, (int) f.defaultLong()); break;
        case INT: case UINT: b.addInt(f.id(), (int) (long) (Long) v, (int) f.defaultLong()); break;
        case LONG: case ULONG: b.addLong(f.id(), (Long) v, f.defaultLong()); break;
        // a value equal to the default is omitted, unless only its bits differ (-0.0 vs 0.0): NaN forces the write
        case FLOAT: {
          float x = (float) (double) (Double) v;
          boolean sameBits = Float.floatToRawIntBits(x) == Float.floatToRawIntBits((float) f.defaultDouble());
          b.addFloat(f.id(), x, sameBits ? f.defaultDouble() : Double.NaN);
          break;
        }
        case DOUBLE: {
          double x = (Double) v;
          boolean sameBits = Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits(f.defaultDouble());
          b.addDouble(f.id(), x, sameBits ? f.defaultDouble() : Double.NaN);
          break;
        }
        default: throw new IllegalStateException(t.kind().toString());
      }
    }
    return b.endTable();
  }

  @SuppressWarnings("unchecked")
  private static int writeVector(FlatBufferBuilder b, SchemaLayout.Type t, Object v) {
    Kind k = t.kind();
    switch (k) {
      case BOOL: case BYTE: case UBYTE:
        return b.createByteVector((byte[]) v);
      case STRING: case TABLE: {
        List<?> list = (List<?>) v;
        int[] offs = new int[list.size()];
        for (int i = 0; i < offs.length; i++) {
          offs[i] = k == Kind.STRING ? b.createString((String) list.get(i)) : ((FlatTable) list.get(i)).write(b);
        }
        b.startVector(4, offs.length, 4);
        for (int i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
        return b.endVector();
      }
      case FLOAT: case DOUBLE: {
        double[] d = (double[]) v;
        b.startVector(k.size, d.length, k.size);
        for (int i = d.length - 1; i >= 0; i--) {
          if (k == Kind.FLOAT) b.addFloat((float) d[i]); else b.addDouble(d[i]);
        }
        return b.endVector();
      }
      default: {
        long[] l = (long[]) v;
        b.startVector(k.size, l.length, k.size);
        for (int i = l.length - 1; i >= 0; i--) {
          switch (k.size) {
            case 2: b.addShort((short) l[i]); break;
            case 4: b.addInt((int) l[i]); break;
            default: b.addLong(l[i]);
          }
        }
        return b.endVector();
      }
    }
  }

  // ---------------------------------------------------------------- equality and printing

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FlatTable)) return false;
    FlatTable other = (FlatTable) o;
    if (!type.name().equals(other.type.name())) return false;
    for (Field f : type.fields()) {
      if (f.type().unionType()) continue;
      if (!Objects.deepEquals(normalized(f), other.normalized(f))) return false;
    }
    return true;
  }

  /** A value for comparison: absent scalars compare as their defaults. */
  private Object normalized(Field f) {
    Object v = values.get(f.name());
    if (v == null && f.type().kind().isScalar() && !f.type().vector()) return get(f.name());
    return v;
  }

  @Override
  public int hashCode() { return type.name().hashCode(); }

  /** {@code Conv2DOptions{padding=SAME, stride_w=2, ...}}: every field that is set or has a default, enums by name. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(type.name()).append('{');
    boolean first = true;
    for (Field f : type.fields()) {
      if (f.deprecated() || f.type().unionType()) continue;
      Object v = get(f.name());
      if (v == null) continue;
      if (!first) sb.append(", ");
      first = false;
      sb.append(f.name()).append('=').append(format(f, v));
    }
    return sb.append('}').toString();
  }

  private String format(Field f, Object v) {
    SchemaLayout.Type t = f.type();
    if (t.isEnum() && !t.vector()) return layout.enumType(t.ref()).nameOf((Long) v);
    if (t.kind() == Kind.BOOL && !t.vector()) return ((Long) v) != 0 ? "true" : "false";
    if (v instanceof Double) {
      double d = (Double) v;
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) + ".0" : Double.toString(d);
    }
    if (v instanceof long[]) return Arrays.toString((long[]) v);
    if (v instanceof double[]) return Arrays.toString((double[]) v);
    if (v instanceof byte[]) return "<" + ((byte[]) v).length + " bytes>";
    if (v instanceof String) return "\"" + v + "\"";
    return String.valueOf(v);
  }
}
