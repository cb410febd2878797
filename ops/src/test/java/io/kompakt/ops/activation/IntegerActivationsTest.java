package io.kompakt.ops.activation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.QuantizedCase;
import io.kompakt.ops.common.QuantMath;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * Quantized activations against TFLite's formulas written out per element (activations.cc Prepare, reference
 * ReluX, QuantizeLeakyRelu, HardSwish, LUTPopulate, integer_ops Logistic/Tanh int16), and SOFTMAX against the
 * real softmax within the fixed point's error (its byte-exactness is shown by person_detect's golden).
 */
class IntegerActivationsTest {
  static int[] run(String op, FlatTable options, TensorType t, int[] shape, int[] x, Quantization qin, Quantization qout) {
    OpTester tester = OpTester.op(op);
    if (options != null) tester.options(options);
    tester.input(t, shape, QuantizedCase.storage(t, x), qin).output(t, new int[0], qout);
    tester.run();
    return OpTester.ints(tester.outputTensor(0));
  }

  static int mbqm(int x, QuantMath.Multiplier m) { return QuantMath.multiplyByQuantizedMultiplier(x, m.multiplier(), m.shift()); }

  @Property(tries = 200)
  void reluFamily(@ForAll long seed) {
    Random r = new Random(seed);
    String op = new String[] {"RELU", "RELU6", "RELU_N1_TO_1"}[r.nextInt(3)];
    TensorType t = op.equals("RELU_N1_TO_1") ? QuantizedCase.TYPES[r.nextInt(2)] : QuantizedCase.TYPES[r.nextInt(3)];
    float si = QuantizedCase.scale(r, -10, 0), so = si * (float) Math.pow(2, r.nextInt(5) - 2) * (float) (1 + r.nextDouble());
    int zi = QuantizedCase.zeroPoint(r, t), zo = QuantizedCase.zeroPoint(r, t);
    int n = 1 + r.nextInt(40);
    int[] x = QuantizedCase.values(r, n, t);
    int[] y = run(op, null, t, new int[] {n}, x, QuantizedCase.q(si, zi), QuantizedCase.q(so, zo));
    float lo = op.equals("RELU_N1_TO_1") ? -1 : 0, hi = op.equals("RELU") ? Float.POSITIVE_INFINITY : op.equals("RELU6") ? 6 : 1;
    int min = Math.max(QuantizedCase.lo(t), zo + Math.round(lo / so)), max = hi == Float.POSITIVE_INFINITY ? QuantizedCase.hi(t)
        : Math.min(QuantizedCase.hi(t), zo + (int) QuantMath.roundHalfAwayFromZero(hi / so));
    if (lo != 0) min = Math.max(QuantizedCase.lo(t), zo + (int) QuantMath.roundHalfAwayFromZero(lo / so));
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier((double) (si / so));
    for (int i = 0; i < n; i++) assertEquals(Math.min(max, Math.max(min, zo + mbqm(x[i] - zi, m))), y[i], op + " " + t + " at " + i);
  }

  @Property(tries = 200)
  void leakyReluUsesIdentityAndAlphaMultipliers(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    float alpha = (float) (r.nextDouble() * 2 - 0.5);
    float si = QuantizedCase.scale(r, -12, 0), so = si * (float) (0.5 + r.nextDouble() * 2);
    int zi = QuantizedCase.zeroPoint(r, t), zo = QuantizedCase.zeroPoint(r, t);
    int n = 1 + r.nextInt(40);
    int[] x = QuantizedCase.values(r, n, t);
    int[] y = run("LEAKY_RELU", FlatTable.of("LeakyReluOptions").set("alpha", (double) alpha), t, new int[] {n}, x,
        QuantizedCase.q(si, zi), QuantizedCase.q(so, zo));
    QuantMath.Multiplier mi = QuantMath.quantizeMultiplier((double) (si / so)), ma = QuantMath.quantizeMultiplier((double) (si * alpha / so));
    for (int i = 0; i < n; i++) {
      int d = x[i] - zi;
      int v = zo + mbqm(d, d >= 0 ? mi : ma);
      assertEquals(Math.min(QuantizedCase.hi(t), Math.max(QuantizedCase.lo(t), v)), y[i]);
    }
  }

  @Property(tries = 200)
  void hardSwishFollowsTheFixedPointSteps(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = QuantizedCase.TYPES[r.nextInt(2)];
    float si = QuantizedCase.scale(r, -8, 0), so = si * (float) (0.5 + r.nextDouble() * 3);
    int zi = QuantizedCase.zeroPoint(r, t), zo = QuantizedCase.zeroPoint(r, t);
    int[] x = new int[QuantizedCase.hi(t) - QuantizedCase.lo(t) + 1];
    for (int i = 0; i < x.length; i++) x[i] = QuantizedCase.lo(t) + i;
    int[] y = run("HARD_SWISH", null, t, new int[] {x.length}, x, QuantizedCase.q(si, zi), QuantizedCase.q(so, zo));
    // reference_ops::HardSwish, step by step in int16 (short casts where C++ stores into int16_t)
    float hires = (1.0f / 128.0f) * si;
    QuantMath.Multiplier om = QuantMath.quantizeMultiplier((double) (hires / so)), rm = QuantMath.quantizeMultiplier((double) (hires / (3.0f / 32768.0f)));
    int om16 = om.multiplier() >= Integer.MAX_VALUE - 32768 ? 32767 : (om.multiplier() + 32768) >> 16;
    int rm16 = rm.multiplier() >= Integer.MAX_VALUE - 32768 ? 32767 : (rm.multiplier() + 32768) >> 16;
    for (int i = 0; i < x.length; i++) {
      short v = (short) ((short) (x[i] - zi) * 128);
      short pre = (short) srdhm16(v, om16);
      short rel = v;
      if (rm.shift() > 0) rel = sat16((long) rel << (rm.shift() - 1));
      rel = (short) srdhm16(rel, rm16);
      if (rm.shift() > 0) rel = sat16((long) rel << 1);
      if (rm.shift() < 0) rel = (short) rdbpot(rel, -rm.shift());
      rel = (short) ((rel + 32768) >> 1);
      short prod = rel == -32768 && pre == -32768 ? 32767 : (short) ((rel * pre) / 32768);
      short out = (short) (rdbpot(prod, -om.shift()) + zo);
      int want = Math.max(QuantizedCase.lo(t), Math.min(QuantizedCase.hi(t), out));
      assertEquals(want, y[i], t + " q=" + x[i]);
    }
  }

  static int srdhm16(int a, int b) {
    if (a == -32768 && b == -32768) return 32767;
    long ab = (long) a * b;
    return (int) ((ab + (ab >= 0 ? 1 << 14 : 1 - (1 << 14))) / 32768);
  }

  static short sat16(long v) { return (short) Math.max(-32768, Math.min(32767, v)); }

  /** x / 2^e rounded half away from zero (exponent below 16). */
  static int rdbpot(int x, int e) { return (int) (Math.signum(x) * Math.floor(Math.abs(x) / Math.pow(2, e) + 0.5)); }

  @Property(tries = 100)
  void eightBitLogisticAndTanhAreTheirFloatTables(@ForAll long seed) {
    Random r = new Random(seed);
    boolean tanh = r.nextBoolean();
    TensorType t = QuantizedCase.TYPES[r.nextInt(2)];
    float si = QuantizedCase.scale(r, -8, 0);
    int zi = QuantizedCase.zeroPoint(r, t);
    float so = tanh ? QuantizedCase.scale(r, -8, -5) : 1f / 256;
    int zo = tanh ? QuantizedCase.zeroPoint(r, t) : QuantizedCase.lo(t);
    int[] x = new int[256];
    for (int i = 0; i < 256; i++) x[i] = QuantizedCase.lo(t) + i;
    int[] y = run(tanh ? "TANH" : "LOGISTIC", null, t, new int[] {256}, x, QuantizedCase.q(si, zi), QuantizedCase.q(so, zo));
    for (int i = 0; i < 256; i++) {
      float deq = si * (x[i] - zi);
      float f = tanh ? (float) Math.tanh(deq) : 1.0f / (1.0f + (float) Math.exp(-deq));
      int q = (int) (QuantMath.roundHalfAwayFromZero(f * (1 / so)) + zo);
      assertEquals(Math.max(QuantizedCase.lo(t), Math.min(QuantizedCase.hi(t), q)), y[i]);
    }
  }

  @Property(tries = 100)
  void int16LogisticAndTanhInterpolateTheSigmoidTable(@ForAll long seed) {
    Random r = new Random(seed);
    boolean tanh = r.nextBoolean();
    boolean pot = r.nextBoolean();
    float si = pot ? (float) Math.pow(2, tanh ? -12 + r.nextInt(2) : -12) : QuantizedCase.scale(r, -14, -9);
    int n = 64;
    int[] x = QuantizedCase.values(r, n, TensorType.INT16);
    int[] y = run(tanh ? "TANH" : "LOGISTIC", null, TensorType.INT16, new int[] {n}, x, QuantizedCase.q(si, 0), QuantizedCase.q(1f / 32768, 0));
    int mul, shift;
    // TFLite's CheckedLog2 takes a scale within 1e-3 (in log2) of a power of two as that power: a random scale can be one
    Integer log2 = QuantMath.checkedLog2(si);
    boolean tflitePot = log2 != null && (12 + log2 == 0 || (tanh && 12 + log2 == 1));
    if (tflitePot) {
      mul = 3 << (12 + log2);
      shift = 0;
    } else {
      double m = si * 4096.0 * 3.0;
      shift = 0;
      while (m <= 16383.5 && shift <= 30) { shift++; m *= 2; }
      mul = (int) m;
    }
    int[] table = QuantMath.SIGMOID_TABLE_UINT16;
    for (int i = 0; i < n; i++) {
      int v = (x[i] * mul + (shift > 0 ? 1 << (shift - 1) : 0)) >> shift;
      long a = Math.abs((long) v);
      int want;
      if (!tanh) {
        long u = a >> 9;
        long res = u >= 255 ? 0x7FFFL << 10 : ((long) table[(int) u] << 9) + (a & 0x1ff) * (table[(int) u + 1] - table[(int) u]);
        res = v >= 0 ? res + 512 : (1L << 25) - res + 511;
        want = (short) (res >> 10);
      } else {
        long u = a >> 8;
        long res = u >= 255 ? 0xFFFFL << 8 : ((long) table[(int) u] << 8) + (a & 0xff) * (table[(int) u + 1] - table[(int) u]);
        res = v >= 0 ? res - (1 << 23) + (1 << 7) : -res + (1 << 23) + (1 << 7) - 1;
        want = (short) Math.floorDiv(res, 256);
      }
      assertEquals(want, y[i], (tanh ? "tanh" : "logistic") + " x=" + x[i] + " scale " + si);
      double real = tanh ? Math.tanh(x[i] * (double) si) : 1 / (1 + Math.exp(-x[i] * (double) si));
      assertTrue(Math.abs(y[i] / 32768.0 - real) < 3e-3, "close to the real function: " + y[i] + " vs " + real);
    }
  }

  @Property(tries = 100)
  void eightBitSoftmaxIsCloseToTheRealSoftmax(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType t = QuantizedCase.TYPES[r.nextInt(2)];
    TensorType outType = r.nextInt(3) == 0 ? TensorType.INT16 : t;
    float si = QuantizedCase.scale(r, -6, 0), beta = (float) (0.5 + r.nextDouble());
    int zi = QuantizedCase.zeroPoint(r, t);
    int rows = 1 + r.nextInt(3), depth = 1 + r.nextInt(r.nextInt(4) == 0 ? 1100 : 30);
    int[] x = QuantizedCase.values(r, rows * depth, t);
    float so = outType == TensorType.INT16 ? 1f / 65536 : 1f / 256;
    int zo = QuantizedCase.lo(outType);
    OpTester tester = OpTester.op("SOFTMAX").options(FlatTable.of("SoftmaxOptions").set("beta", (double) beta))
        .input(t, new int[] {rows, depth}, QuantizedCase.storage(t, x), QuantizedCase.q(si, zi))
        .output(outType, new int[0], QuantizedCase.q(so, zo));
    tester.run();
    int[] y = OpTester.ints(tester.outputTensor(0));
    // the fast kernels (tables of exp over the 256 differences) give the reference's bytes
    OpTester fast = OpTester.op("SOFTMAX").kernels(io.kompakt.engine.run.Interpreter.Kernels.SCALAR)
        .options(FlatTable.of("SoftmaxOptions").set("beta", (double) beta))
        .input(t, new int[] {rows, depth}, QuantizedCase.storage(t, x), QuantizedCase.q(si, zi))
        .output(outType, new int[0], QuantizedCase.q(so, zo));
    fast.run();
    org.junit.jupiter.api.Assertions.assertArrayEquals(y, OpTester.ints(fast.outputTensor(0)), "fast " + t + "->" + outType);
    for (int row = 0; row < rows; row++) {
      double max = Double.NEGATIVE_INFINITY, sum = 0;
      for (int c = 0; c < depth; c++) max = Math.max(max, x[row * depth + c]);
      for (int c = 0; c < depth; c++) sum += Math.exp(beta * si * (x[row * depth + c] - max));
      for (int c = 0; c < depth; c++) {
        double p = Math.exp(beta * si * (x[row * depth + c] - max)) / sum;
        double got = (y[row * depth + c] - zo) * (double) so;
        assertTrue(Math.abs(got - p) <= 2.5 * so + 1e-4, t + "->" + outType + " got " + got + " want " + p);
      }
    }
  }

  @Property(tries = 50)
  void int16SoftmaxIsCloseToTheRealSoftmax(@ForAll long seed) {
    Random r = new Random(seed);
    float si = QuantizedCase.scale(r, -12, -8);
    int depth = 1 + r.nextInt(20);
    int[] x = QuantizedCase.values(r, depth, TensorType.INT16);
    OpTester tester = OpTester.op("SOFTMAX").options(FlatTable.of("SoftmaxOptions").set("beta", 1.0))
        .input(TensorType.INT16, new int[] {1, depth}, QuantizedCase.storage(TensorType.INT16, x), QuantizedCase.q(si, 0))
        .output(TensorType.INT16, new int[0], QuantizedCase.q(1f / 32768, 0));
    tester.run();
    int[] y = OpTester.ints(tester.outputTensor(0));
    double max = Double.NEGATIVE_INFINITY, sum = 0;
    for (int v : x) max = Math.max(max, v);
    for (int v : x) sum += Math.exp(si * (v - max));
    for (int c = 0; c < depth; c++) {
      double p = Math.exp(si * (x[c] - max)) / sum;
      assertTrue(Math.abs(y[c] / 32768.0 - p) < 2e-3 + 1e-4 * depth, "got " + y[c] / 32768.0 + " want " + p);
    }
  }

  @Test
  void fixedPointExpAndReciprocalAreAccurate() {
    for (int k = 0; k < 2000; k++) {
      int a = -k * 1_000_000; // Q5.26: down to about -30
      double exp = QuantMath.expOnNegativeValues(a, 5) / Math.pow(2, 31);
      assertEquals(Math.exp(a / Math.pow(2, 26)), exp, 5e-7, "exp at " + a);
      int x = k * 1_000_000 + 1; // (0, 1) in Q0.31
      double rec = QuantMath.oneOverOnePlusXForXIn01(x) / Math.pow(2, 31);
      assertEquals(1 / (1 + x / Math.pow(2, 31)), rec, 5e-8, "1/(1+x) at " + x);
    }
    assertEquals(Integer.MAX_VALUE, QuantMath.expOnNegativeValues(0, 5));
  }

  @Test
  void int16HardSwishIsRefused() {
    assertThrows(UnsupportedOpException.class, () -> run("HARD_SWISH", null, TensorType.INT16, new int[] {1}, new int[] {1},
        QuantizedCase.q(1f, 0), QuantizedCase.q(1f, 0)));
  }
}
