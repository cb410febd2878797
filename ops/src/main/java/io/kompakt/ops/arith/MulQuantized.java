package io.kompakt.ops.arith;

import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Broadcast;
import io.kompakt.ops.common.QuantMath;

/**
 * MUL on int8, uint8 and int16, as TFLite's reference kernels (mul.cc; integer_ops/mul.h MulElementwise,
 * reference/mul.h): {@code out = zp_out + MultiplyByQuantizedMultiplier((a - zp_a) * (b - zp_b), m, shift)}
 * clamped to the fused activation's range, with {@code m, shift} from {@code scale_a * scale_b / scale_out} in
 * double, and NumPy broadcasting.
 */
final class MulQuantized {
  private MulQuantized() {}

  static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
    ctx.require(b.type == a.type, "inputs " + a + " and " + b + " differ in type");
    ctx.require(out.type == a.type, "output " + out + " differs in type from the inputs " + a.type.lowerName());
    ctx.require(a.quantization.isQuantized() && b.quantization.isQuantized() && out.quantization.isQuantized(),
        "quantized " + a.type.lowerName() + " inputs and output need a scale and zero point");
    int[] shape = Broadcast.shape(ctx, a.shape, b.shape);
    ctx.setOutputShape(0, shape);
    String act = ctx.options("MulOptions").getEnumName("fused_activation_function");
    int[] type = QuantMath.typeRange(out.type);
    int[] range = QuantMath.activationRange(act, out.scale(), out.zeroPoint(), type[0], type[1]);
    double real = (double) a.scale() * (double) b.scale() / (double) out.scale();
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier(real);
    int zpA = a.zeroPoint(), zpB = b.zeroPoint(), zpOut = out.zeroPoint(), min = range[0], max = range[1];
    int[] ia = Broadcast.indexMap(a.shape, shape), ib = Broadcast.indexMap(b.shape, shape);
    return () -> {
      for (int i = 0; i < ia.length; i++) {
        int x = QuantMath.load(a, ia[i]) - zpA, y = QuantMath.load(b, ib[i]) - zpB;
        int r = zpOut + QuantMath.multiplyByQuantizedMultiplier(x * y, m.multiplier(), m.shift());
        QuantMath.store(out, i, Math.min(max, Math.max(min, r)));
      }
    };
  }
}
