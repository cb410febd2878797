package io.kompakt.ops.dense;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.common.HybridAsFloat;
import io.kompakt.ops.common.HybridQuant;
import io.kompakt.ops.common.VectorSupport;

/**
 * Hybrid (dynamic-range) FULLY_CONNECTED: float32 input and output, int8 weights [units, depth] with one scale or
 * one per unit (zero points 0), optional float32 bias. As TensorFlow Lite's {@code fully_connected.cc}
 * (EvalHybridDense with the portable {@code tensor_utils}):
 *
 * <ol>
 *   <li>the output starts as the bias (or 0); if the whole input is zero, only the activation is applied;
 *   <li>each input row (of {@code depth} values) is quantized to int8 ({@link HybridQuant}), asymmetrically when
 *       the option {@code asymmetric_quantize_inputs} is set, else symmetrically: scale {@code s_b}, zero point
 *       {@code zp_b};
 *   <li>{@code acc = sum_d w[u, d] * q[b, d] - rowSum[u] * zp_b} in int32, {@code rowSum[u] = sum_d w[u, d]};
 *   <li>{@code out[b, u] = bias[u] + acc * (s_b * s_w[u])}: the two scales multiplied first (float), then the
 *       accumulator (converted to float) by that product, then the sum with the bias, each rounded to float;
 *   <li>the fused activation: NONE leaves the values as they are (TFLite's ApplyActivationToVector; an infinity
 *       stays infinite), RELU, RELU_N1_TO_1 and RELU6 clamp.
 * </ol>
 *
 * <p>One instance per prepared operator: it holds the quantized rows, their scales and zero points, and the
 * weights' row sums (computed at the first run, every run if the weights are not constant), so runs allocate nothing.
 */
public final class FullyConnectedHybridReference {
  private final int batch;
  private final int depth;
  private final int units;
  private final float[] weightScales;
  private final boolean asymmetric;
  private final byte[] quantized;
  private final float[] rowScales;
  private final int[] zeroPoints;
  private final int[] rowSums;
  private boolean rowSumsReady;

  /**
   * @param weightScales one scale, or one per unit
   * @param asymmetric whether input rows are quantized asymmetrically ({@code asymmetric_quantize_inputs})
   */
  public FullyConnectedHybridReference(int batch, int depth, int units, float[] weightScales, boolean asymmetric) {
    if (weightScales.length != 1 && weightScales.length != units) {
      throw new IllegalArgumentException(weightScales.length + " weight scales for " + units + " units");
    }
    this.batch = batch;
    this.depth = depth;
    this.units = units;
    this.weightScales = weightScales.clone();
    this.asymmetric = asymmetric;
    quantized = new byte[batch * depth];
    rowScales = new float[batch];
    zeroPoints = new int[batch];
    rowSums = new int[units];
  }

  /** Checks a FULLY_CONNECTED with float input and quantized weights and returns its kernel (called by {@link FullyConnected}). */
  static Kernel prepare(OpContext ctx, FlatTable o, int batch, int depth, int units) {
    RuntimeTensor in = ctx.input(0), weights = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    float[] scales = HybridQuant.weightScales(ctx, weights, units, 0);
    ctx.requireType(out, TensorType.FLOAT32);
    if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
    String activation = o.getEnumName("fused_activation_function");
    float[] range = Activation.floatRange(ctx, activation);
    float min = activation.equals("NONE") ? Float.NEGATIVE_INFINITY : range[0];
    float max = activation.equals("NONE") ? Float.POSITIVE_INFINITY : range[1];
    if (weights.type == TensorType.INT8 && VectorSupport.fastApplies(ctx, weights, bias)) {
      // the same arithmetic on the float32 fast kernel where the sums stay exact (HybridAsFloat)
      float[] wf = HybridAsFloat.exactWeights(weights.i8, weights.offset, units * depth, units, false);
      if (wf != null) {
        FullyConnectedF32Fast.Kernel f = FullyConnectedF32Fast.prepare(batch, depth, units, wf, 0, null, 0,
            Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR,
            ctx.parallel());
        HybridAsFloat h = new HybridAsFloat(f::run, batch, depth, units, units, scales, o.getBool("asymmetric_quantize_inputs"),
            true, true, ctx.scratch());
        return () -> h.run(in.f32, in.offset, bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32,
            out.offset, min, max);
      }
    }
    FullyConnectedHybridReference k = new FullyConnectedHybridReference(batch, depth, units, scales,
        o.getBool("asymmetric_quantize_inputs"));
    return () -> k.run(in.f32, in.offset, weights.i8, weights.offset, weights.constant,
        bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, min, max);
  }

  /**
   * One run.
   *
   * @param weightsConstant whether the weights keep their values between runs (row sums are then computed once)
   * @param min lower clamp of the fused activation ({@code -Infinity} for none)
   * @param max upper clamp of the fused activation ({@code +Infinity} for none)
   */
  public void run(float[] in, int inOff, byte[] w, int wOff, boolean weightsConstant, float[] bias, int bOff,
                  float[] out, int outOff, float min, float max) {
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) out[outOff + b * units + u] = bias == null ? 0f : bias[bOff + u];
    }
    if (!HybridQuant.allZero(in, inOff, batch * depth)) {
      HybridQuant.quantizeRows(in, inOff, batch, depth, quantized, rowScales, zeroPoints, asymmetric);
      if (asymmetric && (!rowSumsReady || !weightsConstant)) {
        for (int u = 0; u < units; u++) {
          int s = 0;
          for (int d = 0; d < depth; d++) s += w[wOff + u * depth + d];
          rowSums[u] = s;
        }
        rowSumsReady = true;
      }
      for (int b = 0; b < batch; b++) {
        float rowScale = rowScales[b];
        int zp = zeroPoints[b];
        for (int u = 0; u < units; u++) {
          int acc = 0;
          int wBase = wOff + u * depth, qBase = b * depth;
          for (int d = 0; d < depth; d++) acc += w[wBase + d] * quantized[qBase + d];
          if (asymmetric) acc -= rowSums[u] * zp;
          float scale = rowScale * HybridQuant.scale(weightScales, u);
          out[outOff + b * units + u] += acc * scale;
        }
      }
    }
    for (int i = 0; i < batch * units; i++) out[outOff + i] = Activation.clamp(out[outOff + i], min, max);
  }
}
