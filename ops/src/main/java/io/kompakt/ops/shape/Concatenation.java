package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import java.util.Arrays;

/**
 * CONCATENATION along an axis (negative counts from the end): inputs of one rank and type, equal in every other
 * dimension. A fused activation is applied to float32 outputs (TFLite itself refuses any but NONE). Quantized
 * inputs must share the output's scale and zero point (no requantizing).
 */
public final class Concatenation {
  private Concatenation() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.require(ctx.inputCount() >= 1, "needs at least one input");
    ctx.requireArity(ctx.inputCount(), 1);
    RuntimeTensor out = ctx.output(0), first = ctx.input(0);
    FlatTable o = ctx.options("ConcatenationOptions");
    int rank = first.rank();
    // rank-0 inputs concatenate along axis 0 into a vector, as TFLite allows
    int axis = rank == 0 && o.getInt("axis") == 0 ? 0 : Shapes.axis(ctx, o.getInt("axis"), rank, "axis");
    RuntimeTensor[] ins = new RuntimeTensor[ctx.inputCount()];
    int sum = 0;
    for (int i = 0; i < ins.length; i++) {
      RuntimeTensor t = ins[i] = ctx.input(i);
      Shapes.requireSameType(ctx, t, out);
      Shapes.requireSameQuantization(ctx, t, out);
      ctx.require(t.rank() == rank, "input " + t + " has rank " + t.rank() + ", input 0 has rank " + rank);
      for (int d = 0; d < rank; d++) {
        ctx.require(d == axis || t.shape[d] == first.shape[d],
            "input " + t + " differs from input 0 " + Arrays.toString(first.shape) + " outside axis " + axis);
      }
      sum += rank == 0 ? 1 : t.shape[axis];
    }
    int[] shape = rank == 0 ? new int[] {sum} : first.shape.clone();
    shape[axis] = sum;
    ctx.setOutputShape(0, shape);
    String act = o.getEnumName("fused_activation_function");
    Kernel copy = concat(ins, axis, out);
    if (act.equals("NONE")) return copy;
    ctx.require(out.type == TensorType.FLOAT32, "fused activation " + act + " on " + out.type.lowerName() + " is not supported");
    float[] r = Activation.floatRange(ctx, act);
    float min = r[0], max = r[1];
    int n = Shapes.size(shape);
    return () -> {
      copy.run();
      float[] y = out.f32;
      for (int i = out.offset; i < out.offset + n; i++) y[i] = Activation.clamp(y[i], min, max);
    };
  }

  /**
   * Joins the inputs along {@code axis}: for each index over the dimensions before the axis, each input's block
   * (its dimensions from the axis on) in turn. Also PACK's kernel, on the inputs seen with a new size-1 axis.
   */
  static Kernel concat(RuntimeTensor[] ins, int axis, RuntimeTensor out) {
    int outer = Shapes.product(ins[0].shape, 0, Math.min(axis, ins[0].rank()));
    int[] block = new int[ins.length];
    for (int i = 0; i < ins.length; i++) block[i] = ins[i].size() / Math.max(outer, 1);
    return () -> {
      int pos = 0;
      for (int o = 0; o < outer; o++) {
        for (int i = 0; i < ins.length; i++) {
          Elements.copy(ins[i], o * block[i], out, pos, block[i]);
          pos += block[i];
        }
      }
    };
  }
}
