package io.kompakt.engine.model;

import com.google.flatbuffers.Table;

/**
 * A bare table handle: handed to a generated union accessor ({@code builtinOptions(Table)}), it records where
 * the member table lies, so that {@link FlatTable} can read it by the schema layout.
 */
final class TablePos extends Table {
  /** Absolute position of the table the accessor pointed this handle at. */
  int position() { return bb_pos; }
}
