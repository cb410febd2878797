package io.kompakt.ops.arith;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.Broadcast;

/**
 * The part ADD, SUB, MUL, DIV, FLOOR_DIV and FLOOR_MOD share: two inputs of one type broadcast against each
 * other (NumPy rules), the fused activation's clamp, and the one loop over the output. Each op gives its
 * element function for float32 and, where TFLite has one, for int32.
 */
final class BinaryKernel {
  private BinaryKernel() {}

  /** An element function on floats. */
  @FunctionalInterface
  interface FloatOp {
    float apply(float a, float b);
  }

  /** An element function on int32 values. */
  @FunctionalInterface
  interface IntOp {
    int apply(int a, int b);
  }

  /**
   * Prepares a binary op.
   *
   * @param options the options table holding fused_activation_function, or null for ops without one
   * @param intOp the int32 function, or null if the op has none
   * @param intDivides whether int32 runs refuse a zero anywhere in the second input (as TFLite does)
   */
  static Kernel prepare(OpContext ctx, String options, FloatOp floatOp, IntOp intOp, boolean intDivides) {
    ctx.requireArity(2, 1);
    RuntimeTensor a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
    ctx.require(b.type == a.type, "inputs " + a + " and " + b + " differ in type");
    ctx.require(out.type == a.type, "output " + out + " differs in type from the inputs " + a.type.lowerName());
    int[] shape = Broadcast.shape(ctx, a.shape, b.shape);
    ctx.setOutputShape(0, shape);
    String act = options == null ? "NONE" : ctx.options(options).getEnumName("fused_activation_function");
    float[] range = Activation.floatRange(ctx, act);
    if (a.type == TensorType.FLOAT32) {
      int[] ia = Broadcast.indexMap(a.shape, shape), ib = Broadcast.indexMap(b.shape, shape);
      float min = range[0], max = range[1];
      if (io.kompakt.ops.common.VectorSupport.variant(ctx) != io.kompakt.ops.common.VectorSupport.Variant.REFERENCE) {
        // fast paths without index maps: b (or a) equal-shaped or repeating with a period (scalar, per-channel)
        int pb = Broadcast.period(ib), pa = Broadcast.period(ia);
        if (pa == ia.length && pb > 0) {
          return () -> {
            float[] x = a.f32, y = b.f32, z = out.f32;
            int ao = a.offset, bo = b.offset, oo = out.offset, n = ia.length;
            for (int base = 0; base < n; base += pb) {
              for (int j = 0; j < pb; j++) z[oo + base + j] = Activation.clamp(floatOp.apply(x[ao + base + j], y[bo + j]), min, max);
            }
          };
        }
        if (pb == ib.length && pa > 0) {
          return () -> {
            float[] x = a.f32, y = b.f32, z = out.f32;
            int ao = a.offset, bo = b.offset, oo = out.offset, n = ib.length;
            for (int base = 0; base < n; base += pa) {
              for (int j = 0; j < pa; j++) z[oo + base + j] = Activation.clamp(floatOp.apply(x[ao + j], y[bo + base + j]), min, max);
            }
          };
        }
      }
      return () -> {
        float[] x = a.f32, y = b.f32, z = out.f32;
        int ao = a.offset, bo = b.offset, oo = out.offset;
        for (int i = 0; i < ia.length; i++) z[oo + i] = Activation.clamp(floatOp.apply(x[ao + ia[i]], y[bo + ib[i]]), min, max);
      };
    }
    if (a.type == TensorType.INT32 && intOp != null) {
      int[] ia = Broadcast.indexMap(a.shape, shape), ib = Broadcast.indexMap(b.shape, shape);
      // the float range's bounds as ints: -inf and +inf become INT32_MIN and INT32_MAX
      int min = (int) range[0], max = (int) range[1];
      int divisors = b.size();
      String where = ctx.where();
      return () -> {
        int[] x = a.i32, y = b.i32, z = out.i32;
        int ao = a.offset, bo = b.offset, oo = out.offset;
        if (intDivides) {
          for (int i = 0; i < divisors; i++) {
            if (y[bo + i] == 0) throw new ArithmeticException(where + ": division by zero (element " + i + " of " + b + ")");
          }
        }
        for (int i = 0; i < ia.length; i++) z[oo + i] = Math.min(Math.max(intOp.apply(x[ao + ia[i]], y[bo + ib[i]]), min), max);
      };
    }
    throw ctx.unsupported("input type " + a.type.lowerName() + " is not supported yet");
  }
}
