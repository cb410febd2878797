package io.kompakt.ops.dense;

import static io.kompakt.ops.conv.IntegerDefinitions.bytes;
import static io.kompakt.ops.conv.IntegerDefinitions.shorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.common.QuantMath;
import io.kompakt.ops.conv.IntegerDefinitions;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The integer FULLY_CONNECTED kernels against {@link IntegerDefinitions}: int8 with per-channel weights (double
 * multipliers) or per-tensor weights (float-product multiplier, the weights' zero point kept), uint8, int16x8 with
 * int64, int32 or no bias; every output value equal.
 */
class FullyConnectedIntegerTest {
  enum Variant {
    INT8_PER_CHANNEL(TensorType.INT8, true, TensorType.INT32),
    INT8_PER_TENSOR(TensorType.INT8, false, TensorType.INT32),
    INT8_PER_TENSOR_NO_BIAS(TensorType.INT8, false, null),
    UINT8(TensorType.UINT8, false, TensorType.INT32),
    INT16_INT64_BIAS(TensorType.INT16, false, TensorType.INT64),
    INT16_PER_CHANNEL_INT32_BIAS(TensorType.INT16, true, TensorType.INT32),
    INT16_NO_BIAS(TensorType.INT16, true, null);

    final TensorType type;
    final boolean perChannel;
    final TensorType bias;

    Variant(TensorType type, boolean perChannel, TensorType bias) {
      this.type = type;
      this.perChannel = perChannel;
      this.bias = bias;
    }
  }

  @Provide
  Arbitrary<Integer> sizes() { return Arbitraries.of(1, 2, 3, 5, 7, 9, 15, 17, 33); }

  @Property(tries = 200)
  void matchesTheDefinition(@ForAll Variant v, @ForAll("sizes") int depth, @ForAll("sizes") int units, @ForAll long seed) {
    Random r = new Random(seed);
    int batch = 1 + r.nextInt(3);
    boolean int16 = v.type == TensorType.INT16, keepDims = r.nextBoolean();
    int[] range = IntegerDefinitions.typeRange(v.type);
    int zpIn = int16 ? 0 : IntegerDefinitions.zeroPoint(r, range[0], range[1]);
    int zpOut = int16 ? 0 : IntegerDefinitions.zeroPoint(r, range[0], range[1]);
    // per-tensor weights keep their zero point (TFLite's backward compatibility); int8 ones anywhere in [-128, 127]
    int zpW = v.perChannel ? 0 : v.type == TensorType.UINT8 ? IntegerDefinitions.zeroPoint(r, 0, 255)
        : IntegerDefinitions.zeroPoint(r, -128, 127);
    float sIn = IntegerDefinitions.scale(r);
    float[] sW = new float[v.perChannel ? units : 1];
    sW[0] = IntegerDefinitions.scale(r);
    for (int u = 1; u < sW.length; u++) sW[u] = (float) (sW[0] * Math.pow(2, 6 * r.nextDouble() - 3));
    double typical = (int16 ? 32768.0 : 128.0) * 128 * Math.sqrt(depth);
    double real = r.nextInt(6) == 0 ? Math.pow(2, -32 + 36 * r.nextDouble()) : (int16 ? 8192 : 48) / typical * Math.pow(2, 4 * r.nextDouble() - 2);
    if (int16) real = Math.min(real, 4);
    float sOut = (float) (sIn * sW[0] / real);
    String activation = 6f / sOut > 1e9f ? "NONE" : IntegerDefinitions.ACTIVATIONS[r.nextInt(4)];
    int[] clamp = IntegerDefinitions.clamp(activation, sOut, zpOut, v.type);

    int[] x = IntegerDefinitions.values(r, batch * depth, range[0], range[1]);
    int[] w = v.type == TensorType.UINT8 ? IntegerDefinitions.values(r, units * depth, 0, 255) : IntegerDefinitions.values(r, units * depth, -128, 127);
    long[] bias = new long[units];
    for (int u = 0; u < units; u++) bias[u] = (long) ((r.nextDouble() * 2 - 1) * typical * 2);
    TensorType wType = v.type == TensorType.UINT8 ? TensorType.UINT8 : TensorType.INT8;
    Quantization qW = v.perChannel ? IntegerDefinitions.perChannel(sW, 0) : Quantization.perTensor(sW[0], zpW);
    OpTester t = OpTester.op("FULLY_CONNECTED").options(FullyConnectedTest.options(activation, keepDims))
        .input(v.type, new int[] {batch, depth}, int16 ? shorts(x) : bytes(x), Quantization.perTensor(sIn, zpIn))
        .constant(wType, new int[] {units, depth}, bytes(w), qW);
    if (v.bias == TensorType.INT64) t.constant(TensorType.INT64, new int[] {units}, bias);
    if (v.bias == TensorType.INT32) {
      int[] b32 = new int[units];
      for (int u = 0; u < units; u++) b32[u] = (int) bias[u];
      t.constant(TensorType.INT32, new int[] {units}, b32);
    }
    int[] got = OpTester.ints(t.output(v.type, new int[0], Quantization.perTensor(sOut, zpOut)).run().getOutputTensor(0));
    assertArrayEquals(new int[] {batch, units}, t.outputTensor(0).shape);

    // TFLite: int16 accumulates in 64 bits unless the bias is int32
    boolean wide = int16 && v.bias != TensorType.INT32;
    int[] want = new int[batch * units];
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        long acc = v.bias == null ? 0 : v.bias == TensorType.INT32 ? (int) bias[u] : bias[u];
        for (int d = 0; d < depth; d++) acc += (long) (x[b * depth + d] - zpIn) * (w[u * depth + d] - zpW);
        QuantMath.Multiplier m = v.perChannel ? IntegerDefinitions.perChannelMultiplier(sIn, sW[u], sOut)
            : IntegerDefinitions.floatProductMultiplier(sIn, sW[0], sOut);
        want[b * units + u] = IntegerDefinitions.requantize(acc, wide, m, zpOut, clamp);
      }
    }
    assertArrayEquals(want, got, v + " " + activation);
  }

  /**
   * Per-tensor int8 weights take GetQuantizedConvolutionMultipler's float product, unlike int8 CONV_2D: an
   * accumulator (through the bias) on which the two roundings disagree shows the kernel used the float one.
   */
  @Property(tries = 30)
  void perTensorInt8TakesTheFloatProductMultiplier(@ForAll long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 1000; i++) {
      float sIn = IntegerDefinitions.scale(r), sW = IntegerDefinitions.scale(r);
      float sOut = (float) (sIn * sW * (1 << 14) * (1 + r.nextDouble()));
      QuantMath.Multiplier f = IntegerDefinitions.floatProductMultiplier(sIn, sW, sOut), d = IntegerDefinitions.perChannelMultiplier(sIn, sW, sOut);
      if (f.equals(d)) continue;
      for (int k = 0; k < 4_000_000; k++) {
        int acc = r.nextInt(1 << 21) - (1 << 20);
        int want = QuantMath.multiplyByQuantizedMultiplier(acc, f.multiplier(), f.shift());
        if (want == QuantMath.multiplyByQuantizedMultiplier(acc, d.multiplier(), d.shift())) continue;
        int got = OpTester.ints(OpTester.op("FULLY_CONNECTED").options(FullyConnectedTest.options("NONE", false))
            .input(TensorType.INT8, new int[] {1, 1}, new byte[] {0}, Quantization.perTensor(sIn, 0))
            .constant(TensorType.INT8, new int[] {1, 1}, new byte[] {1}, Quantization.perTensor(sW, 0))
            .constant(TensorType.INT32, new int[] {1}, new int[] {acc})
            .output(TensorType.INT8, new int[0], Quantization.perTensor(sOut, 0)).run().getOutputTensor(0))[0];
        assertEquals(Math.max(-128, Math.min(127, want)), got, sIn + " " + sW + " " + sOut + " acc " + acc);
        return;
      }
    }
  }

  /** Hybrid FULLY_CONNECTED with uint8 weights (int8 ones run: FullyConnectedHybridTest) is refused with a message that says so. */
  @org.junit.jupiter.api.Test
  void hybridIsRefusedClearly() {
    FullyConnectedTest.assertRefused(OpTester.op("FULLY_CONNECTED").options(FullyConnectedTest.options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {1, 2}, new float[2])
        .constant(TensorType.UINT8, new int[] {1, 2}, new byte[2], Quantization.perTensor(0.1f, 0))
        .output(TensorType.FLOAT32), "hybrid");
  }
}
