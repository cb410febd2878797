package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.VectorSupport;

/**
 * Fast float32 DEPTHWISE_CONV_2D: prepares a kernel for one geometry. Same results as {@link DepthwiseConv2dReference}
 * up to float rounding (bias first, then the taps in (ky, kx) order; the vector kernel uses fused multiply-adds).
 *
 * <p>Channels are innermost everywhere. The scalar kernel ({@link DepthwiseConv2dF32Scalar}) works a whole output row
 * at a time, 3- and 5-wide filter rows fused into one pass; the vector kernel ({@link DepthwiseConv2dF32Vector}) a
 * pixel at a time, with 3x3 rows held in registers along the row; with few channels (a divisor of the lanes), stride 1,
 * {@link DepthwiseConv2dF32PixelsVector} puts several pixels into one vector. Near the border only the valid taps count (tap
 * ranges computed at prepare). A depth multiplier above 1 reads input channel {@code oc / mult} for output channel
 * {@code oc}.
 *
 * <p>Work items: output rows; each output element is computed by one thread in one fixed order, so results are
 * bit-identical for any thread count. After warm-up a run allocates nothing. Filter and bias are read at prepare only.
 */
public final class DepthwiseConv2dF32Fast {
  private DepthwiseConv2dF32Fast() {}

  /** A prepared depthwise convolution: reads the NHWC input at {@code inOff}, writes the NHWC output at {@code outOff}. */
  public interface Kernel {
    void run(float[] in, int inOff, float[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param filter  [1][kH][kW][inC * mult] from {@code fOff}
   * @param bias    [inC * mult] from {@code bOff}, or null
   * @param vector  use the Vector API kernel; requires {@link VectorSupport#available()}
   * @param parallel threads to split the work over, or null for the calling thread only
   * @throws UnsupportedOperationException if {@code vector} and the Vector API is not available
   */
  public static Kernel prepare(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff,
                               float min, float max, boolean vector, Parallel parallel) {
    check(g);
    if (vector) {
      if (!VectorSupport.available()) {
        throw new UnsupportedOperationException("vector kernels need the Vector API: " + VectorSupport.describe());
      }
      if (DepthwiseConv2dF32PixelsVector.applies(g)) return DepthwiseConv2dF32PixelsVector.create(g, filter, fOff, bias, bOff, min, max, parallel);
      if (g.depthMultiplier() == 1 || VECTOR_GATHER) return DepthwiseConv2dF32Vector.create(g, filter, fOff, bias, bOff, min, max, parallel);
    }
    return new DepthwiseConv2dF32Scalar(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  /**
   * Whether the vector kernel may gather its input channels (depth multiplier above 1). Not on aarch64: a Pi 4's NEON has
   * no gather instruction and JDK 17's C2 runs the Vector API's gather as Java code, boxing every vector (212 KB
   * allocated per run of a 9x9x10 x2 5x5 stride-2 layer on the emulated Pi, after 120 s of warm-up); there the scalar
   * kernel takes those layers. {@code -Dkompakt.vectorGather=true|false} overrides.
   */
  static final boolean VECTOR_GATHER = Boolean.parseBoolean(
      System.getProperty("kompakt.vectorGather", String.valueOf(!"aarch64".equals(System.getProperty("os.arch")))));

  private static void check(DepthwiseConv2dReference.Geometry g) {
    if (g.batch() < 0 || g.inH() < 1 || g.inW() < 1 || g.inC() < 1 || g.depthMultiplier() < 1 || g.outH() < 0 || g.outW() < 0
        || g.kH() < 1 || g.kW() < 1 || g.strideH() < 1 || g.strideW() < 1 || g.dilationH() < 1 || g.dilationW() < 1) {
      throw new IllegalArgumentException("bad depthwise convolution geometry " + g);
    }
    long in = (long) g.batch() * g.inH() * g.inW() * g.inC();
    long out = (long) g.batch() * g.outH() * g.outW() * g.inC() * g.depthMultiplier();
    long filter = (long) g.kH() * g.kW() * g.inC() * g.depthMultiplier();
    if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE || filter > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("depthwise convolution too large for int indexing: " + g);
    }
  }

  /** The filter as [kH * kW][stride], channels innermost, each tap's row zero-padded from outC to {@code stride}. */
  static float[] packFilter(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, int stride) {
    int outC = g.outC(), taps = g.kH() * g.kW();
    float[] p = new float[taps * stride];
    for (int t = 0; t < taps; t++) System.arraycopy(filter, fOff + t * outC, p, t * stride, outC);
    return p;
  }

  /** Offsets of every tap (ky, kx) from the input pixel of tap (0, 0): (ky * dH * inW + kx * dW) * inC. */
  static int[] tapOffsets(DepthwiseConv2dReference.Geometry g) {
    int[] t = new int[g.kH() * g.kW()];
    for (int ky = 0; ky < g.kH(); ky++) {
      for (int kx = 0; kx < g.kW(); kx++) t[ky * g.kW() + kx] = (ky * g.dilationH() * g.inW() + kx * g.dilationW()) * g.inC();
    }
    return t;
  }
}
