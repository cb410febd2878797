package io.kompakt.ops.resize;

import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;

/**
 * RESIZE_BILINEAR on integer tensors, as TFLite's reference kernels (reference/resize_bilinear.h), on the raw
 * values (the output keeps the input's quantization).
 *
 * <p>uint8: the float ResizeBilinear template, the same float arithmetic as float32, plus 0.5 before the
 * truncating cast (TFLite's rounding_offset for integer types).
 *
 * <p>int8 and int16: ResizeBilinearInteger, no floating point: scales in Q10 ({@code (1024 * in + out/2) / out}),
 * sample positions in Q10 (half-pixel centers as {@code x * s + s/2 - 512}), bounds by truncating and ceiling
 * division by 1024, the four products in Q20 summed in 64 bits, then divided by 2^20 rounding half away from zero.
 */
public final class ResizeBilinearQuantizedReference {
  private ResizeBilinearQuantizedReference() {}

  public static void uint8(ResizeBilinear.Geometry g, RuntimeTensor input, RuntimeTensor output) {
    byte[] in = input.i8, out = output.i8;
    int inOff = input.offset, outOff = output.offset;
    float scaleY = ResizeBilinear.scale(g.inH(), g.outH(), g.alignCorners()), scaleX = ResizeBilinear.scale(g.inW(), g.outW(), g.alignCorners());
    int c = g.channels();
    for (int b = 0; b < g.batch(); b++) {
      for (int y = 0; y < g.outH(); y++) {
        float inY = g.halfPixelCenters() ? (y + 0.5f) * scaleY - 0.5f : y * scaleY;
        int y0 = Math.max((int) Math.floor(inY), 0), y1 = Math.min((int) Math.ceil(inY), g.inH() - 1);
        float dy = inY - y0;
        for (int x = 0; x < g.outW(); x++) {
          float inX = g.halfPixelCenters() ? (x + 0.5f) * scaleX - 0.5f : x * scaleX;
          int x0 = Math.max((int) Math.floor(inX), 0), x1 = Math.min((int) Math.ceil(inX), g.inW() - 1);
          float dx = inX - x0;
          int p00 = inOff + ((b * g.inH() + y0) * g.inW() + x0) * c, p10 = inOff + ((b * g.inH() + y1) * g.inW() + x0) * c;
          int p01 = inOff + ((b * g.inH() + y0) * g.inW() + x1) * c, p11 = inOff + ((b * g.inH() + y1) * g.inW() + x1) * c;
          int q = outOff + ((b * g.outH() + y) * g.outW() + x) * c;
          for (int ch = 0; ch < c; ch++) {
            float v = (in[p00 + ch] & 0xFF) * (1 - dy) * (1 - dx) + (in[p10 + ch] & 0xFF) * dy * (1 - dx)
                + (in[p01 + ch] & 0xFF) * (1 - dy) * dx + (in[p11 + ch] & 0xFF) * dy * dx + 0.5f;
            out[q + ch] = (byte) (int) v; // static_cast<uint8_t> of a value in [0, 255.5]
          }
        }
      }
    }
  }

  /** Q10 scale of one dimension, as ResizeBilinearInteger computes it. */
  static int scale10(int inSize, int outSize, boolean alignCorners) {
    if (alignCorners && outSize > 1) return ((1 << 10) * (inSize - 1) + (outSize - 1) / 2) / (outSize - 1);
    return ((1 << 10) * inSize + outSize / 2) / outSize;
  }

  public static void integer(ResizeBilinear.Geometry g, RuntimeTensor input, RuntimeTensor output) {
    int sy = scale10(g.inH(), g.outH(), g.alignCorners()), sx = scale10(g.inW(), g.outW(), g.alignCorners());
    int c = g.channels();
    for (int b = 0; b < g.batch(); b++) {
      for (int y = 0; y < g.outH(); y++) {
        int inY = g.halfPixelCenters() ? y * sy + sy / 2 - (1 << 9) : y * sy;
        int y0 = Math.max(inY / (1 << 10), 0), y1 = Math.min((inY + (1 << 10) - 1) / (1 << 10), g.inH() - 1);
        for (int x = 0; x < g.outW(); x++) {
          int inX = g.halfPixelCenters() ? x * sx + sx / 2 - (1 << 9) : x * sx;
          int x0 = Math.max(inX / (1 << 10), 0), x1 = Math.min((inX + (1 << 10) - 1) / (1 << 10), g.inW() - 1);
          int p00 = ((b * g.inH() + y0) * g.inW() + x0) * c, p10 = ((b * g.inH() + y1) * g.inW() + x0) * c;
          int p01 = ((b * g.inH() + y0) * g.inW() + x1) * c, p11 = ((b * g.inH() + y1) * g.inW() + x1) * c;
          int q = ((b * g.outH() + y) * g.outW() + x) * c;
          long wy = inY - (1 << 10) * y0, wx = inX - (1 << 10) * x0;
          for (int ch = 0; ch < c; ch++) {
            long v = (long) QuantMath.load(input, p00 + ch) * ((1 << 10) - wy) * ((1 << 10) - wx)
                + (long) QuantMath.load(input, p10 + ch) * wy * ((1 << 10) - wx)
                + (long) QuantMath.load(input, p01 + ch) * ((1 << 10) - wy) * wx
                + (long) QuantMath.load(input, p11 + ch) * wy * wx;
            long round = v > 0 ? (1 << 19) : -(1 << 19);
            QuantMath.store(output, q + ch, (int) ((v + round) / (1 << 20)));
          }
        }
      }
    }
  }
}
