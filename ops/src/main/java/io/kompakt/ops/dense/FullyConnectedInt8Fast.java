package io.kompakt.ops.dense;

import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.SharedScratch;
import io.kompakt.ops.common.IntAsFloat;

/**
 * Fast integer FULLY_CONNECTED, int8 ({@link FullyConnectedInt8Reference}: per channel, or per tensor with the weights'
 * zero point) and uint8 ({@link FullyConnectedUint8Reference}): prepares a kernel for one geometry ([batch, depth]
 * input, [units, depth] weights). Bit-exact with the reference kernels: the same int32 sums
 * {@code bias + sum (w - wZp) * (x - inZp)} (wrapping addition does not depend on order) and the same requantization.
 *
 * <p>As {@link FullyConnectedF32Fast}: the weights are repacked once, here, into int rows [block][depth] of a block of
 * units each, their zero point subtracted, so the innermost loop runs over the block's units:
 * {@code acc[j] += (x[b][d] - inZp) * w[d][j]}. Work items are the blocks of units; results are identical for any
 * thread count; after warm-up a run allocates nothing. Weights and bias are read at prepare only.
 */
public final class FullyConnectedInt8Fast {
  private FullyConnectedInt8Fast() {}

  /** A prepared layer: reads [batch][depth] at {@code inOff}, writes [batch][units] at {@code outOff}. */
  public interface Kernel {
    void run(byte[] in, int inOff, byte[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param weights    [units][depth] from {@code wOff}
   * @param unsigned   uint8 tensors (values {@code b & 0xFF}); else int8
   * @param wZp        the weights' zero point that the reference subtracts
   * @param bias       [units] from {@code bOff}, or null
   * @param multiplier per unit (the one multiplier repeated when per tensor)
   * @param parallel   threads to split the work over, or null for the calling thread only
   */
  public static Kernel prepare(int batch, int depth, int units, byte[] weights, int wOff, boolean unsigned, int wZp, int[] bias,
                               int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                               Parallel parallel) {
    return prepare(batch, depth, units, weights, wOff, unsigned, wZp, bias, bOff, inZp, outZp, multiplier, shift, actMin, actMax,
        false, null, parallel);
  }

  /**
   * Prepares a kernel that, where the weights allow (see {@link IntAsFloat}), computes the integer sums exactly with
   * the float32 kernels ({@code vector}: the Vector API ones) and otherwise runs the integer kernel. Bit-exact either
   * way.
   *
   * @param scratch the interpreter's shared scratch, or null for the integer kernel only
   */
  public static Kernel prepare(int batch, int depth, int units, byte[] weights, int wOff, boolean unsigned, int wZp, int[] bias,
                               int bOff, int inZp, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                               boolean vector, SharedScratch scratch, Parallel parallel) {
    if (batch < 0 || depth < 1 || units < 1) {
      throw new IllegalArgumentException("bad fully connected geometry: batch " + batch + ", depth " + depth + ", units " + units);
    }
    if ((long) batch * depth > Integer.MAX_VALUE || (long) batch * units > Integer.MAX_VALUE
        || (long) depth * (units + 256) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("fully connected layer too large for int indexing: batch " + batch + ", depth " + depth
          + ", units " + units);
    }
    if (scratch != null) {
      float[] wf = IntAsFloat.exactWeights(weights, wOff, depth * units, units, false, unsigned, wZp, unsigned, inZp);
      if (wf != null) {
        FullyConnectedF32Fast.Kernel k = FullyConnectedF32Fast.prepare(batch, depth, units, wf, 0, null, 0,
            Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, vector, parallel);
        IntAsFloat.ByteKernel b = IntAsFloat.wrap(k::run, batch * depth, batch * units, units, unsigned, inZp, bias, bOff, outZp,
            multiplier, shift, actMin, actMax, vector, parallel, scratch);
        return b::run;
      }
    }
    return new FullyConnectedInt8Scalar(batch, depth, units, weights, wOff, unsigned, wZp, bias, bOff, inZp, outZp, multiplier,
        shift, actMin, actMax, parallel);
  }
}
