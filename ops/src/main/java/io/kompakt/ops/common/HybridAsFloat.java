package io.kompakt.ops.common;

import io.kompakt.engine.run.SharedScratch;

/**
 * Hybrid (dynamic-range) conv, depthwise and dense ops on the fast float32 kernels, bit-identical to their reference
 * kernels: each input row (a batch image, or a dense layer's input row) is quantized to int8 exactly as the
 * reference does ({@link HybridQuant}), the integer sums {@code sum w * (q - zp)} are computed exactly in float (the
 * argument of {@link IntAsFloat}: |q - zp| <= 255, |w| <= 128, and {@code 255 * sum |w| < 2^24} per output channel,
 * checked at prepare), straight into the float output, and the same float epilogue as the reference follows: the
 * sum times the row's and the channel's scales, plus the bias, clamped.
 */
public final class HybridAsFloat {
  private final IntAsFloat.FloatKernel kernel;
  private final int rows, rowSize, outPerRow, channels;
  private final float[] weightScales;
  private final boolean asymmetric, scalesFirst, skipAllZero;
  private final byte[] quantized;
  private final float[] rowScales;
  private final int[] zeroPoints;
  private final SharedScratch.Floats inBuf;

  /**
   * The int8 weights as floats if the float sums are exact for them (the input side at its widest, |q - zp| <= 255),
   * else null.
   */
  public static float[] exactWeights(byte[] w, int off, int count, int channels, boolean channelInnermost) {
    return IntAsFloat.exactWeights(w, off, count, channels, channelInnermost, false, 0, false, -128);
  }

  /**
   * @param kernel       a float kernel computing raw sums (no bias, no clamp) over the weights of {@link #exactWeights}
   * @param rows         input rows, each quantized on its own (batch images; the dense layer's batch)
   * @param rowSize      values per input row
   * @param outPerRow    outputs per row, {@code channels} innermost
   * @param weightScales one scale, or one per output channel
   * @param asymmetric   rows quantized asymmetrically (else symmetrically, zero point 0)
   * @param scalesFirst  {@code sum * (rowScale * weightScale)} (conv, dense); else {@code sum * rowScale * weightScale}
   *                     (depthwise), as the reference kernel rounds
   * @param skipAllZero  an all-zero input gives the bias alone (the dense reference)
   */
  public HybridAsFloat(IntAsFloat.FloatKernel kernel, int rows, int rowSize, int outPerRow, int channels, float[] weightScales,
                       boolean asymmetric, boolean scalesFirst, boolean skipAllZero, SharedScratch scratch) {
    if (outPerRow % channels != 0) throw new IllegalArgumentException(outPerRow + " outputs are not a multiple of " + channels + " channels");
    this.kernel = kernel;
    this.rows = rows;
    this.rowSize = rowSize;
    this.outPerRow = outPerRow;
    this.channels = channels;
    this.weightScales = weightScales.clone();
    this.asymmetric = asymmetric;
    this.scalesFirst = scalesFirst;
    this.skipAllZero = skipAllZero;
    quantized = new byte[rows * rowSize];
    rowScales = new float[rows];
    zeroPoints = new int[rows];
    inBuf = scratch.floats("int-as-float.in", rows * rowSize);
  }

  public void run(float[] in, int inOff, float[] bias, int bOff, float[] out, int outOff, float min, float max) {
    int n = rows * outPerRow;
    if (skipAllZero && HybridQuant.allZero(in, inOff, rows * rowSize)) {
      for (int i = 0; i < n; i++) out[outOff + i] = Activation.clamp(bias == null ? 0f : bias[bOff + i % channels], min, max);
      return;
    }
    HybridQuant.quantizeRows(in, inOff, rows, rowSize, quantized, rowScales, zeroPoints, asymmetric);
    float[] a = inBuf.array();
    for (int r = 0; r < rows; r++) {
      int zp = zeroPoints[r];
      for (int i = r * rowSize, e = i + rowSize; i < e; i++) a[i] = quantized[i] - zp;
    }
    kernel.run(a, 0, out, outOff);
    boolean perChannel = weightScales.length > 1;
    for (int r = 0; r < rows; r++) {
      float rowScale = rowScales[r];
      for (int i = outOff + r * outPerRow, e = i + outPerRow, c = 0; i < e; i++) {
        float ws = perChannel ? weightScales[c] : weightScales[0];
        float v = scalesFirst ? out[i] * (rowScale * ws) : out[i] * rowScale * ws;
        if (bias != null) v += bias[bOff + c];
        out[i] = Activation.clamp(v, min, max);
        if (++c == channels) c = 0;
      }
    }
  }
}
