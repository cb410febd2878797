package io.kompakt.ops.arith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class BinaryArithTest {
  private static final String[] FLOAT_OPS = {"ADD", "SUB", "MUL", "DIV", "FLOOR_DIV", "FLOOR_MOD"};

  private static FlatTable options(String op, String activation) {
    switch (op) {
      case "ADD": return FlatTable.of("AddOptions").set("fused_activation_function", activation);
      case "SUB": return FlatTable.of("SubOptions").set("fused_activation_function", activation);
      case "MUL": return FlatTable.of("MulOptions").set("fused_activation_function", activation);
      case "DIV": return FlatTable.of("DivOptions").set("fused_activation_function", activation);
      case "FLOOR_DIV": return FlatTable.of("FloorDivOptions");
      default: return FlatTable.of("FloorModOptions");
    }
  }

  private static float[] runFloat(String op, String act, int[] sa, float[] a, int[] sb, float[] b) {
    return OpTester.op(op).options(options(op, act))
        .input(TensorType.FLOAT32, sa, a).input(TensorType.FLOAT32, sb, b).output(TensorType.FLOAT32).runFloat();
  }

  private static int[] runInt(String op, int[] sa, int[] a, int[] sb, int[] b) {
    OpTester t = OpTester.op(op).options(options(op, "NONE"))
        .input(TensorType.INT32, sa, a).input(TensorType.INT32, sb, b).output(TensorType.INT32);
    t.run();
    return OpTester.ints(t.outputTensor(0));
  }

  /** The op on two floats, written independently of the kernels (floor ops in double, as TFLite). */
  private static float apply(String op, float a, float b) {
    switch (op) {
      case "ADD": return a + b;
      case "SUB": return a - b;
      case "MUL": return a * b;
      case "DIV": return a / b;
      case "FLOOR_DIV": return (float) Math.floor((double) a / (double) b);
      default: {
        double q = Math.floor((double) a / (double) b);
        float r = a - (float) (q * b);
        // the floored remainder, exact for the small integers-and-halves used below
        return r;
      }
    }
  }

  @Test
  void subBroadcastsTwoByOneByThreeAgainstFourByOne() {
    // a [2,1,3], b [4,1] -> [2,4,3]; out[i,j,k] = a[i,0,k] - b[j,0]
    float[] a = {1, 2, 3, 10, 20, 30};
    float[] b = {0, 1, 2, 3};
    float[] y = runFloat("SUB", "NONE", new int[] {2, 1, 3}, a, new int[] {4, 1}, b);
    assertEquals(24, y.length);
    float[] expected = new float[24];
    for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 3; k++) expected[(i * 4 + j) * 3 + k] = a[i * 3 + k] - b[j];
    assertArrayEquals(expected, y);
    assertEquals(1 - 0, y[0]);
    assertEquals(30 - 3, y[23]);
  }

  @Test
  void fusedActivationsClamp() {
    assertArrayEquals(new float[] {0, 0, 3}, runFloat("SUB", "RELU", new int[] {3}, new float[] {1, 2, 8}, new int[] {3}, new float[] {4, 2, 5}));
    assertArrayEquals(new float[] {0, 6, 4}, runFloat("MUL", "RELU6", new int[] {3}, new float[] {-1, 4, 2}, new int[] {1}, new float[] {2}));
    assertArrayEquals(new float[] {-1, 0.5f, 1}, runFloat("DIV", "RELU_N1_TO_1", new int[] {3}, new float[] {-9, 1, 9}, new int[] {1}, new float[] {2}));
    assertArrayEquals(new float[] {0, 7}, runFloat("ADD", "RELU", new int[] {2}, new float[] {-5, 3}, new int[] {2}, new float[] {1, 4}));
  }

  @Test
  void floorDivAndFloorModFollowPython() {
    int[] s = {6};
    float[] a = {-7, 7, -7, 7, -7.5f, 7.5f};
    float[] b = {2, -2, -2, 2, 2, -2};
    // Python: -7//2=-4, 7//-2=-4, -7//-2=3, 7//2=3, -7.5//2=-4, 7.5//-2=-4
    assertArrayEquals(new float[] {-4, -4, 3, 3, -4, -4}, runFloat("FLOOR_DIV", "NONE", s, a, s, b));
    // Python: -7%2=1, 7%-2=-1, -7%-2=-1, 7%2=1, -7.5%2=0.5, 7.5%-2=-0.5 (the divisor's sign)
    assertArrayEquals(new float[] {1, -1, -1, 1, 0.5f, -0.5f}, runFloat("FLOOR_MOD", "NONE", s, a, s, b));
    int[] ia = {-7, 7, -7, 7, 6, -6}, ib = {3, -3, -3, 3, -3, 3};
    assertArrayEquals(new int[] {-3, -3, 2, 2, -2, -2}, runInt("FLOOR_DIV", s, ia, s, ib));
    assertArrayEquals(new int[] {2, -2, -1, 1, 0, 0}, runInt("FLOOR_MOD", s, ia, s, ib));
  }

  @Test
  void int32ArithmeticBroadcastsAndDivTruncates() {
    int[] a = {7, -7, 100, 5};
    assertArrayEquals(new int[] {9, -5, 102, 7}, runInt("ADD", new int[] {4}, a, new int[] {1}, new int[] {2}));
    assertArrayEquals(new int[] {5, -9, 98, 3}, runInt("SUB", new int[] {4}, a, new int[] {1}, new int[] {2}));
    assertArrayEquals(new int[] {14, -14, 200, 10}, runInt("MUL", new int[] {2, 2}, a, new int[] {1, 1}, new int[] {2}));
    assertArrayEquals(new int[] {3, -3, 50, 2}, runInt("DIV", new int[] {4}, a, new int[] {1}, new int[] {2}));
  }

  @Test
  void int32ReluClampsToInts() {
    OpTester t = OpTester.op("ADD").options(options("ADD", "RELU6"))
        .input(TensorType.INT32, new int[] {3}, new int[] {-4, 3, 40}).input(TensorType.INT32, new int[] {3}, new int[] {1, 2, 3})
        .output(TensorType.INT32);
    t.run();
    assertArrayEquals(new int[] {0, 5, 6}, OpTester.ints(t.outputTensor(0)));
  }

  @Test
  void integerDivisionByZeroFailsTheRunNamingTheOp() {
    for (String op : new String[] {"DIV", "FLOOR_DIV", "FLOOR_MOD"}) {
      ArithmeticException e = assertThrows(ArithmeticException.class,
          () -> runInt(op, new int[] {2}, new int[] {1, 2}, new int[] {2}, new int[] {1, 0}));
      assertTrue(e.getMessage().contains(op) && e.getMessage().contains("division by zero"), e.getMessage());
    }
  }

  @Test
  void shapesThatDoNotBroadcastAreRefusedNamingTheOp() {
    for (String op : FLOAT_OPS) {
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
          () -> runFloat(op, "NONE", new int[] {2, 3}, new float[6], new int[] {4}, new float[4]));
      assertTrue(e.getMessage().contains(op) && e.getMessage().contains("broadcast"), e.getMessage());
    }
  }

  @Test
  void mixedTypesAndQuantizedInputsAreRefused() {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("MUL").options(options("MUL", "NONE"))
        .input(TensorType.FLOAT32, new int[] {2}, new float[2]).input(TensorType.INT32, new int[] {2}, new int[2])
        .output(TensorType.FLOAT32).run());
    assertTrue(e.getMessage().contains("MUL") && e.getMessage().contains("differ in type"), e.getMessage());
    e = assertThrows(UnsupportedOpException.class, () -> OpTester.op("SUB").options(options("SUB", "NONE"))
        .input(TensorType.INT8, new int[] {2}, new byte[2]).input(TensorType.INT8, new int[] {2}, new byte[2])
        .output(TensorType.INT8).run());
    assertTrue(e.getMessage().contains("SUB") && e.getMessage().contains("int8"), e.getMessage());
  }

  @Test
  void constantInputsAreFoldedAtPrepare() {
    OpTester t = OpTester.op("MUL").options(options("MUL", "NONE"))
        .constant(TensorType.FLOAT32, new int[] {2}, new float[] {3, 4}).constant(TensorType.FLOAT32, new int[] {1}, new float[] {0.5f})
        .output(TensorType.FLOAT32);
    assertEquals(0, t.run().kernelCount());
    assertArrayEquals(new float[] {1.5f, 2}, OpTester.floats(t.outputTensor(0)));
  }

  /** Random shapes of rank up to 4 that broadcast, each dimension of either input possibly 1 or missing. */
  @Property(tries = 60)
  void everyFloatOpEqualsTheNaiveBroadcastDefinition(@ForAll @IntRange(min = 0, max = 5) int opIndex, @ForAll long seed) {
    Random r = new Random(seed);
    String op = FLOAT_OPS[opIndex];
    int rank = 1 + r.nextInt(4);
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) out[i] = 1 + r.nextInt(3);
    int rankA = 1 + r.nextInt(rank), rankB = 1 + r.nextInt(rank);
    int[] sa = new int[rankA], sb = new int[rankB];
    for (int i = 0; i < rankA; i++) sa[i] = r.nextBoolean() ? out[rank - rankA + i] : 1;
    for (int i = 0; i < rankB; i++) sb[i] = r.nextBoolean() ? out[rank - rankB + i] : 1;
    if (r.nextBoolean()) sa = out.clone(); // at least sometimes the full shape
    float[] a = values(r, sa), b = values(r, sb);
    for (int i = 0; i < b.length; i++) if (b[i] == 0) b[i] = 1.5f; // keep the divisions finite
    float[] y = runFloat(op, "NONE", sa, a, sb, b);
    int[] full = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - sa.length ? 1 : sa[i - (rank - sa.length)], db = i < rank - sb.length ? 1 : sb[i - (rank - sb.length)];
      full[i] = Math.max(da, db);
    }
    int n = 1;
    for (int d : full) n *= d;
    assertEquals(n, y.length);
    int[] idx = new int[rank];
    for (int e = 0; e < n; e++) {
      float expected = apply(op, a[flat(idx, sa)], b[flat(idx, sb)]);
      assertEquals(expected, y[e], 0f, op + " element " + e);
      for (int i = rank - 1; i >= 0; i--) { if (++idx[i] < full[i]) break; idx[i] = 0; }
    }
  }

  @Property(tries = 200)
  void int32FloorModAndFloorDivMatchJavasFloorDefinitions(@ForAll @IntRange(min = -1000, max = 1000) int a,
                                                          @ForAll @IntRange(min = -50, max = 50) int b) {
    if (b == 0) return;
    assertEquals(Math.floorMod(a, b), FloorMod.mod(a, b));
    assertEquals(Math.floorMod(a, b), (int) FloorMod.mod((float) a, (float) b));
    int mod = runInt("FLOOR_MOD", new int[] {1}, new int[] {a}, new int[] {1}, new int[] {b})[0];
    int div = runInt("FLOOR_DIV", new int[] {1}, new int[] {a}, new int[] {1}, new int[] {b})[0];
    assertEquals(Math.floorMod(a, b), mod);
    assertEquals(Math.floorDiv(a, b), div);
    assertEquals(a, div * b + mod);
  }

  /** Flat index into a right-aligned, size-1-repeating input of shape {@code s} for output index {@code idx}. */
  private static int flat(int[] idx, int[] s) {
    int f = 0, off = idx.length - s.length;
    for (int i = 0; i < s.length; i++) f = f * s[i] + (s[i] == 1 ? 0 : idx[off + i]);
    return f;
  }

  /** Halves in [-8, 8]: exact in float, so every op's expected value is exact too. */
  private static float[] values(Random r, int[] shape) {
    int n = 1;
    for (int d : shape) n *= d;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (r.nextInt(33) - 16) / 2f;
    return v;
  }
}
