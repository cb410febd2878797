package io.kompakt.ops.shape;

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

/** CONCATENATION of uint8 inputs quantized differently, against ConcatenationWithScaling written out; ARG_MAX on integers. */
class ConcatIntegerTest {
  @Property(tries = 200)
  void uint8InputsAreRequantizedInFloat(@ForAll long seed) {
    Random r = new Random(seed);
    int rank = 1 + r.nextInt(3), axis = r.nextInt(rank), count = 1 + r.nextInt(3);
    int[] base = QuantizedCase.shape(r, rank, 3);
    float so = QuantizedCase.scale(r, -8, 0);
    int zo = QuantizedCase.zeroPoint(r, TensorType.UINT8);
    OpTester tester = OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", axis - (r.nextBoolean() ? rank : 0)));
    int[][] shapes = new int[count][], xs = new int[count][];
    float[] scales = new float[count];
    int[] zps = new int[count];
    int total = 0;
    for (int i = 0; i < count; i++) {
      shapes[i] = base.clone();
      shapes[i][axis] = 1 + r.nextInt(3);
      total += shapes[i][axis];
      boolean same = r.nextInt(3) == 0;
      scales[i] = same ? so : QuantizedCase.scale(r, -8, 0);
      zps[i] = same ? zo : QuantizedCase.zeroPoint(r, TensorType.UINT8);
      xs[i] = QuantizedCase.values(r, QuantizedCase.size(shapes[i]), TensorType.UINT8);
      tester.input(TensorType.UINT8, shapes[i], QuantizedCase.storage(TensorType.UINT8, xs[i]), QuantizedCase.q(scales[i], zps[i]));
    }
    tester.output(TensorType.UINT8, new int[0], QuantizedCase.q(so, zo));
    tester.run();
    int outer = 1;
    for (int d = 0; d < axis; d++) outer *= base[d];
    int[] want = new int[QuantizedCase.size(base) / base[axis] * total];
    int pos = 0;
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < count; i++) {
        int block = xs[i].length / outer;
        for (int j = 0; j < block; j++) {
          int q = xs[i][o * block + j];
          if (zps[i] == zo && scales[i] == so) {
            want[pos++] = q;
          } else {
            float scale = scales[i] * (1.f / so), bias = -zps[i] * scale;
            int v = (int) QuantMath.roundHalfAwayFromZero(q * scale + bias) + zo;
            want[pos++] = Math.max(0, Math.min(255, v));
          }
        }
      }
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)));
  }

  @Test
  void int8InputsQuantizedDifferentlyAreRefused() {
    assertThrows(UnsupportedOpException.class, () -> OpTester.op("CONCATENATION").options(FlatTable.of("ConcatenationOptions").set("axis", 0))
        .input(TensorType.INT8, new int[] {1}, new byte[] {1}, QuantizedCase.q(1f, 0))
        .input(TensorType.INT8, new int[] {1}, new byte[] {1}, QuantizedCase.q(0.5f, 0))
        .output(TensorType.INT8, new int[0], QuantizedCase.q(1f, 0)).run());
  }

  @Test
  void argMaxOnUint8AndInt16() {
    OpTester t = OpTester.op("ARG_MAX").options(FlatTable.of("ArgMaxOptions"))
        .input(TensorType.UINT8, new int[] {2, 3}, new byte[] {1, (byte) 200, 3, (byte) 255, 0, (byte) 255}, QuantizedCase.q(1f, 0))
        .constant(TensorType.INT32, new int[] {1}, new int[] {1}).output(TensorType.INT32);
    t.run();
    assertArrayEquals(new int[] {1, 0}, OpTester.ints(t.outputTensor(0)));
    OpTester s = OpTester.op("ARG_MAX").options(FlatTable.of("ArgMaxOptions"))
        .input(TensorType.INT16, new int[] {3}, new short[] {-5, -2, -3}, QuantizedCase.q(1f, 0))
        .constant(TensorType.INT32, new int[] {1}, new int[] {0}).output(TensorType.INT32);
    s.run();
    assertArrayEquals(new int[] {1}, OpTester.ints(s.outputTensor(0)));
  }
}
