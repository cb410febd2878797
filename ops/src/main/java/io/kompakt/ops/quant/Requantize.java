package io.kompakt.ops.quant;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * QUANTIZE from an integer type (requantization), as TFLite's reference (quantize.cc, reference/requantize.h):
 * {@code out = clamp(MultiplyByQuantizedMultiplier(q - zp_in, m, shift) + zp_out)} with {@code m, shift} from
 * {@code scale_in / scale_out} in double. Pairs: int8/uint8 to int8/uint8 (desktop TFLite), int16 to int8, int16
 * or int32, int32 to int8 or int16 and int8 to int16 or int32 (TFLite-Micro's additions, used by 16x8 models);
 * int16 tensors need zero point 0. The int8/uint8 shift-by-128 fast path gives the same values as the general
 * formula, so it is not a separate case.
 */
final class Requantize {
  private Requantize() {}

  static boolean supported(TensorType in, TensorType out) {
    switch (in) {
      case INT8: return out == TensorType.INT8 || out == TensorType.UINT8 || out == TensorType.INT16 || out == TensorType.INT32;
      case UINT8: return out == TensorType.INT8 || out == TensorType.UINT8;
      case INT16: return out == TensorType.INT8 || out == TensorType.INT16 || out == TensorType.INT32;
      case INT32: return out == TensorType.INT8 || out == TensorType.INT16;
      default: return false;
    }
  }

  static Kernel prepare(OpContext ctx) {
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (!supported(in.type, out.type)) {
      throw ctx.unsupported("requantizing " + in.type.lowerName() + " to " + out.type.lowerName() + " is not supported");
    }
    ctx.require(in.quantization.isQuantized() && in.quantization.scale().length == 1, "input " + in + " needs one scale and zero point");
    ctx.require(out.quantization.isQuantized() && out.quantization.scale().length == 1, "output " + out + " needs one scale and zero point");
    if (in.type == TensorType.INT16) ctx.require(in.zeroPoint() == 0, "int16 input needs zero point 0");
    if (out.type == TensorType.INT16) ctx.require(out.zeroPoint() == 0, "int16 output needs zero point 0");
    ctx.setOutputShape(0, in.shape);
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier((double) in.scale() / (double) out.scale());
    int zpIn = in.zeroPoint(), zpOut = out.zeroPoint(), n = in.size();
    int[] range = QuantMath.typeRange(out.type);
    int min = range[0], max = range[1];
    return () -> {
      for (int i = 0; i < n; i++) {
        int r = QuantMath.multiplyByQuantizedMultiplier(QuantMath.load(in, i) - zpIn, m.multiplier(), m.shift()) + zpOut;
        QuantMath.store(out, i, Math.max(Math.min(r, max), min));
      }
    };
  }
}
