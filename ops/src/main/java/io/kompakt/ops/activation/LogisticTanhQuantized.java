package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * LOGISTIC and TANH on quantized tensors, as TFLite's SigmoidPrepare / TanhPrepare and evals with kReference.
 *
 * <p>int8 and uint8: a 256-entry table made at prepare by LUTPopulate (float arithmetic: dequantize, apply the
 * function, divide by the output scale, round half away from zero, add the zero point, clamp). LOGISTIC requires
 * the output scale 1/256 (TFLite's check).
 *
 * <p>int16 (zero points 0; output scale 2^-15): reference_integer_ops::Logistic / Tanh, linear interpolation in
 * TFLite's 256-entry table of sigmoid(i/24) (tanh(x) = 2 sigmoid(2x) - 1). A power-of-two input scale uses the
 * multiplier 3 << shift (shift 0 for LOGISTIC; 0 or 1 for TANH, from 12 + log2(scale)); any other scale uses an
 * integer multiplier: {@code scale * 4096 * 3} doubled (with the shift counted) until above 16383.5.
 */
final class LogisticTanhQuantized {
  private LogisticTanhQuantized() {}

  static Kernel prepare(OpContext ctx, boolean tanh) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.requireType(out, in.type);
    ctx.require(in.quantization.isQuantized() && out.quantization.isQuantized(), "quantized input and output need a scale and zero point");
    ctx.setOutputShape(0, in.shape);
    int n = in.size();
    if (in.type == TensorType.INT8 || in.type == TensorType.UINT8) {
      if (!tanh) ctx.require(out.scale() == 1f / 256, "LOGISTIC output scale must be 1/256, is " + out.scale());
      QuantMath.FloatFunction f = tanh ? x -> (float) Math.tanh(x) : x -> 1.0f / (1.0f + (float) Math.exp(-x));
      byte[] lut = QuantMath.lutPopulate8(in.type == TensorType.UINT8, in.scale(), in.zeroPoint(), out.scale(), out.zeroPoint(), f);
      return () -> {
        byte[] x = in.i8, y = out.i8;
        for (int i = 0; i < n; i++) y[out.offset + i] = lut[x[in.offset + i] & 0xFF];
      };
    }
    // int16
    ctx.require(in.zeroPoint() == 0 && out.zeroPoint() == 0, "int16 input and output need zero points 0");
    if (!tanh) ctx.require(out.scale() == 1f / 32768, "int16 LOGISTIC output scale must be 1/32768, is " + out.scale());
    Integer outLog2 = QuantMath.checkedLog2(out.scale());
    ctx.require(outLog2 != null && outLog2 == -15, "int16 output scale must be 2^-15, is " + out.scale());
    Integer inLog2 = QuantMath.checkedLog2(in.scale());
    int leftShift = inLog2 == null ? 0 : 12 + inLog2;
    boolean pot = inLog2 != null && (leftShift == 0 || (tanh && leftShift == 1));
    int multiplier = 0;
    if (!pot) {
      double m = in.scale() * 4096.0 * 3.0;
      leftShift = 0;
      while (m <= 32767.0 / 2.0 && leftShift <= 30) {
        leftShift++;
        m *= 2.0;
      }
      multiplier = (int) m;
    }
    // the kernels' power-of-two case: multiplier 3 << shift, no shift
    if (multiplier == 0) {
      multiplier = 3 << leftShift;
      leftShift = 0;
    }
    int mul = multiplier, shift = leftShift, round = shift > 0 ? 1 << (shift - 1) : 0;
    return () -> {
      short[] x = in.i16, y = out.i16;
      for (int i = 0; i < n; i++) {
        int v = (x[in.offset + i] * mul + round) >> shift;
        y[out.offset + i] = (short) (tanh ? tanh16(v) : logistic16(v));
      }
    };
  }

  /** reference_integer_ops::Logistic (int16) on the rescaled input. */
  static int logistic16(int inputData) {
    int[] table = QuantMath.SIGMOID_TABLE_UINT16;
    long abs = Math.abs((long) inputData) & 0xFFFFFFFFL;
    long uh = abs >> 9;
    long result;
    if (uh >= 255) {
      result = 0x7FFFL << 10;
    } else {
      long ua = table[(int) uh], ub = table[(int) uh + 1];
      long ut = abs & 0x1ff;
      result = ((ua << 9) + ut * (ub - ua)) & 0xFFFFFFFFL;
    }
    result = inputData >= 0 ? result + (1 << 9) : (1L << (16 + 9)) - result + (1 << 9) - 1;
    result = (result & 0xFFFFFFFFL) >> 10;
    return (short) result;
  }

  /** reference_integer_ops::Tanh (int16) on the rescaled input. */
  static int tanh16(int inputData) {
    int[] table = QuantMath.SIGMOID_TABLE_UINT16;
    long abs = Math.abs((long) inputData) & 0xFFFFFFFFL;
    long uh = abs >> 8;
    int result;
    if (uh >= 255) {
      result = 0xFFFF << 8;
    } else {
      long ua = table[(int) uh], ub = table[(int) uh + 1];
      long ut = abs & 0xFF;
      result = (int) ((ua << 8) + ut * (ub - ua));
    }
    result = inputData >= 0 ? result - (1 << (14 + 9)) + (1 << (9 - 2)) : -result + (1 << (14 + 9)) + (1 << (9 - 2)) - 1;
    result >>= 9 - 1;
    return (short) result;
  }
}
