package io.kompakt.compress;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float network of a quantized model: every quantized constant becomes float32 ({@code (q - zp) * scale}, per
 * channel where the tensor is), float16 constants become float32, every quantized activation becomes float32,
 * and QUANTIZE/DEQUANTIZE ops are removed (their input and output become one tensor). Unless told not to, an op
 * whose output was an 8-bit tensor gets the tightest fused activation (RELU, RELU6, RELU_N1_TO_1) that covers the
 * output's representable real range: old uint8 MobileNets rely on that range as their ReLU6. This is the network
 * that the speed anchors time with {@code --dequantize} / {@code --float}.
 */
public final class Dequantizer {
  private Dequantizer() {}

  /** What changed. */
  public record Report(int constants, int activations, int removedOps, int clampsAdded) {}

  /** Dequantizes {@code m} in place. */
  public static Report dequantize(EditableModel m, boolean clamp) {
    int constants = 0, activations = 0, removed = 0, clamps = 0;
    for (EditableModel.Subgraph g : m.subgraphs) {
      // 1. QUANTIZE / DEQUANTIZE: the output is replaced by the input everywhere
      Map<EditableModel.Tensor, EditableModel.Tensor> replace = new IdentityHashMap<>();
      List<EditableModel.Operator> keep = new ArrayList<>();
      for (EditableModel.Operator op : g.operators) {
        String n = op.opCode.name();
        if ((n.equals("QUANTIZE") || n.equals("DEQUANTIZE")) && op.inputs.size() == 1 && op.outputs.size() == 1) {
          EditableModel.Tensor in = resolve(replace, op.inputs.get(0));
          replace.put(op.outputs.get(0), in);
          removed++;
        } else {
          keep.add(op);
        }
      }
      g.operators.clear();
      g.operators.addAll(keep);
      for (EditableModel.Operator op : g.operators) {
        op.inputs.replaceAll(t -> t == null ? null : resolve(replace, t));
        op.outputs.replaceAll(t -> resolve(replace, t));
      }
      g.inputs.replaceAll(t -> resolve(replace, t));
      g.outputs.replaceAll(t -> resolve(replace, t));
      g.tensors.removeIf(replace::containsKey);
      // 2. clamps from the 8-bit output ranges, while the quantization is still known
      if (clamp) {
        for (EditableModel.Operator op : g.operators) {
          if (op.options == null || op.options.type().field("fused_activation_function") == null || op.outputs.isEmpty()) continue;
          EditableModel.Tensor out = op.outputs.get(0);
          if ((out.type != TensorType.UINT8 && out.type != TensorType.INT8) || !out.quantization.isQuantized()) continue;
          float scale = out.quantization.scale()[0];
          long zp = out.quantization.zeroPoint()[0];
          double lo = scale * ((out.type == TensorType.UINT8 ? 0 : -128) - zp), hi = scale * ((out.type == TensorType.UINT8 ? 255 : 127) - zp);
          String current = op.options.getEnumName("fused_activation_function");
          String act = tightest(lo, hi);
          if (!act.equals("NONE") && current.equals("NONE")) {
            op.options.set("fused_activation_function", act);
            clamps++;
          }
        }
      }
      // 3. tensors to float32
      for (EditableModel.Tensor t : g.tensors) {
        boolean quantizedType = t.type == TensorType.INT8 || t.type == TensorType.UINT8 || t.type == TensorType.INT16
            || (t.type == TensorType.INT32 && t.quantization.isQuantized());
        if (t.buffer != null && t.buffer.size() > 0) {
          if (t.type == TensorType.FLOAT16) {
            t.buffer = m.addBuffer(fromHalf(t.buffer.data(), (int) t.elementCount()));
            t.type = TensorType.FLOAT32;
            constants++;
          } else if (quantizedType && t.quantization.isQuantized()) {
            t.buffer = m.addBuffer(dequantizeConstant(t));
            t.type = TensorType.FLOAT32;
            t.quantization = Quantization.NONE;
            constants++;
          }
        } else if (quantizedType && t.quantization.isQuantized()) {
          t.type = TensorType.FLOAT32;
          t.quantization = Quantization.NONE;
          activations++;
        }
      }
    }
    m.removeUnusedBuffers();
    return new Report(constants, activations, removed, clamps);
  }

  /** The tightest standard activation containing [lo, hi] (with a little slack), or NONE. */
  static String tightest(double lo, double hi) {
    double eps = 1e-3;
    if (lo >= -1 - eps && hi <= 1 + eps && lo < -eps) return "RELU_N1_TO_1";
    if (lo >= -eps && hi <= 6 + 6 * 0.01) return "RELU6";
    if (lo >= -eps) return "RELU";
    return "NONE";
  }

  private static EditableModel.Tensor resolve(Map<EditableModel.Tensor, EditableModel.Tensor> r, EditableModel.Tensor t) {
    while (r.containsKey(t)) t = r.get(t);
    return t;
  }

  private static ByteBuffer fromHalf(ByteBuffer d, int n) {
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) b.putFloat(Float16.toFloat(d.getShort(2 * i)));
    b.flip();
    return b;
  }

  private static ByteBuffer dequantizeConstant(EditableModel.Tensor t) {
    float[] v = dequantizedFloats(t);
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b;
  }

  /**
   * The real values of a quantized constant (int8, uint8, int16 or int32): {@code scale * (q - zero point)}, per
   * channel along its quantized dimension (dimension 0 when that is beyond the rank).
   */
  public static float[] dequantizedFloats(EditableModel.Tensor t) {
    Quantization q = t.quantization;
    int n = (int) t.elementCount();
    int rank = t.shape.length;
    int axis = q.isPerChannel() ? (q.quantizedDimension() < rank ? q.quantizedDimension() : 0) : -1;
    int inner = 1;
    if (axis >= 0) for (int i = axis + 1; i < rank; i++) inner *= t.shape[i];
    ByteBuffer d = t.buffer.data();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      int c = axis < 0 ? 0 : (i / inner) % t.shape[axis];
      long v;
      switch (t.type) {
        case INT8: v = d.get(i); break;
        case UINT8: v = d.get(i) & 0xFF; break;
        case INT16: v = d.getShort(2 * i); break;
        default: v = d.getInt(4 * i); break;
      }
      out[i] = (float) ((v - q.zeroPoint()[Math.min(c, q.zeroPoint().length - 1)]) * (double) q.scale()[Math.min(c, q.scale().length - 1)]);
    }
    return out;
  }

  /** Convenience: the dequantized copy of a loaded model. */
  public static EditableModel dequantized(Model model, boolean clamp) {
    EditableModel m = EditableModel.from(model);
    dequantize(m, clamp);
    return m;
  }

}
