package io.kompakt.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.QuantizedCase;
import io.kompakt.ops.common.QuantMath;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * MEAN and SUM on int8, uint8 and int16 against current TFLite's integer QuantizedMeanOrSum written out: the sum
 * less {@code zp_in * n}, times the multiplier of {@code s_in / s_out} (for MEAN folded with 1/n:
 * {@code k = min(floor(log2 n), 32, 31 + shift)}, {@code m' = (m << k) / n}, {@code shift - k}), plus {@code zp_out}.
 */
class ReduceIntegerTest {
  @Property(tries = 200)
  void meanAndSumMatchTheDefinition(@ForAll long seed) {
    Random r = new Random(seed);
    boolean mean = r.nextBoolean(), keep = r.nextBoolean();
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    int rank = 1 + r.nextInt(4);
    int[] shape = QuantizedCase.shape(r, rank, 5);
    boolean[] reduced = new boolean[rank];
    int axisCount = 1 + r.nextInt(rank);
    int[] axes = new int[axisCount];
    for (int i = 0; i < axisCount; i++) {
      int a = r.nextInt(rank);
      reduced[a] = true;
      axes[i] = r.nextBoolean() ? a : a - rank;
    }
    float si = QuantizedCase.scale(r, -8, 0), so = mean ? si * (float) (0.25 + r.nextDouble() * 2) : si * (float) (1 + r.nextDouble() * 30);
    int zi = QuantizedCase.zeroPoint(r, t), zo = QuantizedCase.zeroPoint(r, t);
    int[] x = QuantizedCase.values(r, QuantizedCase.size(shape), t);
    OpTester tester = OpTester.op(mean ? "MEAN" : "SUM").options(FlatTable.of("ReducerOptions").set("keep_dims", keep))
        .input(t, shape, QuantizedCase.storage(t, x), QuantizedCase.q(si, zi))
        .constant(TensorType.INT32, new int[] {axisCount}, axes)
        .output(t, new int[0], QuantizedCase.q(so, zo));
    tester.run();
    // output index of each input element: its coordinates with the reduced ones dropped
    int outSize = 1, n = 1;
    for (int d = 0; d < rank; d++) if (reduced[d]) n *= shape[d]; else outSize *= shape[d];
    long[] sums = new long[outSize];
    for (int i = 0; i < x.length; i++) {
      int rest = i, o = 0, stride = 1;
      for (int d = rank - 1; d >= 0; d--) {
        int coord = rest % shape[d];
        rest /= shape[d];
        if (!reduced[d]) { o += coord * stride; stride *= shape[d]; }
      }
      sums[o] += x[i];
    }
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier((double) si / (double) so);
    int mult = m.multiplier(), shift = m.shift();
    if (mean) {
      int k = Math.min(Math.min(31 - Integer.numberOfLeadingZeros(n), 32), 31 + shift);
      mult = (int) (((long) mult << k) / n);
      shift -= k;
    }
    int[] want = new int[outSize];
    for (int o = 0; o < outSize; o++) {
      int v = QuantMath.multiplyByQuantizedMultiplier((int) (sums[o] - (long) zi * n), mult, shift) + zo;
      want[o] = Math.max(QuantizedCase.lo(t), Math.min(QuantizedCase.hi(t), v));
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)), (mean ? "MEAN " : "SUM ") + t);
  }
}
