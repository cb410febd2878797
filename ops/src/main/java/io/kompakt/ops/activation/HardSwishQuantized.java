package io.kompakt.ops.activation;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * HARD_SWISH on int8 and uint8, as TFLite's HardSwishPrepare and reference_ops::HardSwish (quantized): 16-bit
 * fixed point throughout. The input less its zero point is shifted left 7 ("hires" scale); it is scaled to the
 * output scale by a Q15 multiplier, and separately to a "relu-ish" value in [-1, 1] (3.0 as 32768) by another,
 * with saturating left shifts; that becomes [0, 1], multiplies the output-scaled value (a truncating doubling high
 * multiply) and is rounding-shifted right by the output exponent. Multipliers are computed in float, quantized,
 * then rounded to 16 bits (DownScaleInt32ToInt16Multiplier). All intermediate values wrap as C++ int16 does.
 */
final class HardSwishQuantized {
  private HardSwishQuantized() {}

  static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(in, io.kompakt.engine.model.TensorType.INT8, io.kompakt.engine.model.TensorType.UINT8);
    ctx.requireType(out, in.type);
    ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
    ctx.setOutputShape(0, in.shape);
    float hiresInputScale = (1.0f / 128.0f) * in.scale();
    float reluishScale = 3.0f / 32768.0f;
    float outputMultiplier = hiresInputScale / out.scale();
    QuantMath.Multiplier om = QuantMath.quantizeMultiplier(outputMultiplier);
    ctx.require(om.shift() <= 0, "output multiplier " + outputMultiplier + " must be below 1 (output scale too small)");
    QuantMath.Multiplier rm = QuantMath.quantizeMultiplier(hiresInputScale / reluishScale);
    Params p = new Params(in.zeroPoint(), out.zeroPoint(), QuantMath.downScaleToInt16Multiplier(om.multiplier()), om.shift(),
        QuantMath.downScaleToInt16Multiplier(rm.multiplier()), rm.shift(), QuantMath.typeRange(out.type));
    int n = in.size();
    return () -> {
      for (int i = 0; i < n; i++) QuantMath.store(out, i, p.apply(QuantMath.load(in, i)));
    };
  }

  /** TFLite's HardSwishParams and the per-element computation. */
  record Params(int inputZeroPoint, int outputZeroPoint, int outputMultiplier16, int outputExponent,
                int reluishMultiplier16, int reluishExponent, int[] typeRange) {
    int apply(int q) {
      int inputValue = (short) (q - inputZeroPoint);
      int hires = (short) (inputValue * (1 << 7));
      int preshiftOutput = QuantMath.saturatingRoundingDoublingHighMul16(hires, outputMultiplier16);
      int reluish = hires;
      if (reluishExponent > 0) reluish = saturatingLeftShift16(reluish, reluishExponent - 1);
      reluish = QuantMath.saturatingRoundingDoublingHighMul16(reluish, reluishMultiplier16);
      if (reluishExponent > 0) reluish = saturatingLeftShift16(reluish, 1);
      if (reluishExponent < 0) reluish = QuantMath.roundingDivideByPOT16(reluish, -reluishExponent);
      reluish = (short) ((reluish + (1 << 15)) >> 1);
      int preshiftOut = saturatingDoublingHighMul16(reluish, preshiftOutput);
      int output = QuantMath.roundingDivideByPOT16(preshiftOut, -outputExponent);
      output = (short) (output + outputZeroPoint);
      output = Math.min(output, typeRange[1]);
      output = Math.max(output, typeRange[0]);
      return output;
    }
  }

  /** reference_ops::SaturatingLeftShift on int16. */
  static int saturatingLeftShift16(int value, int amount) {
    long r = (long) value * (1L << amount);
    return (int) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, r));
  }

  /** reference_ops::SaturatingDoublingHighMul on int16: (a * b) / 2^15 truncated toward zero, saturating -1 * -1. */
  static int saturatingDoublingHighMul16(int a, int b) {
    if (a == Short.MIN_VALUE && b == Short.MIN_VALUE) return Short.MAX_VALUE;
    return (short) ((a * b) / (1 << 15));
  }
}
