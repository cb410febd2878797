package io.kompakt.ops.conv;

import static io.kompakt.ops.conv.IntegerDefinitions.bytes;
import static io.kompakt.ops.conv.IntegerDefinitions.shorts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.common.QuantMath;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The integer CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV kernels (int8 per-channel and per-tensor, uint8 legacy,
 * int16x8 with int64, int32 or no bias) against {@link IntegerDefinitions}: every output value equal, over random
 * shapes, channel counts that are not multiples of 4 or 8, strides, dilations, padding, zero points at the ends of
 * their ranges and scales across many binades.
 */
class ConvIntegerTest {
  /** Kernel variants: activation type, and how the weights and bias are quantized. */
  enum Variant {
    INT8_PER_CHANNEL(TensorType.INT8, true, TensorType.INT32),
    INT8_PER_TENSOR(TensorType.INT8, false, TensorType.INT32),
    INT8_NO_BIAS(TensorType.INT8, true, null),
    UINT8(TensorType.UINT8, false, TensorType.INT32),
    UINT8_NO_BIAS(TensorType.UINT8, false, null),
    INT16_INT64_BIAS(TensorType.INT16, true, TensorType.INT64),
    INT16_INT32_BIAS(TensorType.INT16, true, TensorType.INT32),
    INT16_PER_TENSOR(TensorType.INT16, false, TensorType.INT64),
    INT16_NO_BIAS(TensorType.INT16, true, null);

    final TensorType type;
    final boolean perChannel;
    final TensorType bias;

    Variant(TensorType type, boolean perChannel, TensorType bias) {
      this.type = type;
      this.perChannel = perChannel;
      this.bias = bias;
    }

    TensorType filterType() { return type == TensorType.UINT8 ? TensorType.UINT8 : TensorType.INT8; }
  }

  @Provide
  Arbitrary<Integer> channels() { return Arbitraries.of(1, 2, 3, 5, 7, 9, 13, 17); }

  /** Quantization of one random case: input, filter (per channel or not), output, and the values. */
  static final class Q {
    final Variant v;
    final int zpIn, zpOut, zpW;
    final float sIn, sOut;
    final float[] sW;
    final String activation;
    final int[] clamp;

    Q(Variant v, Random r, int channels, int taps) {
      this.v = v;
      int[] range = IntegerDefinitions.typeRange(v.type);
      boolean int16 = v.type == TensorType.INT16;
      zpIn = int16 ? 0 : IntegerDefinitions.zeroPoint(r, range[0], range[1]);
      zpOut = int16 ? 0 : IntegerDefinitions.zeroPoint(r, range[0], range[1]);
      zpW = v.type == TensorType.UINT8 ? IntegerDefinitions.zeroPoint(r, 0, 255) : 0;
      sIn = IntegerDefinitions.scale(r);
      sW = new float[v.perChannel ? channels : 1];
      sW[0] = IntegerDefinitions.scale(r);
      for (int c = 1; c < sW.length; c++) sW[c] = (float) (sW[0] * Math.pow(2, 6 * r.nextDouble() - 3)); // within 8x
      // the output scale makes the real multiplier typical for the accumulators (outputs mostly inside the range),
      // or, one case in six, extreme (2^-32 .. 2^4: flushed to zero, saturating)
      double typicalAcc = (int16 ? 32768.0 : 128.0) * 128 * Math.sqrt(taps);
      double real = r.nextInt(6) == 0 ? Math.pow(2, -32 + 36 * r.nextDouble())
          : (int16 ? 8192 : 48) / typicalAcc * Math.pow(2, 4 * r.nextDouble() - 2);
      if (int16) real = Math.min(real, 4); // 64-bit requantization takes shifts < 8 (multipliers under 128), 8x per channel
      sOut = (float) (sIn * sW[0] / real);
      // (bounds that leave int32 when quantized are refused, as by TFLite: no activation then)
      activation = 6f / sOut > 1e9f ? "NONE" : IntegerDefinitions.ACTIVATIONS[r.nextInt(4)];
      clamp = IntegerDefinitions.clamp(activation, sOut, zpOut, v.type);
    }

    Quantization in() { return Quantization.perTensor(sIn, zpIn); }

    Quantization out() { return Quantization.perTensor(sOut, zpOut); }

    Quantization filter(int dim) {
      return sW.length > 1 ? IntegerDefinitions.perChannel(sW, dim) : Quantization.perTensor(sW[0], zpW);
    }

    /** The multiplier of channel c as TFLite derives it for this variant. */
    QuantMath.Multiplier multiplier(int c) {
      float w = sW.length > 1 ? sW[c] : sW[0];
      return v.type == TensorType.UINT8 ? IntegerDefinitions.floatProductMultiplier(sIn, w, sOut)
          : IntegerDefinitions.perChannelMultiplier(sIn, w, sOut);
    }

    boolean wide() { return v.bias == TensorType.INT64; }

    int[] activations(Random r, int n) {
      int[] range = IntegerDefinitions.typeRange(v.type);
      return IntegerDefinitions.values(r, n, range[0], range[1]);
    }

    int[] weights(Random r, int n) {
      return v.filterType() == TensorType.UINT8 ? IntegerDefinitions.values(r, n, 0, 255) : IntegerDefinitions.values(r, n, -127, 127);
    }

    long[] bias(Random r, int n, int taps) {
      long[] b = new long[n];
      double typical = (v.type == TensorType.INT16 ? 32768.0 : 128.0) * 128 * Math.sqrt(taps);
      for (int i = 0; i < n; i++) {
        int k = r.nextInt(12);
        b[i] = k == 0 ? (v.bias == TensorType.INT64 ? (1L << 40) : Integer.MAX_VALUE / 2)
            : k == 1 ? -(1L << 30) : (long) ((r.nextDouble() * 2 - 1) * typical * 2);
      }
      return b;
    }

    Object typed(int[] values, TensorType t) {
      return t == TensorType.INT16 ? shorts(values) : bytes(values);
    }

    OpTester addBias(OpTester t, long[] bias) {
      if (v.bias == TensorType.INT64) return t.constant(TensorType.INT64, new int[] {bias.length}, bias);
      int[] b = new int[bias.length];
      for (int i = 0; i < b.length; i++) b[i] = (int) bias[i];
      return t.constant(TensorType.INT32, new int[] {bias.length}, b);
    }
  }

  // ---- CONV_2D

  @Property(tries = 150)
  void conv2dMatchesTheDefinition(@ForAll Variant variant, @ForAll("channels") int inC, @ForAll("channels") int outC,
                                  @ForAll long seed) {
    Random r = new Random(seed);
    int batch = 1 + r.nextInt(2), kH = 1 + r.nextInt(3), kW = 1 + r.nextInt(3), sH = 1 + r.nextInt(3), sW = 1 + r.nextInt(3);
    int dH = 1 + r.nextInt(2), dW = 1 + r.nextInt(2);
    boolean same = r.nextBoolean();
    int inH = 1 + r.nextInt(6), inW = 1 + r.nextInt(6);
    if (!same && (Padding(kH, dH) > inH || Padding(kW, dW) > inW)) same = true;
    Q q = new Q(variant, r, outC, kH * kW * inC);
    int[] x = q.activations(r, batch * inH * inW * inC), w = q.weights(r, outC * kH * kW * inC);
    long[] bias = q.bias(r, outC, kH * kW * inC);
    OpTester t = OpTester.op("CONV_2D")
        .options(FlatTable.of("Conv2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_h", sH).set("stride_w", sW)
            .set("dilation_h_factor", dH).set("dilation_w_factor", dW).set("fused_activation_function", q.activation))
        .input(variant.type, new int[] {batch, inH, inW, inC}, q.typed(x, variant.type), q.in())
        .constant(variant.filterType(), new int[] {outC, kH, kW, inC}, bytes(w), q.filter(0));
    if (variant.bias != null) q.addBias(t, bias);
    int[] got = OpTester.ints(t.output(variant.type, new int[0], q.out()).run().getOutputTensor(0));

    int outH = DepthwiseConv2DTest.outSize(same, inH, kH, sH, dH), outW = DepthwiseConv2DTest.outSize(same, inW, kW, sW, dW);
    int padT = DepthwiseConv2DTest.padBefore(same, inH, kH, sH, dH, outH), padL = DepthwiseConv2DTest.padBefore(same, inW, kW, sW, dW, outW);
    assertArrayEquals(new int[] {batch, outH, outW, outC}, t.outputTensor(0).shape);
    int[] want = new int[got.length];
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
          for (int oc = 0; oc < outC; oc++) {
            long acc = variant.bias != null ? bias[oc] : 0;
            if (variant.bias == TensorType.INT32) acc = (int) acc;
            for (int ky = 0; ky < kH; ky++)
              for (int kx = 0; kx < kW; kx++) {
                int iy = oy * sH - padT + ky * dH, ix = ox * sW - padL + kx * dW;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                for (int ic = 0; ic < inC; ic++) {
                  acc += (long) (x[((b * inH + iy) * inW + ix) * inC + ic] - q.zpIn) * (w[((oc * kH + ky) * kW + kx) * inC + ic] - q.zpW);
                }
              }
            want[((b * outH + oy) * outW + ox) * outC + oc] = IntegerDefinitions.requantize(acc, q.wide(), q.multiplier(oc), q.zpOut, q.clamp);
          }
    assertArrayEquals(want, got, variant + " " + q.activation);
  }

  private static int Padding(int k, int d) { return (k - 1) * d + 1; }

  // ---- DEPTHWISE_CONV_2D

  @Provide
  Arbitrary<Variant> depthwiseVariants() {
    return Arbitraries.of(Variant.INT8_PER_CHANNEL, Variant.INT8_PER_TENSOR, Variant.INT8_NO_BIAS, Variant.UINT8,
        Variant.UINT8_NO_BIAS, Variant.INT16_INT64_BIAS, Variant.INT16_PER_TENSOR, Variant.INT16_NO_BIAS);
  }

  @Property(tries = 150)
  void depthwiseMatchesTheDefinition(@ForAll("depthwiseVariants") Variant variant, @ForAll("channels") int inC,
                                     @ForAll long seed) {
    Random r = new Random(seed);
    int mult = 1 + r.nextInt(3), outC = inC * mult;
    int batch = 1 + r.nextInt(2), kH = 1 + r.nextInt(3), kW = 1 + r.nextInt(3), sH = 1 + r.nextInt(3), sW = 1 + r.nextInt(3);
    int dH = 1 + r.nextInt(2), dW = 1 + r.nextInt(2);
    boolean same = r.nextBoolean();
    int inH = 1 + r.nextInt(7), inW = 1 + r.nextInt(7);
    if (!same && (Padding(kH, dH) > inH || Padding(kW, dW) > inW)) same = true;
    Q q = new Q(variant, r, outC, kH * kW);
    int[] x = q.activations(r, batch * inH * inW * inC), w = q.weights(r, kH * kW * outC);
    long[] bias = q.bias(r, outC, kH * kW);
    OpTester t = OpTester.op("DEPTHWISE_CONV_2D")
        .options(DepthwiseConv2DTest.options(same ? "SAME" : "VALID", 1, 1, mult, q.activation)
            .set("stride_h", sH).set("stride_w", sW).set("dilation_h_factor", dH).set("dilation_w_factor", dW))
        .input(variant.type, new int[] {batch, inH, inW, inC}, q.typed(x, variant.type), q.in())
        .constant(variant.filterType(), new int[] {1, kH, kW, outC}, bytes(w), q.filter(3));
    if (variant.bias != null) q.addBias(t, bias);
    int[] got = OpTester.ints(t.output(variant.type, new int[0], q.out()).run().getOutputTensor(0));

    int outH = DepthwiseConv2DTest.outSize(same, inH, kH, sH, dH), outW = DepthwiseConv2DTest.outSize(same, inW, kW, sW, dW);
    int padT = DepthwiseConv2DTest.padBefore(same, inH, kH, sH, dH, outH), padL = DepthwiseConv2DTest.padBefore(same, inW, kW, sW, dW, outW);
    int[] want = new int[got.length];
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
          for (int oc = 0; oc < outC; oc++) {
            int ic = oc / mult;
            long acc = variant.bias != null ? bias[oc] : 0;
            if (variant.bias == TensorType.INT32) acc = (int) acc;
            for (int ky = 0; ky < kH; ky++)
              for (int kx = 0; kx < kW; kx++) {
                int iy = oy * sH - padT + ky * dH, ix = ox * sW - padL + kx * dW;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                acc += (long) (x[((b * inH + iy) * inW + ix) * inC + ic] - q.zpIn) * (w[(ky * kW + kx) * outC + oc] - q.zpW);
              }
            // TFLite's 16x8 depthwise always accumulates in 64 bits (its bias is int64)
            boolean wide = q.wide() || variant.type == TensorType.INT16;
            want[((b * outH + oy) * outW + ox) * outC + oc] = IntegerDefinitions.requantize(acc, wide, q.multiplier(oc), q.zpOut, q.clamp);
          }
    assertArrayEquals(want, got, variant + " " + q.activation);
  }

  // ---- TRANSPOSE_CONV

  /**
   * The definition as a gather (the kernel scatters): out(oy, ox, oc) sums (x - zpIn)(w - zpW) over the input
   * positions iy with iy * stride - pad + ky = oy. The output_shape is a constant or, in half the cases, a runtime
   * input equal to the shape the model declares for the output.
   */
  @Property(tries = 150)
  void transposeConvMatchesTheDefinition(@ForAll Variant variant, @ForAll("channels") int inC, @ForAll("channels") int outC,
                                         @ForAll long seed) {
    Random r = new Random(seed);
    int batch = 1 + r.nextInt(2), inH = 1 + r.nextInt(4), inW = 1 + r.nextInt(4), kH = 1 + r.nextInt(4), kW = 1 + r.nextInt(4);
    int sH = 1 + r.nextInt(3), sW = 1 + r.nextInt(3), outH = 1 + r.nextInt(9), outW = 1 + r.nextInt(9);
    boolean same = r.nextBoolean(), runtimeShape = r.nextBoolean();
    Q q = new Q(variant, r, outC, Math.max(1, kH * kW * inC / (sH * sW)));
    int[] x = q.activations(r, batch * inH * inW * inC), w = q.weights(r, outC * kH * kW * inC);
    long[] bias = q.bias(r, outC, kH * kW * inC);
    int[] shape = {batch, outH, outW, outC};
    OpTester t = OpTester.op("TRANSPOSE_CONV").options(TransposeConvTest.options(same ? "SAME" : "VALID", 1, q.activation)
        .set("stride_h", sH).set("stride_w", sW));
    if (runtimeShape) t.input(TensorType.INT32, new int[] {4}, shape.clone());
    else t.constant(TensorType.INT32, new int[] {4}, shape.clone());
    t.constant(variant.filterType(), new int[] {outC, kH, kW, inC}, bytes(w), q.filter(0))
        .input(variant.type, new int[] {batch, inH, inW, inC}, q.typed(x, variant.type), q.in());
    if (variant.bias != null) q.addBias(t, bias);
    t.output(variant.type, runtimeShape ? shape : new int[0], q.out());
    int[] got = OpTester.ints(t.run().getOutputTensor(0));
    assertArrayEquals(shape, t.outputTensor(0).shape);

    int padT = TransposeConvTest.fwdPad(same, outH, kH, sH), padL = TransposeConvTest.fwdPad(same, outW, kW, sW);
    int[] want = new int[got.length];
    for (int b = 0; b < batch; b++)
      for (int oy = 0; oy < outH; oy++)
        for (int ox = 0; ox < outW; ox++)
          for (int oc = 0; oc < outC; oc++) {
            long acc = variant.bias != null ? bias[oc] : 0;
            if (variant.bias == TensorType.INT32) acc = (int) acc;
            for (int ky = 0; ky < kH; ky++)
              for (int kx = 0; kx < kW; kx++) {
                int ny = oy + padT - ky, nx = ox + padL - kx;
                if (ny < 0 || nx < 0 || ny % sH != 0 || nx % sW != 0 || ny / sH >= inH || nx / sW >= inW) continue;
                int iy = ny / sH, ix = nx / sW;
                for (int ic = 0; ic < inC; ic++) {
                  acc += (long) (x[((b * inH + iy) * inW + ix) * inC + ic] - q.zpIn) * (w[((oc * kH + ky) * kW + kx) * inC + ic] - q.zpW);
                }
              }
            // int16 without a bias: the option quantized_bias_type (FLOAT32 here) leaves TFLite's scratch int64
            boolean wide = q.wide() || (variant.type == TensorType.INT16 && variant.bias == null);
            want[((b * outH + oy) * outW + ox) * outC + oc] = IntegerDefinitions.requantize(acc, wide, q.multiplier(oc), q.zpOut, q.clamp);
          }
    assertArrayEquals(want, got, variant + " " + q.activation + " runtime shape " + runtimeShape);
  }

  /** The accumulator width of an int16 CONV_2D follows the bias: the 32-bit and 64-bit roundings differ here. */
  @Property(tries = 30)
  void int16AccumulatorWidthFollowsTheBias(@ForAll long seed) {
    Random r = new Random(seed);
    // one tap, x = 1, w = 1: acc = 1 + bias; a multiplier whose 16-bit reduction changes the rounding
    float sIn = 1f, sW = 1f, sOut = (float) (1 / (0.3 + 0.4 * r.nextDouble()));
    QuantMath.Multiplier m = IntegerDefinitions.perChannelMultiplier(sIn, sW, sOut);
    int bias = -1;
    for (int tries = 0; tries < 100000 && bias < 0; tries++) {
      int b = r.nextInt(40000) - 20000;
      if (QuantMath.multiplyByQuantizedMultiplier((long) b + 1, m.multiplier(), m.shift())
          != QuantMath.multiplyByQuantizedMultiplier(b + 1, m.multiplier(), m.shift())) bias = b;
    }
    if (bias < 0) return;
    for (TensorType biasType : new TensorType[] {TensorType.INT32, TensorType.INT64}) {
      OpTester t = OpTester.op("CONV_2D").options(FlatTable.of("Conv2DOptions").set("stride_h", 1).set("stride_w", 1))
          .input(TensorType.INT16, new int[] {1, 1, 1, 1}, new short[] {1}, Quantization.perTensor(sIn, 0))
          .constant(TensorType.INT8, new int[] {1, 1, 1, 1}, new byte[] {1}, Quantization.perTensor(sW, 0));
      if (biasType == TensorType.INT32) t.constant(TensorType.INT32, new int[] {1}, new int[] {bias});
      else t.constant(TensorType.INT64, new int[] {1}, new long[] {bias});
      int got = OpTester.ints(t.output(TensorType.INT16, new int[0], Quantization.perTensor(sOut, 0)).run().getOutputTensor(0))[0];
      int want = biasType == TensorType.INT64 ? QuantMath.multiplyByQuantizedMultiplier((long) bias + 1, m.multiplier(), m.shift())
          : QuantMath.multiplyByQuantizedMultiplier(bias + 1, m.multiplier(), m.shift());
      assertEquals(Math.max(-32768, Math.min(32767, want)), got, biasType + " bias " + bias);
    }
  }

  /**
   * Where TFLite computes the real multiplier decides bits: int8 convolutions take {@code (double) sIn * sW / sOut},
   * uint8 ones {@code (double) (float) (sIn * sW) / sOut}. With scales whose two multipliers differ, an accumulator
   * (set through the bias) on which the two roundings disagree shows which one the kernel used.
   */
  @Property(tries = 30)
  void realMultiplierIsDerivedWhereTfliteDerivesIt(@ForAll long seed, @ForAll boolean uint8) {
    Random r = new Random(seed);
    float sIn = 0, sW = 0, sOut = 0;
    QuantMath.Multiplier wanted = null, other = null;
    for (int i = 0; i < 1000 && wanted == null; i++) {
      sIn = IntegerDefinitions.scale(r);
      sW = IntegerDefinitions.scale(r);
      sOut = (float) (sIn * sW * (1 << 14) * (1 + r.nextDouble()));
      QuantMath.Multiplier d = IntegerDefinitions.perChannelMultiplier(sIn, sW, sOut), f = IntegerDefinitions.floatProductMultiplier(sIn, sW, sOut);
      if (d.equals(f)) continue;
      wanted = uint8 ? f : d;
      other = uint8 ? d : f;
    }
    if (wanted == null) return;
    int acc = 0;
    boolean found = false;
    for (int i = 0; i < 4_000_000 && !found; i++) {
      acc = r.nextInt(1 << 21) - (1 << 20);
      found = QuantMath.multiplyByQuantizedMultiplier(acc, wanted.multiplier(), wanted.shift())
          != QuantMath.multiplyByQuantizedMultiplier(acc, other.multiplier(), other.shift());
    }
    if (!found) return;
    TensorType type = uint8 ? TensorType.UINT8 : TensorType.INT8;
    int zp = uint8 ? 128 : 0;
    int got = OpTester.ints(OpTester.op("CONV_2D").options(FlatTable.of("Conv2DOptions").set("stride_h", 1).set("stride_w", 1))
        .input(type, new int[] {1, 1, 1, 1}, new byte[] {(byte) zp}, Quantization.perTensor(sIn, zp))
        .constant(type, new int[] {1, 1, 1, 1}, new byte[] {(byte) (zp + 1)}, Quantization.perTensor(sW, zp))
        .constant(TensorType.INT32, new int[] {1}, new int[] {acc})
        .output(type, new int[0], Quantization.perTensor(sOut, zp)).run().getOutputTensor(0))[0];
    int want = QuantMath.multiplyByQuantizedMultiplier(acc, wanted.multiplier(), wanted.shift()) + zp;
    assertEquals(Math.max(uint8 ? 0 : -128, Math.min(uint8 ? 255 : 127, want)), got,
        Arrays.toString(new float[] {sIn, sW, sOut}) + " acc " + acc);
  }

  /** Hybrid convolutions with uint8 weights (int8 ones run: HybridConvTest) are refused with a message that says so. */
  @org.junit.jupiter.api.Test
  void hybridConvolutionsAreRefusedClearly() {
    io.kompakt.engine.run.UnsupportedOpException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.kompakt.engine.run.UnsupportedOpException.class, () -> OpTester.op("CONV_2D")
            .options(FlatTable.of("Conv2DOptions").set("stride_h", 1).set("stride_w", 1))
            .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
            .constant(TensorType.UINT8, new int[] {1, 1, 1, 2}, new byte[2], Quantization.perTensor(0.1f, 0))
            .output(TensorType.FLOAT32).run());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("CONV_2D") && e.getMessage().contains("hybrid"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(io.kompakt.engine.run.UnsupportedOpException.class, () -> OpTester.op("DEPTHWISE_CONV_2D")
        .options(DepthwiseConv2DTest.options("VALID", 1, 1, 1, "NONE"))
        .input(TensorType.FLOAT32, new int[] {1, 1, 1, 2}, new float[2])
        .constant(TensorType.UINT8, new int[] {1, 1, 1, 2}, new byte[2], IntegerDefinitions.perChannel(new float[] {0.1f, 0.2f}, 3))
        .output(TensorType.FLOAT32).run());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("DEPTHWISE_CONV_2D") && e.getMessage().contains("hybrid"), e.getMessage());
  }
}
