package io.kompakt.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.schema.tflite.TfliteLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds the absolute byte positions of tables, fields and vectors in a TFLite file by following its vtables (field
 * ids from the schema layout), so that tests can patch single values in place.
 */
final class FlatNav {
  final byte[] bytes;
  final ByteBuffer bb;

  FlatNav(byte[] bytes) {
    this.bytes = bytes;
    this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  int root() { return bb.getInt(0); }

  /** Position of the field's inline value in the table at {@code table}, or -1 if the field is absent. */
  int field(int table, String type, String name) {
    int id = TfliteLayout.LAYOUT.table(type).field(name).id();
    int vt = table - bb.getInt(table);
    int vtSize = Short.toUnsignedInt(bb.getShort(vt));
    int slot = 4 + 2 * id;
    if (slot + 2 > vtSize) return -1;
    int fo = Short.toUnsignedInt(bb.getShort(vt + slot));
    return fo == 0 ? -1 : table + fo;
  }

  /** Position of a field that must be present. */
  int present(int table, String type, String name) {
    int f = field(table, type, name);
    assertTrue(f >= 0, () -> type + "." + name + " is absent at table " + table);
    return f;
  }

  /** Position of the vtable of the table at {@code table}. */
  int vtable(int table) { return table - bb.getInt(table); }

  /** Target of the uoffset stored at {@code at}. */
  int deref(int at) { return at + bb.getInt(at); }

  /** Target (table, vector length word or string length word) of an offset field. */
  int ref(int table, String type, String name) { return deref(present(table, type, name)); }

  /** Table or string {@code i} of the vector whose length word is at {@code vector}. */
  int element(int vector, int i) { return deref(vector + 4 + 4 * i); }

  int subgraph(int s) { return element(ref(root(), "Model", "subgraphs"), s); }

  int tensor(int s, int t) { return element(ref(subgraph(s), "SubGraph", "tensors"), t); }

  int operator(int s, int o) { return element(ref(subgraph(s), "SubGraph", "operators"), o); }

  int buffer(int i) { return element(ref(root(), "Model", "buffers"), i); }

  void putInt(int at, int v) { bb.putInt(at, v); }

  void putLong(int at, long v) { bb.putLong(at, v); }

  void putShort(int at, int v) { bb.putShort(at, (short) v); }

  int getInt(int at) { return bb.getInt(at); }

  long getLong(int at) { return bb.getLong(at); }
}
