package io.kompakt.ops.dense;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FullyConnectedTest {
  static FlatTable options(String activation, boolean keepNumDims) {
    return FlatTable.of("FullyConnectedOptions").set("fused_activation_function", activation).set("keep_num_dims", keepNumDims);
  }

  static final float[] X = {1, 2, 3, 4, 5, 6};
  static final float[] W = {1, 0, -1, 0.5f, 0.5f, 0.5f};

  @Test
  void rowsTimesWeightsPlusBias() {
    OpTester t = OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .constant(TensorType.FLOAT32, new int[] {2}, new float[] {1, -1})
        .output(TensorType.FLOAT32);
    // [1 - 3 + 1, 3 - 1], [4 - 6 + 1, 7.5 - 1]
    assertArrayEquals(new float[] {-1, 2, -1, 6.5f}, t.runFloat());
    assertArrayEquals(new int[] {2, 2}, t.outputTensor(0).shape);
  }

  @Test
  void reluAndNoBias() {
    float[] y = OpTester.op("FULLY_CONNECTED").options(options("RELU", false))
        .input(TensorType.FLOAT32, new int[] {2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .noInput()
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {0, 3, 0, 7.5f}, y);
  }

  @Test
  void withoutKeepNumDimsTheInputIsFlattenedToRowsOfTheWeightsDepth() {
    // input [1, 2, 3] read as 2 rows of 3; and input [6] likewise
    OpTester t = OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {1, 2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32);
    assertArrayEquals(new float[] {-2, 3, -2, 7.5f}, t.runFloat());
    assertArrayEquals(new int[] {2, 2}, t.outputTensor(0).shape);
    OpTester flat = OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {6}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32);
    assertArrayEquals(new float[] {-2, 3, -2, 7.5f}, flat.runFloat());
    assertArrayEquals(new int[] {2, 2}, flat.outputTensor(0).shape);
  }

  @Test
  void keepNumDimsKeepsTheLeadingDimensions() {
    OpTester t = OpTester.op("FULLY_CONNECTED").options(options("RELU6", true))
        .input(TensorType.FLOAT32, new int[] {1, 2, 1, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32);
    assertArrayEquals(new float[] {0, 3, 0, 6}, t.runFloat());
    assertArrayEquals(new int[] {1, 2, 1, 2}, t.outputTensor(0).shape);
  }

  @Test
  void oneUnitOfSeventeenInputs() {
    float[] x = new float[17], w = new float[17];
    for (int i = 0; i < 17; i++) {
      x[i] = i + 1;
      w[i] = i % 2 == 0 ? 1 : -1;
    }
    // 1 - 2 + 3 - ... + 17 = 9
    float[] y = OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {1, 17}, x)
        .constant(TensorType.FLOAT32, new int[] {1, 17}, w)
        .constant(TensorType.FLOAT32, new int[] {1}, new float[] {0.25f})
        .output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(new float[] {9.25f}, y);
  }

  // ---- properties

  @Provide
  Arbitrary<Integer> sizes() { return Arbitraries.of(1, 2, 3, 5, 17); }

  /** The definition: out[b][u] = bias[u] + the dot product of row b of the input with row u of the weights. */
  @Property(tries = 100)
  void isADotProductPerRowAndUnit(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll("sizes") int depth, @ForAll("sizes") int units,
                                  @ForAll boolean withBias, @ForAll boolean keepNumDims, @ForAll boolean weightsAtRuntime,
                                  @ForAll long seed) {
    Random r = new Random(seed);
    float[] x = random(r, rows * depth), w = random(r, units * depth), bias = random(r, units);
    OpTester t = OpTester.op("FULLY_CONNECTED").options(options("NONE", keepNumDims))
        .input(TensorType.FLOAT32, new int[] {rows, 1, depth}, x);
    if (weightsAtRuntime) t.input(TensorType.FLOAT32, new int[] {units, depth}, w);
    else t.constant(TensorType.FLOAT32, new int[] {units, depth}, w);
    if (withBias) t.constant(TensorType.FLOAT32, new int[] {units}, bias);
    float[] y = t.output(TensorType.FLOAT32).runFloat();
    assertArrayEquals(keepNumDims ? new int[] {rows, 1, units} : new int[] {rows, units}, t.outputTensor(0).shape);
    for (int b = 0; b < rows; b++) {
      for (int u = 0; u < units; u++) {
        double dot = withBias ? bias[u] : 0;
        for (int d = 0; d < depth; d++) dot += (double) x[b * depth + d] * w[u * depth + d];
        assertEquals(dot, y[b * units + u], 1e-5 * (1 + Math.abs(dot)));
      }
    }
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
    return a;
  }

  // ---- errors

  static void assertRefused(OpTester t, String what) {
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, t::run);
    assertTrue(e.getMessage().contains("FULLY_CONNECTED") && e.getMessage().contains("operator #0")
        && e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void inputNotAWholeNumberOfRowsIsRefused() {
    assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {1, 4}, new float[4])
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32), "rows");
  }

  @Test
  void keepNumDimsNeedsTheLastDimensionToBeTheDepth() {
    assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", true))
        .input(TensorType.FLOAT32, new int[] {3, 2}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32), "keep_num_dims");
  }

  @Test
  void wrongWeightsRankAndBiasSizeAreRefused() {
    assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {1, 2, 3}, W)
        .output(TensorType.FLOAT32), "2-D");
    assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.FLOAT32, new int[] {2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .constant(TensorType.FLOAT32, new int[] {3}, new float[3])
        .output(TensorType.FLOAT32), "bias");
  }

  @Test
  void shuffledWeightsAndUnquantizedInt8AreNotSupported() {
    assertRefused(OpTester.op("FULLY_CONNECTED")
        .options(FlatTable.of("FullyConnectedOptions").set("weights_format", "SHUFFLED4x16INT8"))
        .input(TensorType.FLOAT32, new int[] {2, 3}, X)
        .constant(TensorType.FLOAT32, new int[] {2, 3}, W)
        .output(TensorType.FLOAT32), "SHUFFLED4x16INT8");
    assertRefused(OpTester.op("FULLY_CONNECTED").options(options("NONE", false))
        .input(TensorType.INT8, new int[] {2, 3}, new byte[6])
        .constant(TensorType.INT8, new int[] {2, 3}, new byte[6])
        .output(TensorType.INT8), "has no quantization");
  }
}
