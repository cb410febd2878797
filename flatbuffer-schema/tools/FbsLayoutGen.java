import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a FlatBuffers schema (.fbs) and writes a Java class holding its layout in a compact text form:
 * every enum with its values, every union with its members, every table with each field's id, type,
 * default and deprecation. Kompakt's verifier and generic table copier read that layout, so every
 * offset of a file is checked by the schema's own field types.
 *
 * <pre>java FbsLayoutGen.java SCHEMA.fbs OUT_DIR PACKAGE CLASS</pre>
 * Run by regenerate.sh; the output is committed.
 */
public final class FbsLayoutGen {
  private final List<String> tokens = new ArrayList<>();
  private int pos;
  private final Map<String, String> enumUnderlying = new LinkedHashMap<>();
  private final Map<String, Map<String, Long>> enumValues = new LinkedHashMap<>();
  private final List<String> unions = new ArrayList<>();
  private final List<String> out = new ArrayList<>();
  private String root = "", identifier = "";

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      System.err.println("usage: java FbsLayoutGen.java SCHEMA.fbs OUT_DIR PACKAGE CLASS");
      System.exit(2);
    }
    String text = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    FbsLayoutGen g = new FbsLayoutGen();
    g.tokenize(text);
    g.parse();
    String java = g.render(args[2], args[3], Path.of(args[0]).getFileName().toString());
    Path dir = Path.of(args[1], args[2].replace('.', '/'));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(args[3] + ".java"), java, StandardCharsets.UTF_8);
  }

  private void tokenize(String s) {
    int i = 0, n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) { i++; continue; }
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') { while (i < n && s.charAt(i) != '\n') i++; continue; }
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') { i = s.indexOf("*/", i + 2); if (i < 0) throw new IllegalArgumentException("unclosed comment"); i += 2; continue; }
      if (c == '"') { int j = s.indexOf('"', i + 1); tokens.add(s.substring(i, j + 1)); i = j + 1; continue; }
      if (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.' || c == '+') {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(s.charAt(j)) || "_-.+".indexOf(s.charAt(j)) >= 0)) j++;
        tokens.add(s.substring(i, j)); i = j; continue;
      }
      tokens.add(String.valueOf(c)); i++;
    }
  }

  private String next() { return tokens.get(pos++); }
  private String peek() { return pos < tokens.size() ? tokens.get(pos) : ""; }
  private void expect(String t) { String got = next(); if (!got.equals(t)) throw new IllegalArgumentException("expected " + t + " got " + got + " at token " + pos); }

  private void parse() {
    while (pos < tokens.size()) {
      String t = next();
      switch (t) {
        case "namespace": case "include": case "attribute": case "file_extension":
          while (!next().equals(";")) { } break;
        case "file_identifier": identifier = unquote(next()); expect(";"); break;
        case "root_type": root = next(); expect(";"); break;
        case "enum": parseEnum(); break;
        case "union": parseUnion(); break;
        case "table": parseTable(); break;
        case "struct": throw new IllegalArgumentException("structs are not supported by this generator");
        default: throw new IllegalArgumentException("unexpected token " + t);
      }
    }
  }

  private static String unquote(String s) { return s.substring(1, s.length() - 1); }

  private void skipAttributes() {
    if (peek().equals("(")) { while (!next().equals(")")) { } }
  }

  private boolean attributesHave(String name) {
    boolean has = false;
    if (peek().equals("(")) { String tk; while (!(tk = next()).equals(")")) if (tk.equals(name)) has = true; }
    return has;
  }

  private void parseEnum() {
    String name = next(); expect(":"); String under = next();
    skipAttributes();
    expect("{");
    Map<String, Long> values = new LinkedHashMap<>();
    long v = 0;
    StringBuilder line = new StringBuilder("enum " + name + " " + under);
    while (!peek().equals("}")) {
      String member = next();
      if (peek().equals("=")) { next(); v = Long.decode(next()); }
      skipAttributes();
      values.put(member, v);
      line.append(' ').append(member).append('=').append(v);
      v++;
      if (peek().equals(",")) next();
    }
    expect("}");
    enumUnderlying.put(name, under);
    enumValues.put(name, values);
    out.add(line.toString());
  }

  private void parseUnion() {
    String name = next(); skipAttributes(); expect("{");
    StringBuilder line = new StringBuilder("union " + name);
    long v = 1;
    while (!peek().equals("}")) {
      String member = next();
      if (peek().equals(":")) { next(); member = next(); }
      if (peek().equals("=")) { next(); v = Long.decode(next()); }
      skipAttributes();
      line.append(' ').append(member).append('=').append(v);
      v++;
      if (peek().equals(",")) next();
    }
    expect("}");
    unions.add(name);
    out.add(line.toString());
  }

  private void parseTable() {
    String name = next(); skipAttributes(); expect("{");
    List<String[]> fields = new ArrayList<>();
    while (!peek().equals("}")) {
      String fname = next(); expect(":");
      boolean vector = false; String type;
      if (peek().equals("[")) { next(); type = next(); expect("]"); vector = true; } else type = next();
      String dflt = null;
      if (peek().equals("=")) { next(); dflt = next(); }
      boolean deprecated = attributesHave("deprecated");
      expect(";");
      fields.add(new String[] {fname, type, vector ? "v" : "", dflt, deprecated ? "deprecated" : ""});
    }
    expect("}");
    // field types are resolved once every enum and union is known: keep the table raw, render it later
    List<String> lines = new ArrayList<>();
    lines.add("table " + name);
    pendingRaw.add(new Object[] {lines, fields});
    out.add("\u0000" + (pendingRaw.size() - 1));
  }

  private final List<Object[]> pendingRaw = new ArrayList<>();

  private static final List<String> SCALARS = List.of("bool", "byte", "ubyte", "short", "ushort", "int", "uint",
      "long", "ulong", "float", "double", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
      "float32", "float64");

  private String typeCode(String t) {
    switch (t) {
      case "int8": return "byte"; case "uint8": return "ubyte"; case "int16": return "short"; case "uint16": return "ushort";
      case "int32": return "int"; case "uint32": return "uint"; case "int64": return "long"; case "uint64": return "ulong";
      case "float32": return "float"; case "float64": return "double";
      default: break;
    }
    if (SCALARS.contains(t) || t.equals("string")) return t;
    if (enumValues.containsKey(t)) return "@" + t;
    if (unions.contains(t)) return "|" + t;
    return "#" + t;
  }

  @SuppressWarnings("unchecked")
  private String renderTable(Object[] raw) {
    List<String> lines = (List<String>) raw[0];
    List<String[]> fields = (List<String[]>) raw[1];
    int id = 0;
    for (String[] f : fields) {
      String code = typeCode(f[1]);
      String dflt = f[3];
      if (code.startsWith("@") && dflt != null && !dflt.matches("[-+0-9.xX]+")) {
        Long v = enumValues.get(code.substring(1)).get(dflt);
        if (v == null) throw new IllegalArgumentException("unknown default " + dflt + " for " + f[0]);
        dflt = Long.toString(v);
      }
      if ("true".equals(dflt)) dflt = "1";
      if ("false".equals(dflt)) dflt = "0";
      if (dflt == null) dflt = "0";
      String dep = f[4].isEmpty() ? "" : " deprecated";
      if (code.startsWith("|")) {
        if (!f[2].isEmpty()) throw new IllegalArgumentException("vectors of unions are not supported: " + f[0]);
        lines.add("field " + f[0] + "_type " + id++ + " ^" + code.substring(1) + " 0" + dep);
        lines.add("field " + f[0] + " " + id++ + " " + code + " 0" + dep);
      } else {
        lines.add("field " + f[0] + " " + id++ + " " + (f[2].isEmpty() ? "" : "[") + code + " " + dflt + dep);
      }
    }
    return String.join("\n", lines);
  }

  private String render(String pkg, String cls, String source) {
    List<String> body = new ArrayList<>();
    body.add("schema " + root + " " + (identifier.isEmpty() ? "-" : identifier));
    // enums and unions first, so that a table's field types resolve in one pass
    for (String o : out) if (!o.startsWith("\u0000")) body.add(o);
    for (String o : out) if (o.startsWith("\u0000")) body.add(renderTable(pendingRaw.get(Integer.parseInt(o.substring(1)))));
    StringBuilder sb = new StringBuilder();
    sb.append("// Generated by flatbuffer-schema/tools/FbsLayoutGen.java from ").append(source).append(": do not edit.\n");
    sb.append("// Regenerate with flatbuffer-schema/regenerate.sh.\n");
    sb.append("package ").append(pkg).append(";\n\n");
    sb.append("import io.kompakt.schema.SchemaLayout;\n\n");
    sb.append("/** The layout of ").append(source).append(": every enum, union and table field with its id and type. */\n");
    sb.append("public final class ").append(cls).append(" {\n");
    sb.append("  private ").append(cls).append("() {}\n\n");
    sb.append("  /** The parsed layout. */\n");
    sb.append("  public static final SchemaLayout LAYOUT = SchemaLayout.parse(String.join(\"\\n\",\n");
    for (int i = 0; i < body.size(); i++) {
      for (String line : body.get(i).split("\n", -1)) {
        sb.append("      \"").append(line.replace("\\", "\\\\").replace("\"", "\\\"")).append("\",\n");
      }
    }
    sb.setLength(sb.length() - 2);
    sb.append("));\n}\n");
    return sb.toString();
  }
}
