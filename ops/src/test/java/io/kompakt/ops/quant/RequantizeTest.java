package io.kompakt.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.QuantizedCase;
import io.kompakt.ops.common.QuantMath;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** QUANTIZE between integer types against reference_ops::Requantize written out. */
class RequantizeTest {
  static final TensorType[][] PAIRS = {
      {TensorType.INT8, TensorType.INT8}, {TensorType.INT8, TensorType.UINT8}, {TensorType.UINT8, TensorType.INT8},
      {TensorType.UINT8, TensorType.UINT8}, {TensorType.INT16, TensorType.INT8}, {TensorType.INT16, TensorType.INT16},
      {TensorType.INT16, TensorType.INT32}, {TensorType.INT32, TensorType.INT16}, {TensorType.INT32, TensorType.INT8},
      {TensorType.INT8, TensorType.INT16}, {TensorType.INT8, TensorType.INT32}};

  static int lo(TensorType t) { return t == TensorType.INT32 ? Integer.MIN_VALUE : QuantizedCase.lo(t); }

  static int hi(TensorType t) { return t == TensorType.INT32 ? Integer.MAX_VALUE : QuantizedCase.hi(t); }

  @Property(tries = 300)
  void requantizeMatchesTheDefinition(@ForAll long seed) {
    Random r = new Random(seed);
    TensorType[] p = PAIRS[r.nextInt(PAIRS.length)];
    TensorType in = p[0], out = p[1];
    float si = QuantizedCase.scale(r, -10, 0);
    // the int32 side of 16x8 models has a much finer scale; keep the multiplier's left shift small
    float so = out == TensorType.INT32 ? si / (float) Math.pow(2, 4 + r.nextInt(10)) * (float) (1 + r.nextDouble())
        : in == TensorType.INT32 ? si * (float) Math.pow(2, 8 + r.nextInt(10)) * (float) (1 + r.nextDouble())
        : si * (float) Math.pow(2, r.nextInt(6) - 3) * (float) (1 + r.nextDouble());
    int zi = in == TensorType.INT32 ? 0 : QuantizedCase.zeroPoint(r, in), zo = out == TensorType.INT32 ? 0 : QuantizedCase.zeroPoint(r, out);
    int n = 1 + r.nextInt(30);
    int[] x = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = in == TensorType.INT32 ? r.nextInt() >> r.nextInt(12) : QuantizedCase.values(r, 1, in)[0];
    }
    OpTester tester = OpTester.op("QUANTIZE").input(in, new int[] {n}, QuantizedCase.storage(in, x), QuantizedCase.q(si, zi))
        .output(out, new int[0], QuantizedCase.q(so, zo));
    tester.run();
    QuantMath.Multiplier m = QuantMath.quantizeMultiplier((double) si / (double) so);
    int[] want = new int[n];
    for (int i = 0; i < n; i++) {
      long v = (long) QuantMath.multiplyByQuantizedMultiplier(x[i] - zi, m.multiplier(), m.shift()) + zo;
      want[i] = (int) Math.max(lo(out), Math.min(hi(out), v));
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)), in + " -> " + out);
  }

  @Test
  void uint8ToInt16IsRefused() {
    assertThrows(UnsupportedOpException.class, () -> OpTester.op("QUANTIZE")
        .input(TensorType.UINT8, new int[] {1}, new byte[] {1}, QuantizedCase.q(1f, 0))
        .output(TensorType.INT16, new int[0], QuantizedCase.q(1f, 0)).run());
  }
}
