package io.kompakt.ops.resize;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * RESIZE_NEAREST_NEIGHBOR: NHWC input, new size [newH, newW] from the second input (int32, a constant), options
 * align_corners (round instead of floor) and half_pixel_centers (sample at +0.5), as TFLite's reference kernel.
 * Any element type is copied as is (int8, uint8, int16 and int32 keep their quantization, as TFLite).
 */
public final class ResizeNearestNeighbor {
  private ResizeNearestNeighbor() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), size = ctx.input(1), out = ctx.output(0);
    FlatTable o = ctx.options("ResizeNearestNeighborOptions");
    int[] hw = ResizeBilinear.newSize(ctx, in, size);
    boolean align = o.getBool("align_corners"), half = o.getBool("half_pixel_centers");
    ctx.setOutputShape(0, in.dim(0), hw[0], hw[1], in.dim(3));
    ResizeBilinear.Geometry g = new ResizeBilinear.Geometry(in.dim(0), in.dim(1), in.dim(2), in.dim(3), hw[0], hw[1], align, half);
    if (in.type == TensorType.FLOAT32) {
      ctx.requireType(out, TensorType.FLOAT32);
      return () -> run(g, in.f32, in.offset, out.f32, out.offset);
    }
    ctx.require(RuntimeTensor.storage(in.type) != RuntimeTensor.Storage.NONE, "input type " + in.type.lowerName() + " is not supported");
    ctx.requireType(out, in.type);
    int[] iy = new int[g.outH()], ix = new int[g.outW()];
    for (int y = 0; y < g.outH(); y++) iy[y] = nearest(y, g.inH(), g.outH(), align, half);
    for (int x = 0; x < g.outW(); x++) ix[x] = nearest(x, g.inW(), g.outW(), align, half);
    int c = g.channels();
    return () -> {
      for (int b = 0; b < g.batch(); b++) {
        for (int y = 0; y < g.outH(); y++) {
          for (int x = 0; x < g.outW(); x++) {
            io.kompakt.ops.common.Elements.copy(in, ((b * g.inH() + iy[y]) * g.inW() + ix[x]) * c, out,
                ((b * g.outH() + y) * g.outW() + x) * c, c);
          }
        }
      }
    };
  }

  /** The input index that output index {@code i} copies along one dimension (TFLite's GetNearestNeighbor). */
  public static int nearest(int i, int inSize, int outSize, boolean alignCorners, boolean halfPixelCenters) {
    float scale = ResizeBilinear.scale(inSize, outSize, alignCorners);
    float offset = halfPixelCenters ? 0.5f : 0f;
    float v = (i + offset) * scale;
    // std::round (half away from zero; v >= 0 here) or std::floor, computed exactly in double
    int r = alignCorners ? (int) Math.floor((double) v + 0.5) : (int) Math.floor(v);
    r = Math.min(r, inSize - 1);
    return halfPixelCenters ? Math.max(0, r) : r;
  }

  public static void run(ResizeBilinear.Geometry g, float[] in, int inOff, float[] out, int outOff) {
    int c = g.channels();
    for (int b = 0; b < g.batch(); b++) {
      for (int y = 0; y < g.outH(); y++) {
        int iy = nearest(y, g.inH(), g.outH(), g.alignCorners(), g.halfPixelCenters());
        for (int x = 0; x < g.outW(); x++) {
          int ix = nearest(x, g.inW(), g.outW(), g.alignCorners(), g.halfPixelCenters());
          int p = inOff + ((b * g.inH() + iy) * g.inW() + ix) * c, q = outOff + ((b * g.outH() + y) * g.outW() + x) * c;
          for (int ch = 0; ch < c; ch++) out[q + ch] = in[p + ch];
        }
      }
    }
  }
}
