package io.kompakt.ops.pool;

import io.kompakt.ops.common.Activation;

/**
 * AVERAGE_POOL_2D and MAX_POOL_2D in float32, plain loops, as TFLite's reference kernels: NHWC, per channel, over
 * the part of each window that lies inside the input (padding is never counted: the average divides by the number
 * of in-bounds elements), then clamped to the fused activation's range.
 */
public final class Pool2dReference {
  private Pool2dReference() {}

  /** Geometry of one pooling. */
  public record Geometry(int batch, int inH, int inW, int channels, int outH, int outW, int filterH, int filterW,
                         int strideH, int strideW, int padTop, int padLeft) {}

  public static void average(Geometry g, float[] in, int inOff, float[] out, int outOff, float min, float max) {
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int c = 0; c < g.channels(); c++) {
            float sum = 0f;
            int count = 0;
            for (int fy = 0; fy < g.filterH(); fy++) {
              int iy = oy * g.strideH() - g.padTop() + fy;
              if (iy < 0 || iy >= g.inH()) continue;
              for (int fx = 0; fx < g.filterW(); fx++) {
                int ix = ox * g.strideW() - g.padLeft() + fx;
                if (ix < 0 || ix >= g.inW()) continue;
                sum += in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.channels() + c];
                count++;
              }
            }
            // count > 0: every window of TFLite's output sizes overlaps the input (checked at prepare)
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.channels() + c] = Activation.clamp(sum / count, min, max);
          }
        }
      }
    }
  }

  public static void max(Geometry g, float[] in, int inOff, float[] out, int outOff, float min, float max) {
    for (int b = 0; b < g.batch(); b++) {
      for (int oy = 0; oy < g.outH(); oy++) {
        for (int ox = 0; ox < g.outW(); ox++) {
          for (int c = 0; c < g.channels(); c++) {
            float m = -Float.MAX_VALUE; // std::numeric_limits<float>::lowest()
            for (int fy = 0; fy < g.filterH(); fy++) {
              int iy = oy * g.strideH() - g.padTop() + fy;
              if (iy < 0 || iy >= g.inH()) continue;
              for (int fx = 0; fx < g.filterW(); fx++) {
                int ix = ox * g.strideW() - g.padLeft() + fx;
                if (ix < 0 || ix >= g.inW()) continue;
                float v = in[inOff + ((b * g.inH() + iy) * g.inW() + ix) * g.channels() + c];
                if (m < v) m = v; // std::max(m, v): a NaN input is skipped
              }
            }
            out[outOff + ((b * g.outH() + oy) * g.outW() + ox) * g.channels() + c] = Activation.clamp(m, min, max);
          }
        }
      }
    }
  }
}
