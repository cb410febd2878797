package io.kompakt.ops.resize;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * RESIZE_BILINEAR: NHWC input, new size [newH, newW] from the second input (int32, a constant), options
 * align_corners and half_pixel_centers (not both). Float32, as TFLite's reference kernel, in float arithmetic;
 * uint8, int8 and int16 in {@link ResizeBilinearQuantizedReference}.
 */
public final class ResizeBilinear {
  private ResizeBilinear() {}

  /** Geometry of one resize. */
  public record Geometry(int batch, int inH, int inW, int channels, int outH, int outW, boolean alignCorners,
                         boolean halfPixelCenters) {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), size = ctx.input(1), out = ctx.output(0);
    FlatTable o = ctx.options("ResizeBilinearOptions");
    int[] hw = newSize(ctx, in, size);
    boolean align = o.getBool("align_corners"), half = o.getBool("half_pixel_centers");
    ctx.require(!(align && half), "half_pixel_centers and align_corners cannot both be true");
    ctx.setOutputShape(0, in.dim(0), hw[0], hw[1], in.dim(3));
    Geometry g = new Geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), hw[0], hw[1], align, half);
    if (in.type == TensorType.FLOAT32) {
      ctx.requireType(out, TensorType.FLOAT32);
      return () -> run(g, in.f32, in.offset, out.f32, out.offset);
    }
    if (in.type == TensorType.UINT8) {
      ctx.requireType(out, TensorType.UINT8);
      return () -> ResizeBilinearQuantizedReference.uint8(g, in, out);
    }
    if (in.type == TensorType.INT8 || in.type == TensorType.INT16) {
      ctx.requireType(out, in.type);
      return () -> ResizeBilinearQuantizedReference.integer(g, in, out);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }

  /** Checks the input (4-D) and the size input (int32 [2], a constant, positive); returns {newH, newW}. */
  static int[] newSize(OpContext ctx, RuntimeTensor in, RuntimeTensor size) {
    ctx.require(in.rank() == 4, "input must be 4-D (NHWC), is " + in);
    ctx.requireType(size, TensorType.INT32);
    ctx.require(size.rank() == 1 && size.size() == 2, "size must be an int32 vector [new_height, new_width], is " + size);
    ctx.require(size.constant, "size " + size + " must be a constant (dynamic output shapes are not supported)");
    int[] hw = size.toIntArray();
    ctx.require(hw[0] > 0 && hw[1] > 0, "size must be positive: [" + hw[0] + ", " + hw[1] + "]");
    return hw;
  }

  /** Input to output scale along one dimension, as TFLite computes it. */
  static float scale(int inSize, int outSize, boolean alignCorners) {
    return alignCorners && outSize > 1 ? (float) (inSize - 1) / (outSize - 1) : (float) inSize / outSize;
  }

  public static void run(Geometry g, float[] in, int inOff, float[] out, int outOff) {
    float scaleY = scale(g.inH(), g.outH(), g.alignCorners()), scaleX = scale(g.inW(), g.outW(), g.alignCorners());
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
            out[q + ch] = in[p00 + ch] * (1 - dy) * (1 - dx) + in[p10 + ch] * dy * (1 - dx)
                + in[p01 + ch] * (1 - dy) * dx + in[p11 + ch] * dy * dx;
          }
        }
      }
    }
  }
}
