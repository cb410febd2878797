package io.kompakt.ops.arith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kompakt.engine.model.FlatTable;
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
 * ADD, SUB and MUL on int8, uint8 and int16 against TFLite's formulas (add.cc / sub.cc / mul.cc Prepare, reference
 * AddElementwise / SubElementwise / MulElementwise), written out here element by element with NumPy broadcasting
 * by explicit indices.
 */
class IntegerBinaryTest {
  static final String[] ACTS = {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"};

  static FlatTable options(String op, String act, Boolean pot) {
    FlatTable o = FlatTable.of(op.equals("ADD") ? "AddOptions" : op.equals("SUB") ? "SubOptions" : "MulOptions")
        .set("fused_activation_function", act);
    if (pot != null) o.set("pot_scale_int16", pot);
    return o;
  }

  /** The broadcast source index of output index {@code i} (row-major over {@code out}) in an input of {@code shape}. */
  static int source(int i, int[] out, int[] shape) {
    int src = 0, stride = 1;
    for (int d = out.length - 1; d >= 0; d--) {
      int coord = i % out[d];
      i /= out[d];
      int k = d - (out.length - shape.length);
      if (k >= 0) {
        if (shape[k] != 1) src += coord * stride;
        stride *= shape[k];
      }
    }
    return src;
  }

  /** TFLite's CalculateActivationRangeQuantized, written out. */
  static int[] range(String act, float scale, int zp, TensorType t) {
    int lo = QuantizedCase.lo(t), hi = QuantizedCase.hi(t);
    // saturating where the int32 cast would overflow (undefined in TFLite's C++; degenerate scales only)
    java.util.function.IntUnaryOperator q = v -> (int) Math.max(Integer.MIN_VALUE,
        Math.min(Integer.MAX_VALUE, zp + (long) QuantMath.roundHalfAwayFromZero(v / scale)));
    switch (act) {
      case "RELU": return new int[] {Math.max(lo, q.applyAsInt(0)), hi};
      case "RELU6": return new int[] {Math.max(lo, q.applyAsInt(0)), Math.min(hi, q.applyAsInt(6))};
      case "RELU_N1_TO_1": return new int[] {Math.max(lo, q.applyAsInt(-1)), Math.min(hi, q.applyAsInt(1))};
      default: return new int[] {lo, hi};
    }
  }

  static int mbqm(int x, QuantMath.Multiplier m) { return QuantMath.multiplyByQuantizedMultiplier(x, m.multiplier(), m.shift()); }

  /** The expected output of the general path. */
  static int[] expected(String op, TensorType t, int[] sa, int[] a, float s1, int z1, int[] sb, int[] b, float s2, int z2,
                        int[] so, float s3, int z3, String act) {
    int[] r = range(act, s3, z3, t);
    int n = QuantizedCase.size(so);
    int[] y = new int[n];
    if (op.equals("MUL")) {
      QuantMath.Multiplier m = QuantMath.quantizeMultiplier((double) s1 * s2 / s3);
      for (int i = 0; i < n; i++) {
        int v = z3 + mbqm((a[source(i, so, sa)] - z1) * (b[source(i, so, sb)] - z2), m);
        y[i] = Math.min(r[1], Math.max(r[0], v));
      }
      return y;
    }
    int ls = t == TensorType.INT16 ? 15 : 20;
    double twiceMax = 2.0 * Math.max(s1, s2);
    QuantMath.Multiplier m1 = QuantMath.quantizeMultiplier(s1 / twiceMax), m2 = QuantMath.quantizeMultiplier(s2 / twiceMax);
    QuantMath.Multiplier mo = QuantMath.quantizeMultiplier(twiceMax / (Math.pow(2, ls) * s3));
    for (int i = 0; i < n; i++) {
      int x1 = mbqm((a[source(i, so, sa)] - z1) << ls, m1), x2 = mbqm((b[source(i, so, sb)] - z2) << ls, m2);
      int v = mbqm(op.equals("ADD") ? x1 + x2 : x1 - x2, mo) + z3;
      y[i] = Math.min(r[1], Math.max(r[0], v));
    }
    return y;
  }

  static int[] broadcastShape(int[] a, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] s = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1, db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
      s[i] = Math.max(da, db);
    }
    return s;
  }

  @Property(tries = 300, seed = "-7205198565342109617")
  void generalPathMatchesTfliteFormulas(@ForAll long seed) {
    Random r = new Random(seed);
    String op = new String[] {"ADD", "SUB", "MUL"}[r.nextInt(3)];
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    int rank = 1 + r.nextInt(4);
    int[] so = QuantizedCase.shape(r, rank, 4);
    int[] sa = so.clone(), sb = so.clone();
    for (int d = 0; d < rank; d++) {
      if (r.nextInt(3) == 0) sa[d] = 1; else if (r.nextInt(3) == 0) sb[d] = 1;
    }
    if (r.nextBoolean()) sb = java.util.Arrays.copyOfRange(sb, r.nextInt(rank + 1), rank);
    so = broadcastShape(sa, sb);
    float s1 = QuantizedCase.scale(r, -12, 0), s2 = op.equals("MUL") ? QuantizedCase.scale(r, -12, 0) : s1 * (float) Math.pow(2, r.nextInt(9) - 4) * (float) (1 + r.nextDouble());
    // keep the output multiplier of ADD/SUB below one, as TFLite requires: the output scale not far below the inputs'
    float s3 = op.equals("MUL") ? s1 * s2 * (float) Math.pow(2, r.nextInt(12) - 10) * (float) (1 + r.nextDouble())
        : Math.max(s1, s2) * (float) Math.pow(2, r.nextInt(8) - 4) * (float) (1 + r.nextDouble());
    int z1 = QuantizedCase.zeroPoint(r, t), z2 = QuantizedCase.zeroPoint(r, t), z3 = QuantizedCase.zeroPoint(r, t);
    int[] a = QuantizedCase.values(r, QuantizedCase.size(sa), t), b = QuantizedCase.values(r, QuantizedCase.size(sb), t);
    String act = ACTS[r.nextInt(ACTS.length)];
    OpTester tester = OpTester.op(op).options(options(op, act, t == TensorType.INT16 && !op.equals("MUL") ? Boolean.FALSE : null))
        .input(t, sa, QuantizedCase.storage(t, a), QuantizedCase.q(s1, z1))
        .input(t, sb, QuantizedCase.storage(t, b), QuantizedCase.q(s2, z2))
        .output(t, new int[0], QuantizedCase.q(s3, z3));
    tester.run();
    int[] want = expected(op, t, sa, a, s1, z1, sb, b, s2, z2, so, s3, z3, act);
    String what = op + " " + t + " " + java.util.Arrays.toString(sa) + " " + java.util.Arrays.toString(sb) + " " + act;
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)), what);
    // the fast kernels too (ADD / SUB on 8 bits: the table path)
    OpTester fast = OpTester.op(op).kernels(io.kompakt.engine.run.Interpreter.Kernels.SCALAR)
        .options(options(op, act, t == TensorType.INT16 && !op.equals("MUL") ? Boolean.FALSE : null))
        .input(t, sa, QuantizedCase.storage(t, a), QuantizedCase.q(s1, z1))
        .input(t, sb, QuantizedCase.storage(t, b), QuantizedCase.q(s2, z2))
        .output(t, new int[0], QuantizedCase.q(s3, z3));
    fast.run();
    assertArrayEquals(want, OpTester.ints(fast.outputTensor(0)), "fast " + what);
  }

  /**
   * The 8-bit ADD / SUB table with equal shapes, on every kernel setting (the vector indices in blocks of
   * {@link AddSubQuantized.Tables#BLOCK}, with vector tails), against the reference kernel element by element.
   */
  @Property(tries = 150)
  void tablePathEqualsTheReference(@ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 1400) int small, @ForAll long seed) {
    Random r = new Random(seed);
    // now and then more than one work item of AddSubQuantized.Tables.CHUNK elements, on 1 to 3 threads
    int n = r.nextInt(6) == 0 ? AddSubQuantized.Tables.CHUNK * (1 + r.nextInt(2)) + small : small;
    int threads = 1 + r.nextInt(3);
    String op = r.nextBoolean() ? "ADD" : "SUB";
    TensorType t = r.nextBoolean() ? TensorType.INT8 : TensorType.UINT8;
    int[] shape = r.nextBoolean() ? new int[] {1, n} : new int[] {n};
    float s1 = QuantizedCase.scale(r, -12, 0), s2 = s1 * (float) Math.pow(2, r.nextInt(9) - 4) * (float) (1 + r.nextDouble());
    float s3 = Math.max(s1, s2) * (float) Math.pow(2, r.nextInt(8) - 4) * (float) (1 + r.nextDouble());
    int z1 = QuantizedCase.zeroPoint(r, t), z2 = QuantizedCase.zeroPoint(r, t), z3 = QuantizedCase.zeroPoint(r, t);
    int[] a = QuantizedCase.values(r, n, t), b = QuantizedCase.values(r, n, t);
    String act = ACTS[r.nextInt(ACTS.length)];
    int[] want = null;
    java.util.List<io.kompakt.engine.run.Interpreter.Kernels> kinds = new java.util.ArrayList<>(java.util.List.of(
        io.kompakt.engine.run.Interpreter.Kernels.REFERENCE, io.kompakt.engine.run.Interpreter.Kernels.SCALAR,
        io.kompakt.engine.run.Interpreter.Kernels.AUTO));
    if (io.kompakt.ops.common.VectorSupport.available()) kinds.add(io.kompakt.engine.run.Interpreter.Kernels.VECTOR);
    for (io.kompakt.engine.run.Interpreter.Kernels kind : kinds) {
      OpTester tester = OpTester.op(op).kernels(kind).threads(threads).options(options(op, act, null))
          .input(t, shape, QuantizedCase.storage(t, a), QuantizedCase.q(s1, z1))
          .input(t, shape, QuantizedCase.storage(t, b), QuantizedCase.q(s2, z2))
          .output(t, new int[0], QuantizedCase.q(s3, z3));
      tester.run();
      int[] got = OpTester.ints(tester.outputTensor(0));
      if (want == null) want = got;
      else assertArrayEquals(want, got, op + " " + t + " n=" + n + " " + act + " " + kind + " threads=" + threads);
    }
  }

  @Property(tries = 100)
  void int16PowerOfTwoPathShiftsAndSaturates(@ForAll long seed) {
    Random r = new Random(seed);
    boolean sub = r.nextBoolean();
    int outLog = -15 + r.nextInt(10), shift = r.nextInt(6);
    boolean firstShifted = r.nextBoolean();
    float so = (float) Math.pow(2, outLog), sShift = (float) Math.pow(2, outLog - shift);
    int n = 1 + r.nextInt(20);
    int[] a = QuantizedCase.values(r, n, TensorType.INT16), b = QuantizedCase.values(r, n, TensorType.INT16);
    String act = ACTS[r.nextInt(ACTS.length)];
    OpTester tester = OpTester.op(sub ? "SUB" : "ADD").options(options(sub ? "SUB" : "ADD", act, true))
        .input(TensorType.INT16, new int[] {n}, QuantizedCase.storage(TensorType.INT16, a), QuantizedCase.q(firstShifted ? sShift : so, 0))
        .input(TensorType.INT16, new int[] {n}, QuantizedCase.storage(TensorType.INT16, b), QuantizedCase.q(firstShifted ? so : sShift, 0))
        .output(TensorType.INT16, new int[0], QuantizedCase.q(so, 0));
    tester.run();
    int[] rg = range(act, so, 0, TensorType.INT16);
    int[] want = new int[n];
    for (int i = 0; i < n; i++) {
      // F0 values: the shifted input rounded (half away from zero) by 2^shift, then a saturating int16 add/sub
      int x = a[i], y = b[i];
      if (firstShifted) x = (int) Math.signum(x) * (int) Math.floor(Math.abs(x) / Math.pow(2, shift) + 0.5);
      else y = (int) Math.signum(y) * (int) Math.floor(Math.abs(y) / Math.pow(2, shift) + 0.5);
      int v = Math.max(-32768, Math.min(32767, sub ? x - y : x + y));
      want[i] = Math.min(rg[1], Math.max(rg[0], v));
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)));
  }

  @Test
  void simpleInt8AddKnownValues() {
    // scales 0.5, 0.5 -> 1.0: (a + b) / 2 with zero points: a=10 (zp 0) is 5.0, b=-4 (zp -2) is -1.0; 4.0 at scale 1
    OpTester t = OpTester.op("ADD").options(options("ADD", "NONE", null))
        .input(TensorType.INT8, new int[] {2}, new byte[] {10, 127}, QuantizedCase.q(0.5f, 0))
        .input(TensorType.INT8, new int[] {2}, new byte[] {-4, 127}, QuantizedCase.q(0.5f, -2))
        .output(TensorType.INT8, new int[0], QuantizedCase.q(1f, 0));
    t.run();
    assertArrayEquals(new int[] {4, 127}, OpTester.ints(t.outputTensor(0)));
  }

  @Test
  void mixedTypesAreRefused() {
    assertThrows(UnsupportedOpException.class, () -> OpTester.op("MUL").options(options("MUL", "NONE", null))
        .input(TensorType.INT8, new int[] {1}, new byte[] {1}, QuantizedCase.q(1f, 0))
        .input(TensorType.UINT8, new int[] {1}, new byte[] {1}, QuantizedCase.q(1f, 0))
        .output(TensorType.INT8, new int[0], QuantizedCase.q(1f, 0)).run());
  }
}
