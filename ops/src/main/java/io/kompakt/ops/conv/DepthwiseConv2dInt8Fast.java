package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.SharedScratch;
import io.kompakt.ops.common.IntAsFloat;

/**
 * Fast integer DEPTHWISE_CONV_2D, int8 (per-channel, {@link DepthwiseConv2dInt8Reference}) and uint8 (legacy
 * per-tensor, {@link DepthwiseConv2dUint8Reference}): prepares a kernel for one geometry. Bit-exact with the reference
 * kernels: the same int32 sums {@code bias + sum (w - wZp) * (x - inZp)} (wrapping addition does not depend on order)
 * and the same requantization per output element.
 *
 * <p>The structure is that of {@link DepthwiseConv2dF32Scalar} ({@link DepthwiseConv2dInt8Scalar}): a whole output
 * row at a time, channels innermost, the input values of each tap gathered into a per-thread int row with the input
 * zero point subtracted (0 in the padding: a padded tap adds nothing, as the reference skips it), the filter
 * replicated along the row at prepare with its zero point subtracted. Work items are output rows; results are
 * identical for any thread count; after warm-up a run allocates nothing. Filter and bias are read at prepare only.
 */
public final class DepthwiseConv2dInt8Fast {
  private DepthwiseConv2dInt8Fast() {}

  /** A prepared depthwise convolution: reads the NHWC input at {@code inOff}, writes the NHWC output at {@code outOff}. */
  public interface Kernel {
    void run(byte[] in, int inOff, byte[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param filter     [1][kH][kW][inC * mult] from {@code fOff}
   * @param unsigned   uint8 tensors (values {@code b & 0xFF}); else int8
   * @param filterZp   the filter's zero point (uint8; 0 for int8)
   * @param bias       [inC * mult] from {@code bOff}, or null
   * @param multiplier per output channel (the one multiplier repeated for uint8)
   * @param parallel   threads to split the work over, or null for the calling thread only
   */
  public static Kernel prepare(DepthwiseConv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp,
                               int[] bias, int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
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
  public static Kernel prepare(DepthwiseConv2dReference.Geometry g, byte[] filter, int fOff, boolean unsigned, int filterZp,
                               int[] bias, int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                               boolean vector, SharedScratch scratch, Parallel parallel) {
    if (g.batch() < 0 || g.inH() < 1 || g.inW() < 1 || g.inC() < 1 || g.depthMultiplier() < 1 || g.outH() < 0 || g.outW() < 0
        || g.kH() < 1 || g.kW() < 1 || g.strideH() < 1 || g.strideW() < 1 || g.dilationH() < 1 || g.dilationW() < 1) {
      throw new IllegalArgumentException("bad depthwise convolution geometry " + g);
    }
    long in = (long) g.batch() * g.inH() * g.inW() * g.inC();
    long out = (long) g.batch() * g.outH() * g.outW() * g.inC() * g.depthMultiplier();
    long f = (long) g.kH() * g.kW() * g.inC() * g.depthMultiplier();
    if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE || f > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("depthwise convolution too large for int indexing: " + g);
    }
    if (scratch != null) {
      int outC = g.inC() * g.depthMultiplier();
      float[] wf = IntAsFloat.exactWeights(filter, fOff, g.kH() * g.kW() * outC, outC, true, unsigned, filterZp, unsigned, inZp);
      if (wf != null) {
        DepthwiseConv2dF32Fast.Kernel k = DepthwiseConv2dF32Fast.prepare(g, wf, 0, null, 0, Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY, vector, parallel);
        IntAsFloat.ByteKernel b = IntAsFloat.wrap(k::run, (int) in, (int) out, outC, unsigned, inZp, bias, bOff, outZp, multiplier,
            shift, actMin, actMax, vector, parallel, scratch);
        return b::run;
      }
    }
    return new DepthwiseConv2dInt8Scalar(g, filter, fOff, unsigned, filterZp, bias, bOff, inZp, outZp, multiplier, shift, actMin,
        actMax, parallel);
  }
}
