package io.kompakt.engine.model;

import io.kompakt.schema.SchemaLayout;
import io.kompakt.schema.SchemaLayout.Field;
import io.kompakt.schema.SchemaLayout.Kind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Checks the structure of a FlatBuffer against a schema layout before anything reads it: every table's
 * vtable, every field inside its table and the buffer, every offset, vector length and string, by the field
 * types the schema declares. FlatBuffers Java has no verifier; this is Kompakt's.
 *
 * <p>Bounded work: nesting deeper than {@value #MAX_DEPTH} tables and more tables than a budget (shared sub-tables
 * could otherwise make a small hostile file expensive) are rejected. Errors name the byte offset and the
 * schema path ({@code Model.subgraphs[0].tensors[3].quantization}).
 */
public final class FlatVerifier {
  /** Deepest nesting of tables accepted. */
  public static final int MAX_DEPTH = 64;

  private final ByteBuffer bb;
  private final int limit;
  private final SchemaLayout layout;
  private final String fileKind;
  private final long maxTables;
  private long tables;
  private final String[] pathNames = new String[MAX_DEPTH + 2];
  private final int[] pathIndex = new int[MAX_DEPTH + 2];
  private int depth;

  private FlatVerifier(ByteBuffer bb, SchemaLayout layout, String fileKind) {
    this.bb = bb.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.limit = bb.limit();
    this.layout = layout;
    this.fileKind = fileKind;
    // A table takes at least 4 bytes; legitimate sharing stays far below this budget.
    this.maxTables = Math.max(1_000_000L, 4L * limit);
  }

  /**
   * Verifies a whole buffer (positions 0 to limit) whose root table is the schema's root type.
   *
   * @param fileKind how errors name the file, e.g. "model" or "metadata"
   * @param checkIdentifier whether the schema's file identifier must be present at bytes 4 to 7
   * @return the position of the root table
   */
  public static int verify(ByteBuffer bb, SchemaLayout layout, String fileKind, boolean checkIdentifier) {
    return new FlatVerifier(bb, layout, fileKind).verifyRoot(checkIdentifier);
  }

  private int verifyRoot(boolean checkIdentifier) {
    pathNames[0] = layout.rootType();
    pathIndex[0] = -1;
    depth = 0;
    if (limit < 8) throw fail(0, "file is " + limit + " bytes: too short for a FlatBuffer (needs at least 8)");
    if (checkIdentifier && layout.fileIdentifier() != null) {
      byte[] id = new byte[4];
      for (int i = 0; i < 4; i++) id[i] = bb.get(4 + i);
      String got = new String(id, StandardCharsets.ISO_8859_1);
      if (!got.equals(layout.fileIdentifier())) {
        throw fail(4, "file identifier is '" + printable(got) + "', expected '" + layout.fileIdentifier()
            + "': not a " + (layout.rootType().equals("Model") ? "TFLite model" : layout.rootType() + " buffer"));
      }
    }
    long root = Integer.toUnsignedLong(bb.getInt(0));
    verifyTable(layout.table(layout.rootType()), root);
    return (int) root;
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) b.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    return b.toString();
  }

  private ModelFormatException fail(long offset, String what) {
    StringBuilder p = new StringBuilder();
    for (int i = 0; i <= depth && i < pathNames.length; i++) {
      if (pathNames[i] == null) continue;
      if (i > 0) p.append('.');
      p.append(pathNames[i]);
      if (pathIndex[i] >= 0) p.append('[').append(pathIndex[i]).append(']');
    }
    return new ModelFormatException("malformed " + fileKind + " at byte " + offset + " (" + p + "): " + what);
  }

  /** Checks [pos, pos+len) lies inside the buffer. */
  private void need(long pos, long len, String what) {
    if (pos < 0 || len < 0 || pos + len > limit) {
      throw fail(pos, what + " spans bytes " + pos + ".." + (pos + len) + " beyond the end of the buffer (" + limit + " bytes)");
    }
  }

  /** Follows a uoffset stored at {@code at}: returns the absolute target. */
  private long follow(long at, String what) {
    need(at, 4, what + " offset");
    long target = at + Integer.toUnsignedLong(bb.getInt((int) at));
    if (target >= limit) throw fail(at, what + " points to byte " + target + ", beyond the end of the buffer (" + limit + " bytes)");
    return target;
  }

  private void verifyTable(SchemaLayout.Table type, long pos) {
    if (++tables > maxTables) throw fail(pos, "more than " + maxTables + " tables: refusing to verify further");
    if (depth >= MAX_DEPTH) throw fail(pos, "tables nested deeper than " + MAX_DEPTH);
    need(pos, 4, type.name() + " table");
    long vt = pos - bb.getInt((int) pos);
    need(vt, 4, type.name() + " vtable");
    int vtSize = Short.toUnsignedInt(bb.getShort((int) vt));
    int objSize = Short.toUnsignedInt(bb.getShort((int) vt + 2));
    if (vtSize < 4 || (vtSize & 1) != 0) throw fail(vt, type.name() + " vtable size " + vtSize + " is not an even number >= 4");
    need(vt, vtSize, type.name() + " vtable");
    if (objSize < 4) throw fail(vt, type.name() + " object size " + objSize + " is below 4");
    need(pos, objSize, type.name() + " table");
    int slots = (vtSize - 4) / 2;
    for (Field f : type.fields()) {
      if (f.id() >= slots) break;
      int fo = Short.toUnsignedInt(bb.getShort((int) vt + 4 + 2 * f.id()));
      if (fo == 0) continue;
      SchemaLayout.Type t = f.type();
      int inline = t.vector() ? 4 : t.kind().size;
      if (fo < 4 || fo + inline > objSize) {
        throw fail(pos + fo, "field " + f.name() + " at offset " + fo + " (" + inline + " bytes) lies outside its table of "
            + objSize + " bytes");
      }
      long at = pos + fo;
      if (!t.vector() && t.kind().isScalar()) continue;
      depth++;
      pathNames[depth] = f.name();
      pathIndex[depth] = -1;
      if (t.vector()) {
        verifyVector(f, follow(at, f.name()));
      } else if (t.kind() == Kind.STRING) {
        verifyString(follow(at, f.name()), f.name());
      } else if (t.kind() == Kind.TABLE) {
        verifyTable(layout.table(t.ref()), follow(at, f.name()));
      } else if (t.kind() == Kind.UNION) {
        Field typeField = type.fields().get(type.fields().indexOf(f) - 1);
        int tfo = typeField.id() < slots ? Short.toUnsignedInt(bb.getShort((int) vt + 4 + 2 * typeField.id())) : 0;
        int member = tfo == 0 ? 0 : Byte.toUnsignedInt(bb.get((int) (pos + tfo)));
        String table = member == 0 ? null : layout.union(t.ref()).member(member);
        if (table != null) { // NONE, or a member this schema does not know: left unread, as TFLite does
          pathNames[depth] = f.name() + "<" + table + ">";
          verifyTable(layout.table(table), follow(at, f.name()));
        }
      }
      depth--;
    }
  }

  private void verifyString(long pos, String what) {
    need(pos, 4, what + " string length");
    long len = Integer.toUnsignedLong(bb.getInt((int) pos));
    need(pos + 4, len + 1, what + " string of " + len + " bytes");
    if (bb.get((int) (pos + 4 + len)) != 0) throw fail(pos + 4 + len, what + " string is not zero-terminated");
    ByteBuffer s = bb.duplicate();
    s.limit((int) (pos + 4 + len)).position((int) pos + 4);
    try {
      utf8.reset().decode(s);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw fail(pos + 4, what + " string is not valid UTF-8");
    }
  }

  private final java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
      .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);

  private void verifyVector(Field f, long pos) {
    SchemaLayout.Type t = f.type();
    need(pos, 4, f.name() + " vector length");
    long len = Integer.toUnsignedLong(bb.getInt((int) pos));
    int elem = t.kind().size;
    need(pos + 4, len * elem, f.name() + " vector of " + len + " elements");
    if (t.kind().isScalar()) return;
    for (long i = 0; i < len; i++) {
      long at = pos + 4 + i * 4;
      pathIndex[depth] = (int) i;
      if (t.kind() == Kind.STRING) {
        verifyString(follow(at, f.name()), f.name());
      } else if (t.kind() == Kind.TABLE) {
        verifyTable(layout.table(t.ref()), follow(at, f.name()));
      } else {
        throw fail(at, "vectors of unions are not supported");
      }
    }
    pathIndex[depth] = -1;
  }
}
