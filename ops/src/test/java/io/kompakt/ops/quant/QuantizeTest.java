package io.kompakt.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** QUANTIZE and DEQUANTIZE. */
class QuantizeTest {
  private static RuntimeTensor quantize(float[] x, int[] shape, TensorType type, Quantization q) {
    return OpTester.op("QUANTIZE").input(TensorType.FLOAT32, shape, x).output(type, new int[0], q).run().getOutputTensor(0);
  }

  private static float[] dequantize(TensorType type, int[] shape, Object q, Quantization params) {
    return OpTester.op("DEQUANTIZE").input(type, shape, q, params).output(TensorType.FLOAT32).runFloat();
  }

  @Test
  void quantizeRoundsHalvesAwayFromZero() {
    // scale 0.5: x / scale = +-0.5, +-1.5, +-2.5 round away from zero to +-1, +-2, +-3 (Java's Math.round would not)
    float[] x = {0.25f, -0.25f, 0.75f, -0.75f, 1.25f, -1.25f, 0.2f, -0.2f};
    RuntimeTensor y = quantize(x, new int[] {8}, TensorType.INT8, Quantization.perTensor(0.5f, 0));
    assertArrayEquals(new byte[] {1, -1, 2, -2, 3, -3, 0, 0}, OpTester.bytesOf(y));
    // with a zero point, the rounding happens before adding it
    RuntimeTensor z = quantize(x, new int[] {8}, TensorType.INT8, Quantization.perTensor(0.5f, 10));
    assertArrayEquals(new byte[] {11, 9, 12, 8, 13, 7, 10, 10}, OpTester.bytesOf(z));
  }

  @Test
  void quantizeClampsToEachTypesRange() {
    float[] x = {-1000, -1, 0, 1, 1000};
    assertArrayEquals(new byte[] {-128, -100, 0, 100, 127},
        OpTester.bytesOf(quantize(x, new int[] {5}, TensorType.INT8, Quantization.perTensor(0.01f, 0))));
    assertArrayEquals(new int[] {0, 28, 128, 228, 255},
        ints(quantize(x, new int[] {5}, TensorType.UINT8, Quantization.perTensor(0.01f, 128))));
    assertArrayEquals(new int[] {-32768, -1000, 0, 1000, 32767},
        ints(quantize(x, new int[] {5}, TensorType.INT16, Quantization.perTensor(0.001f, 0))));
  }

  @Property(tries = 100)
  void fastQuantizeWritesTheReferenceBytes(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = r.nextBoolean() ? TensorType.INT8 : TensorType.UINT8;
    // now and then more than one work item (Quantize.CHUNK values), on 1 to 3 threads
    int n = (r.nextInt(5) == 0 ? Quantize.CHUNK * (1 + r.nextInt(2)) : 0) + 1 + r.nextInt(300), threads = 1 + r.nextInt(3);
    float[] x = new float[n];
    float scale = (float) Math.pow(2, -8 + 10 * r.nextDouble());
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(10);
      // halves, huge values, NaN and infinities among ordinary ones
      x[i] = k == 0 ? (r.nextInt(600) - 300 + 0.5f) * scale : k == 1 ? (r.nextBoolean() ? 1e30f : Float.NaN)
          : k == 2 ? Float.NEGATIVE_INFINITY : (float) (r.nextGaussian() * 200 * scale);
    }
    Quantization q = Quantization.perTensor(scale, t == TensorType.INT8 ? r.nextInt(256) - 128 : r.nextInt(256));
    byte[] want = OpTester.bytesOf(quantize(x, new int[] {n}, t, q));
    byte[] got = OpTester.bytesOf(OpTester.op("QUANTIZE").kernels(io.kompakt.engine.run.Interpreter.Kernels.SCALAR)
        .threads(threads).input(TensorType.FLOAT32, new int[] {n}, x).output(t, new int[0], q).run().getOutputTensor(0));
    assertArrayEquals(want, got, t + " scale " + scale + " " + q + " n=" + n + " threads=" + threads);
  }

  @Test
  void quantizePerChannelAlongTheQuantizedDimension() {
    // [2,3] per channel along dimension 1: scales 1, 0.5, 0.25
    Quantization q = Quantization.perChannel(new float[] {1, 0.5f, 0.25f}, new long[] {0, 1, -1}, 1);
    RuntimeTensor y = quantize(new float[] {1, 1, 1, -2, -2, -2}, new int[] {2, 3}, TensorType.INT8, q);
    assertArrayEquals(new byte[] {1, 3, 3, -2, -3, -9}, OpTester.bytesOf(y));
  }

  @Test
  void unsupportedRequantizingIsRefusedClearly() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("QUANTIZE")
        .input(TensorType.UINT8, new int[] {2}, new byte[2], Quantization.perTensor(0.5f, 0))
        .output(TensorType.INT32, new int[0], Quantization.perTensor(0.5f, 0)).run());
    assertTrue(e.getMessage().contains("QUANTIZE") && e.getMessage().contains("requantizing uint8 to int32"), e.getMessage());
  }

  @Test
  void dequantizePerTensorForEachType() {
    assertArrayEquals(new float[] {-1.5f, 0, 63.5f}, dequantize(TensorType.INT8, new int[] {3}, new byte[] {-4, -1, 126},
        Quantization.perTensor(0.5f, -1)));
    // uint8 is unsigned: 255 - 128 = 127
    assertArrayEquals(new float[] {-12.8f, 0, 12.7f}, dequantize(TensorType.UINT8, new int[] {3}, new byte[] {0, (byte) 128, (byte) 255},
        Quantization.perTensor(0.1f, 128)));
    // one float rounding of scale * (q - zero point), as TFLite's double product cast to float
    assertArrayEquals(new float[] {0.001f * -32768, 0.001f * 32767}, dequantize(TensorType.INT16, new int[] {2},
        new short[] {-32768, 32767}, Quantization.perTensor(0.001f, 0)));
    assertEquals(32.767002f, 0.001f * 32767);
  }

  @Test
  void dequantizePerChannelAlongFirstAndLastDimensions() {
    byte[] q = {1, 2, 3, 4, 5, 6}; // [2,3]
    Quantization d0 = Quantization.perChannel(new float[] {1, 10}, new long[] {0, 1}, 0);
    assertArrayEquals(new float[] {1, 2, 3, 30, 40, 50}, dequantize(TensorType.INT8, new int[] {2, 3}, q, d0));
    Quantization d1 = Quantization.perChannel(new float[] {1, 0.5f, 2}, new long[] {0, 0, 0}, 1);
    assertArrayEquals(new float[] {1, 1, 6, 4, 2.5f, 12}, dequantize(TensorType.INT8, new int[] {2, 3}, q, d1));
  }

  @Test
  void dequantizeCopiesFloat16Constants() {
    float[] y = OpTester.op("DEQUANTIZE").constant(TensorType.FLOAT16, new int[] {3}, new float[] {1.5f, -2, 0.099975586f})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {1.5f, -2, 0.099975586f}, y);
  }

  @Test
  void dequantizeRefusesUnquantizedAndInt32Input() {
    // (scales that do not match the channels are already refused by the model reader)
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> dequantize(TensorType.INT8, new int[] {2, 3},
        new byte[6], Quantization.NONE));
    assertTrue(e.getMessage().contains("DEQUANTIZE") && e.getMessage().contains("no quantization"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> dequantize(TensorType.INT32, new int[] {1}, new int[1],
        Quantization.perTensor(1, 0)));
    assertTrue(e.getMessage().contains("DEQUANTIZE") && e.getMessage().contains("int32"), e.getMessage());
  }

  /** Quantizing then dequantizing is within half a step of x for values inside the range, and exact on the grid. */
  @Property(tries = 80)
  void dequantizeOfQuantizeIsWithinHalfAStep(@ForAll long seed) {
    Random r = new Random(seed);
    float scale = (1 + r.nextInt(100)) / 256f;
    int zp = r.nextInt(101) - 50;
    float[] x = new float[32];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) ((r.nextDouble() * 200 - 100) * scale); // |x / scale| <= 100: inside int8 for zp in [-27, 27]
      if (i % 4 == 0) x[i] = (r.nextInt(51) - 25) * scale; // on the grid
    }
    zp = Math.max(-27, Math.min(27, zp));
    Quantization q = Quantization.perTensor(scale, zp);
    byte[] quantized = OpTester.bytesOf(quantize(x, new int[] {32}, TensorType.INT8, q));
    float[] back = dequantize(TensorType.INT8, new int[] {32}, quantized, q);
    for (int i = 0; i < x.length; i++) {
      double naive = Math.max(-128, Math.min(127, roundHalfAway(x[i] / scale) + zp));
      assertEquals(naive, quantized[i], "element " + i + " x " + x[i]);
      assertEquals(x[i], back[i], scale / 2 + 1e-6, "element " + i);
      if (i % 4 == 0) assertEquals(x[i], back[i], 1e-6);
    }
  }

  private static double roundHalfAway(float v) {
    return Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
  }

  @Test
  void roundIsExactNearHalves() {
    assertEquals(0, Quantize.round(0.49999997f));
    assertEquals(1, Quantize.round(0.5f));
    assertEquals(-1, Quantize.round(-0.5f));
    assertEquals(-2, Quantize.round(-2.4999998f));
    assertEquals(8388609, Quantize.round(8388609f));
  }

  private static int[] ints(RuntimeTensor t) { return OpTester.ints(t); }
}
