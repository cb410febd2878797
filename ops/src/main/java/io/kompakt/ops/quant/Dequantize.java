package io.kompakt.ops.quant;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * DEQUANTIZE to float32: int8, uint8 and int16 as {@code (q - zeroPoint) * scale}, per tensor or per channel;
 * float16 input (its values are floats once loaded) is copied.
 */
public final class Dequantize {
  private Dequantize() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(out, TensorType.FLOAT32);
    ctx.setOutputShape(0, in.shape);
    int n = in.size();
    if (in.type == TensorType.FLOAT16) {
      return () -> System.arraycopy(in.f32, in.offset, out.f32, out.offset, n);
    }
    if (in.type != TensorType.INT8 && in.type != TensorType.UINT8 && in.type != TensorType.INT16) {
      throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported");
    }
    Affine q = Affine.of(ctx, in);
    return () -> {
      float[] y = out.f32;
      for (int i = 0; i < n; i++) {
        int c = q.channel(i);
        // the product of a float and an int below 2^17 rounds once either way, as TFLite's double product does
        y[out.offset + i] = q.scales[c] * (float) (in.getLong(i) - q.zeroPoints[c]);
      }
    };
  }
}
