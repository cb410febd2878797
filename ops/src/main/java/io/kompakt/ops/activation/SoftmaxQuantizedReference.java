package io.kompakt.ops.activation;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * SOFTMAX on quantized tensors over the last dimension, as TFLite's reference kernels (activations.cc
 * SoftmaxPrepare with kReference, reference/softmax.h).
 *
 * <p>int8 or uint8 input, output int8, uint8 or int16: gemmlowp fixed point. Differences from the row's maximum
 * are scaled by {@code beta * scale * 2^26} (PreprocessSoftmaxScaling, Q5.26); those below {@code diff_min}
 * (CalculateInputRadius) contribute nothing; {@code exp_on_negative_values} of the others is summed in Q12.19; the
 * reciprocal of the sum (GetReciprocal) scales each exp, rounding-shifted to the output's bits and offset by the
 * output type's minimum. Output scale is taken as {@code 2^-bits} (1/256 for 8 bits, 1/65536 for int16).
 *
 * <p>int16 input and output: TFLite's 513-entry lookup tables of exp on [-10, 0] and 1/(1+x) on [0, 1]
 * (SoftmaxInt16).
 */
final class SoftmaxQuantizedReference {
  private SoftmaxQuantizedReference() {}

  static final int SCALED_DIFF_INTEGER_BITS = 5;
  static final int ACCUMULATION_INTEGER_BITS = 12;

  static Kernel prepare(OpContext ctx, float beta) {
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    ctx.require(in.quantization.isQuantized(), "quantized input " + in + " needs a scale and zero point");
    ctx.require(in.rank() >= 1, "input must have at least one dimension, is " + in);
    ctx.setOutputShape(0, in.shape);
    int depth = in.dim(-1), rows = depth == 0 ? 0 : in.size() / depth;
    if (in.type == TensorType.INT16) {
      ctx.requireType(out, TensorType.INT16);
      ctx.require(in.zeroPoint() == 0 && out.zeroPoint() == 0, "int16 SOFTMAX needs zero points 0");
      ctx.require(Math.abs(out.scale() - 1f / 32768) <= 0.001f / 32768, "int16 SOFTMAX output scale must be 1/32768, is " + out.scale());
      return prepareInt16(in, out, beta, rows, depth);
    }
    ctx.requireType(out, TensorType.INT8, TensorType.UINT8, TensorType.INT16);
    ctx.require(out.type == in.type || out.type == TensorType.INT16,
        in.type.lowerName() + " input needs a " + in.type.lowerName() + " or int16 output, not " + out.type.lowerName());
    if (in.type == TensorType.INT8 && out.type == TensorType.INT8) {
      ctx.require(out.zeroPoint() == -128 && Math.abs(out.scale() - 1f / 256) <= 0.001f / 256,
          "int8 SOFTMAX output must have scale 1/256 and zero point -128, has " + out.quantization);
    }
    // PreprocessSoftmaxScaling: beta * scale * 2^(31 - 5), capped at 2^31 - 1, as a multiplier greater than one
    double real = Math.min((double) beta * (double) in.scale() * (double) (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1L << 31) - 1.0);
    ctx.require(real > 1, "beta * input scale " + real + " is too small for the fixed-point softmax");
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier(real);
    int diffMin = -QuantMath.calculateInputRadius(SCALED_DIFF_INTEGER_BITS, m.shift(), 31);
    int outBits = out.type == TensorType.INT16 ? 16 : 8;
    int outMin = QuantMath.typeRange(out.type)[0], outMax = QuantMath.typeRange(out.type)[1];
    int inMin = QuantMath.typeRange(in.type)[0];
    int[] numBitsOverUnit = new int[1];
    if (ctx.kernels() != io.kompakt.engine.run.Interpreter.Kernels.REFERENCE) {
      return tables(in, out, rows, depth, m, diffMin, outBits, outMin, outMax, inMin);
    }
    return () -> {
      for (int r = 0; r < rows; r++) {
        int base = r * depth;
        int maxInRow = inMin;
        for (int c = 0; c < depth; c++) maxInRow = Math.max(maxInRow, QuantMath.load(in, base + c));
        int sumOfExps = 0; // Q12.19
        for (int c = 0; c < depth; c++) {
          int diff = QuantMath.load(in, base + c) - maxInRow;
          if (diff >= diffMin) {
            int exp = QuantMath.expOnNegativeValues(
                QuantMath.multiplyByQuantizedMultiplierGreaterThanOne(diff, m.multiplier(), m.shift()), SCALED_DIFF_INTEGER_BITS);
            sumOfExps += QuantMath.saturatingRoundingMultiplyByPOT(exp, -ACCUMULATION_INTEGER_BITS);
          }
        }
        int shiftedScale = QuantMath.getReciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS, numBitsOverUnit);
        int exponent = numBitsOverUnit[0] + 31 - outBits;
        for (int c = 0; c < depth; c++) {
          int diff = QuantMath.load(in, base + c) - maxInRow;
          int v = outMin;
          if (diff >= diffMin) {
            int exp = QuantMath.expOnNegativeValues(
                QuantMath.multiplyByQuantizedMultiplierGreaterThanOne(diff, m.multiplier(), m.shift()), SCALED_DIFF_INTEGER_BITS);
            int unsat = divideByPOT(QuantMath.saturatingRoundingDoublingHighMul(shiftedScale, exp), exponent);
            v = Math.max(Math.min(unsat + outMin, outMax), outMin);
          }
          QuantMath.store(out, base + c, v);
        }
      }
    };
  }

  /**
   * The fast form of the 8-bit path (any kernel setting but REFERENCE): an 8-bit difference from the row's maximum
   * lies in [-255, 0], so its exp (and its share of the sum) are read from 256-entry tables made at prepare with the
   * same functions. Bit-identical to the loop above.
   */
  private static Kernel tables(RuntimeTensor in, RuntimeTensor out, int rows, int depth, QuantMath.Multiplier m, int diffMin,
                               int outBits, int outMin, int outMax, int inMin) {
    int[] exp = new int[256], acc = new int[256];
    boolean[] kept = new boolean[256];
    for (int d = 0; d < 256; d++) { // d = max - x
      kept[d] = -d >= diffMin;
      if (!kept[d]) continue;
      exp[d] = QuantMath.expOnNegativeValues(QuantMath.multiplyByQuantizedMultiplierGreaterThanOne(-d, m.multiplier(), m.shift()),
          SCALED_DIFF_INTEGER_BITS);
      acc[d] = QuantMath.saturatingRoundingMultiplyByPOT(exp[d], -ACCUMULATION_INTEGER_BITS);
    }
    boolean unsigned = in.type == TensorType.UINT8;
    int[] numBitsOverUnit = new int[1];
    return () -> {
      byte[] x = in.i8;
      int off = in.offset;
      for (int r = 0; r < rows; r++) {
        int base = off + r * depth;
        int maxInRow = inMin;
        if (unsigned) for (int c = 0; c < depth; c++) maxInRow = Math.max(maxInRow, x[base + c] & 0xFF);
        else for (int c = 0; c < depth; c++) maxInRow = Math.max(maxInRow, x[base + c]);
        int sumOfExps = 0; // Q12.19
        for (int c = 0; c < depth; c++) sumOfExps += acc[maxInRow - (unsigned ? x[base + c] & 0xFF : x[base + c])];
        int shiftedScale = QuantMath.getReciprocal(sumOfExps, ACCUMULATION_INTEGER_BITS, numBitsOverUnit);
        int exponent = numBitsOverUnit[0] + 31 - outBits;
        for (int c = 0; c < depth; c++) {
          int d = maxInRow - (unsigned ? x[base + c] & 0xFF : x[base + c]);
          int v = outMin;
          if (kept[d]) {
            int unsat = divideByPOT(QuantMath.saturatingRoundingDoublingHighMul(shiftedScale, exp[d]), exponent);
            v = Math.max(Math.min(unsat + outMin, outMax), outMin);
          }
          QuantMath.store(out, r * depth + c, v);
        }
      }
    };
  }

  /** int16 to int16 with TFLite's exp and 1/(1+x) tables (SoftmaxPrepare's LUTPopulate, reference SoftmaxInt16). */
  private static Kernel prepareInt16(RuntimeTensor in, RuntimeTensor out, float beta, int rows, int depth) {
    int range = Short.MAX_VALUE - Short.MIN_VALUE;
    short[] expLut = QuantMath.lutPopulate16(10.0 / range, Short.MAX_VALUE, 2.0 / range, 0, Math::exp);
    short[] oneOverOnePlusXLut = QuantMath.lutPopulate16(1.0 / range, Short.MIN_VALUE, 2.0 / range, 0, v -> 1.0 / (1.0 + v));
    // input scale * beta in float, then over 10/65535 in double: [-65535, 0] maps to [-10, 0]
    float scaleBeta = in.scale() * beta;
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier(scaleBeta / (10.0 / 65535.0));
    short[] exps = new short[depth];
    return () -> {
      short[] x = in.i16, y = out.i16;
      for (int r = 0; r < rows; r++) {
        int base = r * depth;
        int maxInRow = Short.MIN_VALUE;
        for (int c = 0; c < depth; c++) maxInRow = Math.max(maxInRow, x[in.offset + base + c]);
        int sumOfExps = 0; // Q16.15
        for (int c = 0; c < depth; c++) {
          int diff = x[in.offset + base + c] - maxInRow;
          int scaled = QuantMath.multiplyByQuantizedMultiplier(diff, m.multiplier(), m.shift());
          int sym = Math.min(Math.max(scaled + 32767, -32768), 32767);
          exps[c] = (short) QuantMath.lutLookup16(sym, expLut);
          sumOfExps += exps[c];
        }
        int headroomPlusOne = Integer.numberOfLeadingZeros(sumOfExps);
        int shiftedSum = (int) ((((long) sumOfExps << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
        int symShiftedSum = Math.min(Math.max(shiftedSum - ((1 << 15) + (1 << 16)), -32768), 32767);
        int reciprocal = QuantMath.lutLookup16(symShiftedSum, oneOverOnePlusXLut);
        int rightShift = 31 - headroomPlusOne;
        long round = 1L << (rightShift - 1);
        for (int c = 0; c < depth; c++) {
          int result = (int) (((long) exps[c] * reciprocal + round) >> rightShift);
          y[out.offset + base + c] = (short) Math.min(Math.max(result, 0), 32767);
        }
      }
    };
  }

  /**
   * gemmlowp's RoundingDivideByPOT, and beyond its range: a row of many near-equal values (a flat 1001-class softmax)
   * gives {@code exponent > 31}, where TFLite's reference shifts an int32 by 32 or more (undefined in C++); the exact
   * rounded quotient there is 0 (or -1 for -2^31 over 2^32, halves away from zero), which is what is returned.
   */
  static int divideByPOT(int x, int exponent) {
    if (exponent <= 31) return QuantMath.roundingDivideByPOT(x, exponent);
    if (exponent == 32 && x == Integer.MIN_VALUE) return -1;
    return 0;
  }
}
