package io.kompakt.schema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of a FlatBuffers schema: its enums, unions and tables with each field's id, type and default.
 * Made from the generated layout text (see {@code tools/FbsLayoutGen.java}); read by the verifier, which checks
 * every field of a file against its declared type, and by the generic table reader and writer.
 */
public final class SchemaLayout {

  /** How a field's value is stored. */
  public enum Kind {
    BOOL(1), BYTE(1), UBYTE(1), SHORT(2), USHORT(2), INT(4), UINT(4), LONG(8), ULONG(8), FLOAT(4), DOUBLE(8),
    /** An offset to a string. */
    STRING(4),
    /** An offset to a table. */
    TABLE(4),
    /** An offset to a table whose type is given by the preceding union type field. */
    UNION(4);

    /** Bytes the value takes inline (offsets take 4). */
    public final int size;

    Kind(int size) { this.size = size; }

    /** Whether the value is a scalar stored inline. */
    public boolean isScalar() { return ordinal() <= DOUBLE.ordinal(); }

    static Kind ofScalar(String name) {
      switch (name) {
        case "bool": return BOOL; case "byte": return BYTE; case "ubyte": return UBYTE;
        case "short": return SHORT; case "ushort": return USHORT; case "int": return INT; case "uint": return UINT;
        case "long": return LONG; case "ulong": return ULONG; case "float": return FLOAT; case "double": return DOUBLE;
        default: return null;
      }
    }
  }

  /**
   * A field's type.
   *
   * @param kind how one element is stored
   * @param vector whether the field is a vector of such elements
   * @param ref the enum, table or union named by the type, or null for plain scalars and strings
   * @param unionType whether this is the hidden {@code _type} field of a union
   */
  public record Type(Kind kind, boolean vector, String ref, boolean unionType) {
    /** Whether the type names an enum (kind is then its underlying scalar). */
    public boolean isEnum() { return ref != null && kind.isScalar() && !unionType; }
  }

  /** One field of a table. */
  public record Field(String name, int id, Type type, String defaultValue, boolean deprecated) {
    /** Offset of this field's entry within a vtable. */
    public int vtableOffset() { return 4 + 2 * id; }

    /** The default as a whole number (bools as 0/1). */
    public long defaultLong() {
      String d = defaultValue;
      if (d.contains(".") || d.contains("e") || d.contains("E") || d.contains("inf") || d.contains("nan")) {
        return (long) Double.parseDouble(d);
      }
      return Long.decode(d);
    }

    /** The default as a real number. */
    public double defaultDouble() {
      switch (defaultValue) {
        case "inf": case "+inf": case "infinity": return Double.POSITIVE_INFINITY;
        case "-inf": case "-infinity": return Double.NEGATIVE_INFINITY;
        case "nan": return Double.NaN;
        default: return Double.parseDouble(defaultValue);
      }
    }
  }

  /** A table type. */
  public static final class Table {
    private final String name;
    private final List<Field> fields = new ArrayList<>();
    private final Map<String, Field> byName = new LinkedHashMap<>();

    Table(String name) { this.name = name; }

    public String name() { return name; }

    /** Fields in id order. */
    public List<Field> fields() { return Collections.unmodifiableList(fields); }

    /** The field of that schema name, or null. */
    public Field field(String fieldName) { return byName.get(fieldName); }

    /** The largest field id plus one: the number of vtable slots a full table has. */
    public int slotCount() { return fields.isEmpty() ? 0 : fields.get(fields.size() - 1).id() + 1; }

    @Override public String toString() { return "table " + name; }
  }

  /** An enum type with its named values. */
  public record EnumType(String name, Kind base, Map<Long, String> names) {
    /** The value's name, or its number where the schema names none. */
    public String nameOf(long value) {
      String n = names.get(value);
      return n != null ? n : Long.toString(value);
    }
  }

  /** A union type: member index to table name (0 is NONE). */
  public record UnionType(String name, Map<Integer, String> members) {
    /** The table type of a member index, or null if the schema has none for it. */
    public String member(int index) { return members.get(index); }

    /** The member index of a table name, or -1. */
    public int indexOf(String table) {
      for (Map.Entry<Integer, String> e : members.entrySet()) if (e.getValue().equals(table)) return e.getKey();
      return -1;
    }
  }

  private final String rootType;
  private final String fileIdentifier;
  private final Map<String, Table> tables = new LinkedHashMap<>();
  private final Map<String, EnumType> enums = new LinkedHashMap<>();
  private final Map<String, UnionType> unions = new LinkedHashMap<>();

  private SchemaLayout(String rootType, String fileIdentifier) {
    this.rootType = rootType;
    this.fileIdentifier = fileIdentifier;
  }

  public String rootType() { return rootType; }

  /** The 4-character file identifier, or null. */
  public String fileIdentifier() { return fileIdentifier; }

  /** The table of that name; throws if the schema has none. */
  public Table table(String name) {
    Table t = tables.get(name);
    if (t == null) throw new IllegalArgumentException("schema has no table " + name);
    return t;
  }

  public boolean hasTable(String name) { return tables.containsKey(name); }

  public EnumType enumType(String name) {
    EnumType e = enums.get(name);
    if (e == null) throw new IllegalArgumentException("schema has no enum " + name);
    return e;
  }

  public UnionType union(String name) {
    UnionType u = unions.get(name);
    if (u == null) throw new IllegalArgumentException("schema has no union " + name);
    return u;
  }

  public Map<String, Table> tables() { return Collections.unmodifiableMap(tables); }

  /** Parses the generated layout text. */
  public static SchemaLayout parse(String text) {
    SchemaLayout layout = null;
    Table current = null;
    for (String line : text.split("\n")) {
      String[] w = line.trim().split(" ");
      switch (w[0]) {
        case "schema":
          layout = new SchemaLayout(w[1], "-".equals(w[2]) ? null : w[2]);
          break;
        case "enum": {
          Map<Long, String> names = new LinkedHashMap<>();
          for (int i = 3; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            names.put(Long.parseLong(w[i].substring(eq + 1)), w[i].substring(0, eq));
          }
          Kind base = Kind.ofScalar(normalize(w[2]));
          layout.enums.put(w[1], new EnumType(w[1], base, Collections.unmodifiableMap(names)));
          break;
        }
        case "union": {
          Map<Integer, String> members = new LinkedHashMap<>();
          for (int i = 2; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            members.put(Integer.parseInt(w[i].substring(eq + 1)), w[i].substring(0, eq));
          }
          layout.unions.put(w[1], new UnionType(w[1], Collections.unmodifiableMap(members)));
          break;
        }
        case "table":
          current = new Table(w[1]);
          layout.tables.put(w[1], current);
          break;
        case "field": {
          Field f = new Field(w[1], Integer.parseInt(w[2]), layout.parseType(w[3]), w[4],
              w.length > 5 && "deprecated".equals(w[5]));
          current.fields.add(f);
          current.byName.put(f.name(), f);
          break;
        }
        default:
          throw new IllegalArgumentException("bad layout line: " + line);
      }
    }
    return layout;
  }

  private static String normalize(String scalar) {
    switch (scalar) {
      case "int8": return "byte"; case "uint8": return "ubyte"; case "int16": return "short";
      case "uint16": return "ushort"; case "int32": return "int"; case "uint32": return "uint";
      case "int64": return "long"; case "uint64": return "ulong"; case "float32": return "float";
      case "float64": return "double"; default: return scalar;
    }
  }

  private Type parseType(String code) {
    boolean vector = code.startsWith("[");
    String c = vector ? code.substring(1) : code;
    char sigil = c.charAt(0);
    String name = c.substring(1);
    switch (sigil) {
      case '@': return new Type(enums.get(name).base(), vector, name, false);
      case '#': return new Type(Kind.TABLE, vector, name, false);
      case '|': return new Type(Kind.UNION, vector, name, false);
      case '^': return new Type(Kind.UBYTE, vector, name, true);
      default:
        if (c.equals("string")) return new Type(Kind.STRING, vector, null, false);
        Kind k = Kind.ofScalar(normalize(c));
        if (k == null) throw new IllegalArgumentException("unknown type " + code);
        return new Type(k, vector, null, false);
    }
  }
}
