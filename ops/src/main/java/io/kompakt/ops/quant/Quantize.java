package io.kompakt.ops.quant;

import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * QUANTIZE float32 to int8, uint8 or int16 as TFLite's reference: {@code q = clamp(round(x / scale) + zeroPoint)}
 * with x / scale in float and round half away from zero (std::round), per tensor or per channel of the output.
 * From an integer type it requantizes: {@link Requantize}. Per-tensor 8-bit outputs have a fast form (any kernel
 * setting but REFERENCE) that writes the bytes directly, with the same arithmetic.
 */
public final class Quantize {
  /** The fewest values the fast form hands to a thread. */
  static final int CHUNK = 16384;

  private Quantize() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (in.type != TensorType.FLOAT32) return Requantize.prepare(ctx);
    ctx.requireType(out, TensorType.INT8, TensorType.UINT8, TensorType.INT16);
    ctx.setOutputShape(0, in.shape);
    Affine q = Affine.of(ctx, out);
    long min = out.type == TensorType.INT8 ? Byte.MIN_VALUE : out.type == TensorType.UINT8 ? 0 : Short.MIN_VALUE;
    long max = out.type == TensorType.INT8 ? Byte.MAX_VALUE : out.type == TensorType.UINT8 ? 255 : Short.MAX_VALUE;
    int n = in.size();
    if (q.scales.length == 1 && out.type != TensorType.INT16
        && ctx.kernels() != io.kompakt.engine.run.Interpreter.Kernels.REFERENCE) {
      // fast form: one scale, bytes written directly (the same expression per element), in chunks over the threads
      // (a network's float input: 150,528 values for MobileNet V2, 0.4 ms on one thread)
      final float scale = q.scales[0];
      final int zp = q.zeroPoints[0];
      final io.kompakt.engine.run.Parallel parallel = ctx.parallel();
      final io.kompakt.engine.run.Parallel.Body values = (from, to) -> {
        float[] x = in.f32;
        byte[] y = out.i8;
        for (int i = from, a = in.offset, b = out.offset; i < to; i++) {
          double v = round(x[a + i] / scale) + zp;
          y[b + i] = (byte) (long) Math.min(Math.max(v, min), max);
        }
      };
      return () -> io.kompakt.engine.run.Parallel.run(parallel, n, CHUNK, values);
    }
    return () -> {
      float[] x = in.f32;
      for (int i = 0; i < n; i++) {
        int c = q.channel(i);
        double v = round(x[in.offset + i] / q.scales[c]) + q.zeroPoints[c];
        Elements.setLong(out, i, (long) Math.min(Math.max(v, min), max));
      }
    };
  }

  /** std::round: halves away from zero. Exact in double for every float (x + 0.5 cannot round). */
  static double round(float x) {
    double a = Math.floor(Math.abs((double) x) + 0.5);
    return x < 0 ? -a : a;
  }
}
