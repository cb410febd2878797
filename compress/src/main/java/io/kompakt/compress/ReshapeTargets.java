package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A RESHAPE whose output's last dimension was changed (filters removed before it, a classifier given other classes)
 * must ask for that shape: its constant shape input and its {@code new_shape} option get the output's last dimension,
 * unless they leave it to be inferred ({@code -1}).
 */
public final class ReshapeTargets {
  private ReshapeTargets() {}

  /** Sets the last entry of {@code reshape}'s target shape (input 1, in its own int type, and the option) to its output's. */
  public static void followOutput(EditableModel m, EditableModel.Operator reshape) {
    int[] target = reshape.outputs.get(0).shape;
    int last = target[target.length - 1];
    if (reshape.inputs.size() > 1 && reshape.inputs.get(1) != null && reshape.inputs.get(1).buffer != null) {
      EditableModel.Tensor s = reshape.inputs.get(1);
      boolean wide = s.type == TensorType.INT64;
      ByteBuffer old = s.buffer.data();
      int n = (int) s.elementCount();
      if (n > 0 && (wide ? old.getLong(8 * (n - 1)) : old.getInt(4 * (n - 1))) != -1) {
        ByteBuffer b = ByteBuffer.allocate((wide ? 8 : 4) * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          long v = i == n - 1 ? last : wide ? old.getLong(8 * i) : old.getInt(4 * i);
          if (wide) b.putLong(v);
          else b.putInt((int) v);
        }
        b.flip();
        s.buffer = m.addBuffer(b);
      }
    }
    if (reshape.options != null && reshape.options.get("new_shape") != null) {
      int[] ns = reshape.options.getInts("new_shape");
      if (ns.length > 0 && ns[ns.length - 1] != -1) {
        ns[ns.length - 1] = last;
        reshape.options.set("new_shape", ns);
      }
    }
  }
}
