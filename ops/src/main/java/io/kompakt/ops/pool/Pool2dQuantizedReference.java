package io.kompakt.ops.pool;

import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * AVERAGE_POOL_2D and MAX_POOL_2D on int8, uint8 and int16, plain loops as TFLite's reference kernels
 * (integer_ops/pooling.h, reference/pooling.h): on the raw quantized values (input and output share scale and zero
 * point), over the in-bounds part of each window. The average is the int32 sum divided by the count, rounded half
 * away from zero: {@code sum > 0 ? (sum + n/2) / n : (sum - n/2) / n} with C's truncating division. Both clamp to
 * the fused activation's quantized range.
 */
public final class Pool2dQuantizedReference {
  private Pool2dQuantizedReference() {}

  public static void average(Pool2dReference.Geometry g, RuntimeTensor in, RuntimeTensor out, int min, int max) {
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int c = 0; c < g.channels(); c++) {
            int sum = 0, count = 0;
            for (int fy = 0; fy < g.filterH(); fy++) {
              int iy = oy * g.strideH() - g.padTop() + fy;
              if (iy < 0 || iy >= g.inH()) continue;
              for (int fx = 0; fx < g.filterW(); fx++) {
                int ix = ox * g.strideW() - g.padLeft() + fx;
                if (ix < 0 || ix >= g.inW()) continue;
                sum += QuantMath.load(in, ((b * g.inH() + iy) * g.inW() + ix) * g.channels() + c);
                count++;
              }
            }
            // count > 0: every window overlaps the input (checked at prepare)
            int avg = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
            QuantMath.store(out, ((b * g.outH() + oy) * g.outW() + ox) * g.channels() + c, Math.min(max, Math.max(min, avg)));
          }
        }
      }
    }
  }

  public static void max(Pool2dReference.Geometry g, RuntimeTensor in, RuntimeTensor out, int min, int max) {
    int lowest = QuantMath.typeRange(in.type)[0];
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int c = 0; c < g.channels(); c++) {
            int m = lowest;
            for (int fy = 0; fy < g.filterH(); fy++) {
              int iy = oy * g.strideH() - g.padTop() + fy;
              if (iy < 0 || iy >= g.inH()) continue;
              for (int fx = 0; fx < g.filterW(); fx++) {
                int ix = ox * g.strideW() - g.padLeft() + fx;
                if (ix < 0 || ix >= g.inW()) continue;
                m = Math.max(m, QuantMath.load(in, ((b * g.inH() + iy) * g.inW() + ix) * g.channels() + c));
              }
            }
            QuantMath.store(out, ((b * g.outH() + oy) * g.outW() + ox) * g.channels() + c, Math.min(max, Math.max(min, m)));
          }
        }
      }
    }
  }
}
