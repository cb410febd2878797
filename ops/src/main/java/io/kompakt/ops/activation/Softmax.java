package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * SOFTMAX in float32 over the last dimension, as TFLite's reference: exp((x - max) * beta) / sum, the row's
 * maximum subtracted for stability (SoftmaxOptions.beta; 0 when the options are absent, as TFLite reads them).
 * int8, uint8 and int16 in {@link SoftmaxQuantizedReference}.
 */
public final class Softmax {
  private Softmax() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (io.kompakt.ops.common.QuantMath.isQuantizedType(in.type)) {
      return SoftmaxQuantizedReference.prepare(ctx, (float) ctx.options("SoftmaxOptions").getDouble("beta"));
    }
    if (in.type != TensorType.FLOAT32) throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
    ctx.requireType(out, TensorType.FLOAT32);
    ctx.require(in.rank() >= 1, "input must have at least one dimension, is " + in);
    ctx.setOutputShape(0, in.shape);
    float beta = (float) ctx.options("SoftmaxOptions").getDouble("beta");
    int depth = in.dim(-1), rows = depth == 0 ? 0 : in.size() / depth;
    return () -> {
      float[] x = in.f32, y = out.f32;
      for (int r = 0; r < rows; r++) {
        int xi = in.offset + r * depth, yi = out.offset + r * depth;
        float max = -Float.MAX_VALUE;
        for (int c = 0; c < depth; c++) if (max < x[xi + c]) max = x[xi + c]; // std::max
        float sum = 0f;
        for (int c = 0; c < depth; c++) {
          float e = (float) Math.exp((x[xi + c] - max) * beta);
          y[yi + c] = e;
          sum += e;
        }
        for (int c = 0; c < depth; c++) y[yi + c] = y[yi + c] / sum;
      }
    };
  }
}
