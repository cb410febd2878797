package io.kompakt.ops.reduce;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * MEAN and SUM on int8, uint8 and int16 as current desktop TFLite's reference path (reduce.cc EvalMean,
 * EvalQuantizedMean and EvalSum with kReference; reference/reduce.h's integer QuantizedMeanOrSum), which
 * TFLite-Micro shares. The reduced elements are summed in int32; the multiplier {@code m, shift} of
 * {@code s_in / s_out} (double) is, for MEAN, folded with 1/n:
 * {@code k = min(floor(log2 n), 32, 31 + shift)}, {@code m' = (m << k) / n} (64-bit, truncated),
 * {@code shift' = shift - k}. Each output is
 * {@code clamp(MultiplyByQuantizedMultiplier(sum - zp_in * n, m', shift') + zp_out)}.
 *
 * <p>Older TFLite releases had other paths here (a 4-D keep_dims mean over H and W with its own rounding, an
 * integer division when input and output share quantization, and a float fallback); the current code has only
 * this one, so Kompakt follows it. An empty axes list copies the input; an empty input gives zeros.
 */
final class ReduceQuantizedReference {
  private ReduceQuantizedReference() {}

  /**
   * @param outIndex for each input element, its output element
   * @param count elements reduced into each output element
   * @param noAxes whether the axes input is empty (TFLite then copies the input)
   */
  static Kernel prepare(OpContext ctx, boolean mean, RuntimeTensor in, RuntimeTensor out, int[] outIndex, int count,
                        boolean noAxes) {
    ctx.requireType(out, in.type);
    ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
    if (in.type == TensorType.INT16) {
      ctx.require(in.zeroPoint() == 0 && out.zeroPoint() == 0, "int16 " + (mean ? "MEAN" : "SUM") + " needs zero points 0");
    }
    int outSize = out.size(), inSize = in.size();
    if (noAxes) return () -> io.kompakt.ops.common.Elements.copy(in, 0, out, 0, inSize);
    QuantMath.Multiplier base = QuantMath.quantizeMultiplier((double) in.scale() / (double) out.scale());
    int multiplier = base.multiplier(), shift = base.shift();
    if (mean && count > 0) {
      int k = 63 - Long.numberOfLeadingZeros(count);
      k = Math.min(k, 32);
      k = Math.min(k, 31 + shift);
      multiplier = (int) (((long) multiplier << k) / count);
      shift = shift - k;
    }
    int m = multiplier, s = shift, zpIn = in.zeroPoint(), zpOut = out.zeroPoint();
    long zpSum = (long) zpIn * count;
    int[] type = QuantMath.typeRange(in.type);
    int min = type[0], max = type[1];
    int[] sums = new int[outSize];
    return () -> {
      if (inSize == 0) {
        for (int o = 0; o < outSize; o++) QuantMath.store(out, o, 0);
        return;
      }
      java.util.Arrays.fill(sums, 0);
      if (in.type == TensorType.INT8) {
        byte[] x = in.i8;
        for (int i = 0, off = in.offset; i < inSize; i++) sums[outIndex[i]] += x[off + i];
      } else if (in.type == TensorType.UINT8) {
        byte[] x = in.i8;
        for (int i = 0, off = in.offset; i < inSize; i++) sums[outIndex[i]] += x[off + i] & 0xFF;
      } else {
        for (int i = 0; i < inSize; i++) sums[outIndex[i]] += QuantMath.load(in, i);
      }
      for (int o = 0; o < outSize; o++) {
        int shifted = (int) (sums[o] - zpSum);
        int r = QuantMath.multiplyByQuantizedMultiplier(shifted, m, s) + zpOut;
        QuantMath.store(out, o, Math.min(Math.max(r, min), max));
      }
    };
  }
}
