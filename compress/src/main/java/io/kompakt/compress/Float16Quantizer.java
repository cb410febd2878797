package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Float16 weights as TFLite's converter writes them ({@code optimizations=[DEFAULT], supported_types=[float16]}):
 * each float32 constant of at least {@code minElements} elements that an op reads becomes a FLOAT16 constant
 * followed by a DEQUANTIZE op producing the float32 tensor the op reads. Files shrink by half; runtimes
 * dequantize once at load (Kompakt folds the DEQUANTIZE at prepare).
 */
public final class Float16Quantizer {
  private Float16Quantizer() {}

  /** Converts the model in place; returns how many constants became float16. */
  public static int quantize(EditableModel m, int minElements) {
    int converted = 0;
    for (EditableModel.Subgraph g : m.subgraphs) {
      List<EditableModel.Operator> dequantizeOps = new ArrayList<>();
      for (EditableModel.Tensor t : new ArrayList<>(g.tensors)) {
        if (t.type != TensorType.FLOAT32 || t.buffer == null || t.buffer.size() == 0 || t.elementCount() < minElements) continue;
        int n = (int) t.elementCount();
        ByteBuffer src = t.buffer.data();
        ByteBuffer dst = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) dst.putShort(Float16.fromFloat(src.getFloat(4 * i)));
        dst.flip();
        EditableModel.Tensor half = new EditableModel.Tensor(t.name, TensorType.FLOAT16, t.shape);
        half.buffer = m.addBuffer(dst);
        g.tensors.add(g.tensors.indexOf(t), half);
        t.name = t.name + "_dequantize";
        t.buffer = null; // now computed by DEQUANTIZE
        EditableModel.Operator dq = new EditableModel.Operator(OpCode.builtin("DEQUANTIZE"));
        dq.inputs.add(half);
        dq.outputs.add(t);
        dequantizeOps.add(dq);
        converted++;
      }
      g.operators.addAll(0, dequantizeOps); // the converter puts them first
    }
    m.removeUnusedBuffers();
    return converted;
  }
}
