package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.QuantMath;
import java.util.Arrays;

/**
 * CONCATENATION along an axis (negative counts from the end): inputs of one rank and type, equal in every other
 * dimension. A fused activation is applied to float32 outputs (TFLite itself refuses any but NONE). uint8 inputs
 * quantized differently from the output are requantized as TFLite's ConcatenationWithScaling does (in float:
 * {@code clamp(round(q * s + bias) + zp_out)}, {@code s = s_in * (1 / s_out)}, {@code bias = -zp_in * s}); int8 and
 * int16 inputs must share the output's scale and zero point (TFLite refuses int8 otherwise; for int16, which it
 * would copy unscaled, Kompakt refuses too).
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
      if (t.type != TensorType.UINT8) Shapes.requireSameQuantization(ctx, t, out);
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
    Kernel copy = first.type == TensorType.UINT8 ? concatUint8(ctx, ins, axis, out) : concat(ins, axis, out);
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

  /**
   * CONCATENATION of uint8 inputs, each either copied (quantized as the output) or requantized in float as TFLite's
   * reference_ops::ConcatenationWithScaling: {@code clamp(round(q * scale + bias) + zp_out, 0, 255)} with
   * {@code scale = s_in * (1 / s_out)} and {@code bias = -zp_in * scale}, rounding half away from zero.
   */
  static Kernel concatUint8(OpContext ctx, RuntimeTensor[] ins, int axis, RuntimeTensor out) {
    boolean scaled = false;
    for (RuntimeTensor t : ins) {
      if (t.scale() != out.scale() || t.zeroPoint() != out.zeroPoint()) scaled = true;
    }
    if (!scaled) return concat(ins, axis, out);
    ctx.require(out.quantization.isQuantized(), "output " + out + " needs a scale and zero point to requantize into");
    int outer = Shapes.product(ins[0].shape, 0, Math.min(axis, ins[0].rank()));
    int[] block = new int[ins.length];
    boolean[] copy = new boolean[ins.length];
    float[] scale = new float[ins.length], bias = new float[ins.length];
    float inverse = 1.f / out.scale();
    for (int i = 0; i < ins.length; i++) {
      RuntimeTensor t = ins[i];
      ctx.require(t.quantization.isQuantized(), "input " + t + " needs a scale and zero point to be requantized");
      block[i] = t.size() / Math.max(outer, 1);
      copy[i] = t.zeroPoint() == out.zeroPoint() && t.scale() == out.scale();
      scale[i] = t.scale() * inverse;
      bias[i] = -t.zeroPoint() * scale[i];
    }
    int zpOut = out.zeroPoint();
    return () -> {
      int pos = 0;
      for (int o = 0; o < outer; o++) {
        for (int i = 0; i < ins.length; i++) {
          RuntimeTensor t = ins[i];
          if (copy[i]) {
            Elements.copy(t, o * block[i], out, pos, block[i]);
          } else {
            byte[] x = t.i8, y = out.i8;
            int from = t.offset + o * block[i], to = out.offset + pos;
            for (int j = 0; j < block[i]; j++) {
              int v = (int) QuantMath.roundHalfAwayFromZero((x[from + j] & 0xFF) * scale[i] + bias[i]) + zpOut;
              y[to + j] = (byte) Math.max(Math.min(255, v), 0);
            }
          }
          pos += block[i];
        }
      }
    };
  }
}
