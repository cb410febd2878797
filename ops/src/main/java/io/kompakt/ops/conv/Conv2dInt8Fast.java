package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.SharedScratch;
import io.kompakt.ops.common.IntAsFloat;
import io.kompakt.ops.common.QuantMath;

/**
 * Fast integer CONV_2D, int8 (per-channel, {@link Conv2dInt8Reference}) and uint8 (legacy per-tensor,
 * {@link Conv2dUint8Reference}): prepares a kernel for one geometry. Bit-exact with the reference kernels: the int32
 * sums {@code bias + sum (w - wZp) * (x - inZp)} are the same (32-bit addition wraps alike in any order), and the
 * requantization is the same call per output element.
 *
 * <p>The structure is that of {@link Conv2dF32DirectScalar}: the filter is repacked once, at prepare, into int weight
 * rows {@code [block][ky][kx][ic]} of a block of output channels each, the filter zero point already subtracted
 * (uint8); the input zero point is applied to the one input value that multiplies a whole row
 * ({@code a = x - inZp}), so no correction term is needed anywhere, and taps in the padding are simply skipped (their
 * tap ranges per output row and column are computed at prepare), as the reference skips them. The innermost loop
 * {@code acc[j] = acc[j] + a0 * w0[j] + ... + a3 * w3[j]} indexes every array alike, which C2 turns into SIMD.
 *
 * <p>Work items are (output row, output-channel block); each output element is computed by one thread in one fixed
 * way, and integer sums do not depend on order anyway, so results are identical for any thread count. After warm-up a
 * run allocates nothing. The filter and bias must be constant: they are read here, at prepare, and not again.
 */
public final class Conv2dInt8Fast {
  private Conv2dInt8Fast() {}

  /** A prepared convolution: reads the NHWC input at {@code inOff}, writes the NHWC output at {@code outOff}. */
  public interface Kernel {
    void run(byte[] in, int inOff, byte[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param filter     OHWI filter [outC][kH][kW][inC] from {@code fOff}
   * @param unsigned   uint8 tensors (values {@code b & 0xFF}); else int8
   * @param filterZp   the filter's zero point (uint8; 0 for int8, whose reference ignores it)
   * @param bias       [outC] from {@code bOff}, or null
   * @param multiplier per output channel (the one multiplier repeated for uint8), as {@link ConvQuantParams.Requant}
   * @param parallel   threads to split the work over, or null for the calling thread only
   */
  public static Kernel prepare(Conv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp, int[] bias,
                               int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                               Parallel parallel) {
    return prepare(g, filter, fOff, unsigned, filterZp, bias, bOff, inZp, outZp, multiplier, shift, actMin, actMax, false, null,
        parallel);
  }

  /**
   * Prepares a kernel that, where the weights allow (see {@link IntAsFloat}), computes the integer sums exactly with
   * the float32 kernels ({@code vector}: the Vector API ones) and otherwise runs the integer kernel. Bit-exact either
   * way.
   *
   * @param scratch the interpreter's shared scratch, or null for the integer kernel only
   */
  public static Kernel prepare(Conv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp, int[] bias,
                               int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                               boolean vector, SharedScratch scratch, Parallel parallel) {
    check(g);
    if (scratch != null) {
      int count = g.outC() * g.kH() * g.kW() * g.inC();
      float[] wf = IntAsFloat.exactWeights(filter, fOff, count, g.outC(), false, unsigned, filterZp, unsigned, inZp);
      if (wf != null) {
        Conv2dF32Fast.Kernel k = Conv2dF32Fast.prepare(g, wf, 0, null, 0, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
            vector, parallel);
        IntAsFloat.ByteKernel b = IntAsFloat.wrap(k::run, g.batch() * g.inH() * g.inW() * g.inC(),
            g.batch() * g.outH() * g.outW() * g.outC(), g.outC(), unsigned, inZp, bias, bOff, outZp, multiplier, shift, actMin,
            actMax, vector, parallel, scratch);
        return b::run;
      }
    }
    return new Conv2dInt8Scalar(g, filter, fOff, unsigned, filterZp, bias, bOff, inZp, outZp, multiplier, shift, actMin, actMax,
        parallel);
  }

  private static void check(Conv2dReference.Geometry g) {
    if (g.batch() < 0 || g.inH() < 1 || g.inW() < 1 || g.inC() < 1 || g.outH() < 0 || g.outW() < 0 || g.outC() < 1
        || g.kH() < 1 || g.kW() < 1 || g.strideH() < 1 || g.strideW() < 1 || g.dilationH() < 1 || g.dilationW() < 1) {
      throw new IllegalArgumentException("bad convolution geometry " + g);
    }
    long in = (long) g.batch() * g.inH() * g.inW() * g.inC(), out = (long) g.batch() * g.outH() * g.outW() * g.outC();
    long filter = (long) g.outC() * g.kH() * g.kW() * g.inC();
    if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE || filter > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("convolution too large for int indexing: " + g);
    }
  }

  /** 256 entries: the value of byte bits {@code b & 0xFF} as int8 or uint8, minus {@code zeroPoint}. */
  static int[] offsetTable(boolean unsigned, int zeroPoint) {
    int[] t = new int[256];
    for (int b = 0; b < 256; b++) t[b] = (unsigned ? b : (byte) b) - zeroPoint;
    return t;
  }

  /**
   * Requantizes acc[0 .. width) (bias included) into out from {@code o}: channel {@code c0 + j} with its multiplier,
   * plus the output zero point, clamped, as the reference kernels do.
   */
  static void requantize(int[] acc, int width, int[] multiplier, int[] shift, int c0, int outZp, int actMin, int actMax,
                         byte[] out, int o) {
    for (int j = 0; j < width; j++) {
      int v = QuantMath.multiplyByQuantizedMultiplier(acc[j], multiplier[c0 + j], shift[c0 + j]) + outZp;
      out[o + j] = (byte) Math.min(Math.max(v, actMin), actMax);
    }
  }
}
