package io.kompakt.train;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import java.io.IOException;
import java.nio.file.Path;

/** Writes trained weights back into the model they came from: each trainable tensor gets a new buffer. */
public final class ModelExport {
  private ModelExport() {}

  /** An editable copy of the graph's model with the current values of its trainable tensors. */
  public static EditableModel toModel(TrainGraph g) {
    EditableModel m = EditableModel.from(g.model());
    EditableModel.Subgraph sg = m.subgraphs.get(0);
    for (Param p : g.params()) {
      sg.tensors.get(p.tensor).buffer = m.addFloats(p.values);
    }
    m.removeUnusedBuffers();
    return m;
  }

  /** Writes the trained model atomically (temporary file, then moved into place). */
  public static void write(TrainGraph g, Path out) throws IOException {
    new ModelWriter().write(toModel(g), out);
  }
}
