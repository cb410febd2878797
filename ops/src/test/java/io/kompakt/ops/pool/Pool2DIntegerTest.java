package io.kompakt.ops.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.ops.OpTester;
import io.kompakt.ops.QuantizedCase;
import io.kompakt.ops.common.QuantMath;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** AVERAGE_POOL_2D and MAX_POOL_2D on int8, uint8 and int16 against TFLite's reference loops written out. */
class Pool2DIntegerTest {
  @Property(tries = 200)
  void poolsMatchTheReferenceDefinition(@ForAll long seed) {
    Random r = new Random(seed);
    boolean average = r.nextBoolean(), same = r.nextBoolean();
    TensorType t = QuantizedCase.TYPES[r.nextInt(3)];
    int b = 1 + r.nextInt(2), h = 1 + r.nextInt(6), w = 1 + r.nextInt(6), c = 1 + r.nextInt(3);
    int fh = 1 + r.nextInt(Math.min(h, 3) + (same ? 1 : 0)), fw = 1 + r.nextInt(Math.min(w, 3) + (same ? 1 : 0));
    if (!same) { fh = Math.min(fh, h); fw = Math.min(fw, w); }
    int sh = 1 + r.nextInt(2), sw = 1 + r.nextInt(2);
    String act = new String[] {"NONE", "RELU", "RELU6", "RELU_N1_TO_1"}[r.nextInt(4)];
    float s = QuantizedCase.scale(r, -8, 0);
    int zp = QuantizedCase.zeroPoint(r, t);
    int[] x = QuantizedCase.values(r, b * h * w * c, t);
    FlatTable o = FlatTable.of("Pool2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_h", sh).set("stride_w", sw)
        .set("filter_height", fh).set("filter_width", fw).set("fused_activation_function", act);
    OpTester tester = OpTester.op(average ? "AVERAGE_POOL_2D" : "MAX_POOL_2D").options(o)
        .input(t, new int[] {b, h, w, c}, QuantizedCase.storage(t, x), QuantizedCase.q(s, zp))
        .output(t, new int[0], QuantizedCase.q(s, zp));
    tester.run();
    int oh = same ? (h + sh - 1) / sh : (h - fh + sh) / sh, ow = same ? (w + sw - 1) / sw : (w - fw + sw) / sw;
    int pt = same ? Math.max(0, ((oh - 1) * sh + fh - h) / 2) : 0, pl = same ? Math.max(0, ((ow - 1) * sw + fw - w) / 2) : 0;
    int[] rg = QuantMath.activationRange(act, s, zp, QuantizedCase.lo(t), QuantizedCase.hi(t));
    int[] want = new int[b * oh * ow * c];
    for (int n = 0; n < b; n++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) for (int ch = 0; ch < c; ch++) {
      long sum = 0;
      int count = 0, max = Integer.MIN_VALUE;
      for (int fy = 0; fy < fh; fy++) for (int fx = 0; fx < fw; fx++) {
        int iy = y * sh - pt + fy, ix = xx * sw - pl + fx;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        int v = x[((n * h + iy) * w + ix) * c + ch];
        sum += v;
        count++;
        max = Math.max(max, v);
      }
      // average: nearest, halves away from zero
      int v = average ? (int) (Math.signum(sum) * Math.floor((Math.abs(sum) + count / 2) / (double) count)) : max;
      want[((n * oh + y) * ow + xx) * c + ch] = Math.min(rg[1], Math.max(rg[0], v));
    }
    assertArrayEquals(want, OpTester.ints(tester.outputTensor(0)), (average ? "avg " : "max ") + t + " " + o);
  }
}
