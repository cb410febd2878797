package io.kompakt.ops.arith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The non-reference paths of the cheap ops (binary ops without index maps, MEAN/SUM with precomputed indices) equal the reference exactly. */
class FastPathsTest {
  static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 3);
    return v;
  }

  @Property(tries = 300)
  void binaryOpsFastEqualsReference(@ForAll @IntRange(min = 1, max = 5) int h, @ForAll @IntRange(min = 1, max = 6) int w,
                                    @ForAll @IntRange(min = 1, max = 19) int c, @ForAll @IntRange(min = 0, max = 3) int broadcast,
                                    @ForAll @IntRange(min = 0, max = 3) int opIndex, @ForAll long seed) {
    String[] ops = {"ADD", "SUB", "MUL", "DIV"};
    String[] options = {"AddOptions", "SubOptions", "MulOptions", "DivOptions"};
    Random r = new Random(seed);
    int[] a = {1, h, w, c};
    int[] b = broadcast == 0 ? a : broadcast == 1 ? new int[] {c} : broadcast == 2 ? new int[0] : new int[] {1, 1, 1, c};
    int nb = 1;
    for (int d : b) nb *= d;
    float[] x = random(r, h * w * c), y = random(r, nb);
    boolean swap = r.nextBoolean();
    String activation = r.nextBoolean() ? "NONE" : "RELU6";
    float[][] outs = new float[2][];
    int k = 0;
    for (Interpreter.Kernels kind : new Interpreter.Kernels[] {Interpreter.Kernels.REFERENCE, Interpreter.Kernels.SCALAR}) {
      OpTester t = OpTester.op(ops[opIndex]).kernels(kind)
          .options(FlatTable.of(options[opIndex]).set("fused_activation_function", activation));
      if (swap) t.input(TensorType.FLOAT32, b, y).input(TensorType.FLOAT32, a, x);
      else t.input(TensorType.FLOAT32, a, x).input(TensorType.FLOAT32, b, y);
      outs[k++] = t.output(TensorType.FLOAT32).runFloat();
    }
    assertArrayEquals(outs[0], outs[1]);
  }

  @Property(tries = 200)
  void reduceFastEqualsReference(@ForAll @IntRange(min = 1, max = 4) int h, @ForAll @IntRange(min = 1, max = 5) int w,
                                 @ForAll @IntRange(min = 1, max = 9) int c, @ForAll @IntRange(min = 0, max = 3) int axesChoice,
                                 @ForAll boolean keepDims, @ForAll boolean mean, @ForAll long seed) {
    Random r = new Random(seed);
    int[][] axes = {{1, 2}, {3}, {0, 1, 2, 3}, {-1, 1}};
    float[] x = random(r, 2 * h * w * c);
    float[][] outs = new float[2][];
    int k = 0;
    for (Interpreter.Kernels kind : new Interpreter.Kernels[] {Interpreter.Kernels.REFERENCE, Interpreter.Kernels.SCALAR}) {
      outs[k++] = OpTester.op(mean ? "MEAN" : "SUM").kernels(kind).options(FlatTable.of("ReducerOptions").set("keep_dims", keepDims))
          .input(TensorType.FLOAT32, new int[] {2, h, w, c}, x)
          .constant(TensorType.INT32, new int[] {axes[axesChoice].length}, axes[axesChoice])
          .output(TensorType.FLOAT32).runFloat();
    }
    assertArrayEquals(outs[0], outs[1]);
  }
}
