package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * RELU, RELU6 and RELU_N1_TO_1 on quantized tensors, as TFLite's ReluPrepare and QuantizedReluX (reference ReluX):
 * {@code out = zp_out + MultiplyByQuantizedMultiplier(q - zp_in, m, shift)} with {@code m, shift} from
 * {@code scale_in / scale_out} (a float quotient), clamped to
 * {@code [max(type_min, zp_out + roundf(lo / scale_out)), min(type_max, zp_out + roundf(hi / scale_out))]} (no upper
 * bound for RELU). int8 and uint8 for all three; int16 (zero points 0) for RELU and RELU6, as TFLite.
 */
final class ReluQuantized {
  private ReluQuantized() {}

  /** @param hi the upper bound, or +infinity for none */
  static Kernel prepare(OpContext ctx, float lo, float hi, boolean int16Allowed) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (in.type == TensorType.INT16 && !int16Allowed) throw ctx.unsupported("int16 input is not supported (TFLite has none)");
    ctx.requireType(out, in.type);
    ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
    if (in.type == TensorType.INT16) ctx.require(in.zeroPoint() == 0 && out.zeroPoint() == 0, "int16 input and output need zero points 0");
    ctx.setOutputShape(0, in.shape);
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier(in.scale() / out.scale());
    int[] type = QuantMath.typeRange(in.type);
    int zpIn = in.zeroPoint(), zpOut = out.zeroPoint();
    int min = Math.max(type[0], zpOut + (int) QuantMath.roundHalfAwayFromZero(lo / out.scale()));
    int max = hi == Float.POSITIVE_INFINITY ? type[1] : Math.min(type[1], zpOut + (int) QuantMath.roundHalfAwayFromZero(hi / out.scale()));
    int n = in.size();
    return () -> {
      for (int i = 0; i < n; i++) {
        int r = zpOut + QuantMath.multiplyByQuantizedMultiplier(QuantMath.load(in, i) - zpIn, m.multiplier(), m.shift());
        QuantMath.store(out, i, Math.min(max, Math.max(min, r)));
      }
    };
  }
}
