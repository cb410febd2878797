package io.kompakt.ops.dense;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.VectorSupport;

/**
 * Fast float32 FULLY_CONNECTED: prepares a kernel for one geometry ([batch, depth] input, [units, depth] weights). Same
 * results as {@link FullyConnectedReference} up to float rounding (bias first, then depth in order; the vector kernel
 * uses fused multiply-adds).
 *
 * <p>The weights are repacked once, here, into blocks of units, [block][depth][width] (zero-padded for the vector
 * kernel, one array per (block, depth) row for the scalar one), so the innermost loop runs over contiguous units of
 * the output: {@code acc[u..] += in[b][d] * w[d][u..]}. Work items are the blocks of units; each output element is
 * computed by one thread in one fixed order, so results are bit-identical for any thread count. After warm-up a run
 * allocates nothing. Weights and bias are read at prepare only.
 */
public final class FullyConnectedF32Fast {
  private FullyConnectedF32Fast() {}

  /** A prepared layer: reads [batch][depth] at {@code inOff}, writes [batch][units] at {@code outOff}. */
  public interface Kernel {
    void run(float[] in, int inOff, float[] out, int outOff);
  }

  /**
   * Prepares a kernel.
   *
   * @param weights [units][depth] from {@code wOff}
   * @param bias    [units] from {@code bOff}, or null
   * @param vector  use the Vector API kernel; requires {@link VectorSupport#available()}
   * @param parallel threads to split the work over, or null for the calling thread only
   * @throws UnsupportedOperationException if {@code vector} and the Vector API is not available
   */
  public static Kernel prepare(int batch, int depth, int units, float[] weights, int wOff, float[] bias, int bOff, float min,
                               float max, boolean vector, Parallel parallel) {
    if (batch < 0 || depth < 1 || units < 1) {
      throw new IllegalArgumentException("bad fully connected geometry: batch " + batch + ", depth " + depth + ", units " + units);
    }
    if ((long) batch * depth > Integer.MAX_VALUE || (long) batch * units > Integer.MAX_VALUE
        || (long) depth * (units + 256) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("fully connected layer too large for int indexing: batch " + batch + ", depth " + depth
          + ", units " + units);
    }
    if (vector) {
      if (!VectorSupport.available()) {
        throw new UnsupportedOperationException("vector kernels need the Vector API: " + VectorSupport.describe());
      }
      return FullyConnectedF32Vector.create(batch, depth, units, weights, wOff, bias, bOff, min, max, parallel);
    }
    return new FullyConnectedF32Scalar(batch, depth, units, weights, wOff, bias, bOff, min, max, parallel);
  }

  /** Weights [units][depth] as [block][depth][width], the last block zero-padded. */
  static float[] packWeights(int depth, int units, float[] weights, int wOff, int width) {
    int blocks = blocks(units, width);
    float[] p = new float[blocks * depth * width];
    for (int u = 0; u < units; u++) {
      int dst = (u / width) * depth * width + u % width, src = wOff + u * depth;
      for (int d = 0; d < depth; d++) p[dst + d * width] = weights[src + d];
    }
    return p;
  }

  /** The bias padded with zeros to whole blocks (zeros when there is none). */
  static float[] packBias(float[] bias, int bOff, int units, int width) {
    float[] p = new float[blocks(units, width) * width];
    if (bias != null) System.arraycopy(bias, bOff, p, 0, units);
    return p;
  }

  static int blocks(int n, int width) { return (n + width - 1) / width; }

  /** {@link Parallel#grain}. */
  static int grain(long macsPerItem) { return Parallel.grain(macsPerItem); }

  /** {@link Parallel#run}. */
  static void forRange(Parallel parallel, int n, int grain, Parallel.Body body) { Parallel.run(parallel, n, grain, body); }

}
