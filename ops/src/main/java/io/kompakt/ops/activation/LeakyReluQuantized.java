package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * LEAKY_RELU on int8, uint8 and int16, as TFLite's reference (activations.cc LeakyReluPrepare, reference/leaky_relu.h
 * QuantizeLeakyRelu): {@code d = q - zp_in}; {@code out = zp_out + MultiplyByQuantizedMultiplier(d, m, shift)} with
 * the identity multiplier {@code scale_in / scale_out} where {@code d >= 0}, else the alpha multiplier
 * {@code scale_in * alpha / scale_out} (both computed in float, as TFLite does, then quantized); clamped to the type.
 */
final class LeakyReluQuantized {
  private LeakyReluQuantized() {}

  static Kernel prepare(OpContext ctx, float alpha) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(out, in.type);
    ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
    if (in.type == TensorType.INT16) {
      ctx.require(in.zeroPoint() == 0 && out.zeroPoint() == 0, "int16 LEAKY_RELU needs zero points 0");
    }
    ctx.setOutputShape(0, in.shape);
    float alphaReal = in.scale() * alpha / out.scale(); // float arithmetic, as TFLite's Prepare
    float identityReal = in.scale() / out.scale();
    QuantMath.Multiplier ma = QuantMath.quantizeMultiplier(alphaReal), mi = QuantMath.quantizeMultiplier(identityReal);
    int zpIn = in.zeroPoint(), zpOut = out.zeroPoint(), n = in.size();
    int[] type = QuantMath.typeRange(in.type);
    int min = type[0], max = type[1];
    return () -> {
      for (int i = 0; i < n; i++) {
        int d = QuantMath.load(in, i) - zpIn;
        QuantMath.Multiplier m = d >= 0 ? mi : ma;
        int r = zpOut + QuantMath.multiplyByQuantizedMultiplier(d, m.multiplier(), m.shift());
        QuantMath.store(out, i, Math.min(max, Math.max(min, r)));
      }
    };
  }
}
