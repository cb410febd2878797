package io.kompakt.ops.conv;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.QuantMath;
import java.util.Arrays;

/**
 * The requantization parameters of the integer convolutions and fully connected layers, derived exactly as TFLite
 * derives them at prepare ({@code kernel_util.cc}), because the rounding of the real multiplier decides the bits:
 *
 * <ul>
 *   <li>Per channel (int8 and int16 CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV always, a per-tensor filter scale
 *       broadcast over the channels; FULLY_CONNECTED with per-channel weights): PopulateConvolutionQuantizationParams,
 *       {@code (double) inputScale * (double) filterScale[c] / (double) outputScale}, in double throughout.
 *   <li>One multiplier (uint8 convolutions, every per-tensor FULLY_CONNECTED): GetQuantizedConvolutionMultipler,
 *       {@code (double) (inputScale * filterScale) / (double) outputScale}: the product of the two scales is rounded
 *       to float first.
 * </ul>
 *
 * Both go through QuantizeMultiplier ({@link QuantMath#quantizeMultiplier}); the kernels apply
 * {@code MultiplyByQuantizedMultiplier(acc, multiplier, shift)} with the shift as QuantizeMultiplier returns it
 * (positive = left). The fused activation becomes a clamp in the output's quantized domain
 * (CalculateActivationRangeQuantized).
 */
public final class ConvQuantParams {
  private ConvQuantParams() {}

  /** Per output channel multipliers and shifts (one value per channel even for a per-tensor filter), and the clamp. */
  public record Requant(int[] multiplier, int[] shift, int actMin, int actMax) {
    @Override
    public String toString() {
      return "Requant{multiplier=" + Arrays.toString(multiplier) + ", shift=" + Arrays.toString(shift) + ", clamp=["
          + actMin + ", " + actMax + "]}";
    }
  }

  /** Requires scale and zero point on a tensor (TFLite: kTfLiteAffineQuantization), with finite positive scales. */
  public static void requireQuantized(OpContext ctx, RuntimeTensor t, String role) {
    Quantization q = t.quantization;
    ctx.require(q.isQuantized(), role + " " + t + " of type " + t.type.lowerName() + " has no quantization (scale and zero point)");
    for (float s : q.scale()) {
      ctx.require(s > 0 && Float.isFinite(s), role + " " + t + " has a scale that is not finite and positive: " + s);
    }
  }

  /** Requires one scale and zero point (per-tensor quantization). */
  public static void requirePerTensor(OpContext ctx, RuntimeTensor t, String role) {
    requireQuantized(ctx, t, role);
    ctx.require(t.quantization.scale().length == 1, role + " " + t + " must be quantized per tensor, has "
        + t.quantization.scale().length + " scales");
  }

  /**
   * Checks a filter's scales: one, or one per channel along {@code channelDim} (TFLite: scale size 1 or channels,
   * and the quantized dimension's size equals the number of scales).
   */
  public static void requireFilterScales(OpContext ctx, RuntimeTensor filter, int channels, int channelDim) {
    requireQuantized(ctx, filter, "filter");
    Quantization q = filter.quantization;
    int n = q.scale().length;
    ctx.require(n == 1 || n == channels, "filter " + filter + " has " + n + " scales for " + channels + " output channels");
    if (n > 1) {
      ctx.require(q.quantizedDimension() == channelDim, "filter " + filter + " is quantized along dimension "
          + q.quantizedDimension() + "; per-channel scales must be along dimension " + channelDim);
    }
  }

  /**
   * Requires every zero point of a symmetric (int8 weights of an int8 or int16 kernel) filter to be 0: TFLite's
   * kernels ignore them, so a model with others would silently compute something else.
   */
  public static void requireSymmetric(OpContext ctx, RuntimeTensor filter) {
    for (long z : filter.quantization.zeroPoint()) {
      ctx.require(z == 0, "filter " + filter + " has zero point " + z + "; int8 weights must be symmetric (zero point 0)");
    }
  }

  /**
   * PopulateConvolutionQuantizationParams' per-channel multipliers, in double:
   * {@code (double) inputScale * (double) filterScale[c] / (double) outputScale}, a single filter scale broadcast
   * over the {@code channels}.
   */
  public static int[][] perChannelMultipliers(float inputScale, float[] filterScales, float outputScale, int channels) {
    int[] m = new int[channels], s = new int[channels];
    for (int c = 0; c < channels; c++) {
      float scale = filterScales.length > 1 ? filterScales[c] : filterScales[0];
      double effective = (double) inputScale * (double) scale / (double) outputScale;
      QuantMath.Multiplier q = QuantMath.quantizeMultiplier(effective);
      m[c] = q.multiplier();
      s[c] = q.shift();
    }
    return new int[][] {m, s};
  }

  /**
   * GetQuantizedConvolutionMultipler's one multiplier: {@code (double) (inputScale * filterScale) / (double) outputScale},
   * the product rounded to float first (the legacy uint8 path and per-tensor fully connected).
   */
  public static QuantMath.Multiplier floatProductMultiplier(float inputScale, float filterScale, float outputScale) {
    float product = inputScale * filterScale;
    return QuantMath.quantizeMultiplier((double) product / (double) outputScale);
  }

  /** The fused activation's clamp in the output's quantized domain, within the output type's range. */
  public static int[] activationRange(OpContext ctx, String activation, RuntimeTensor out) {
    int[] range = QuantMath.typeRange(out.type);
    switch (activation) {
      case "NONE": case "RELU": case "RELU6": case "RELU_N1_TO_1":
        // TFLite's Quantize helper refuses bounds whose quantized value leaves int32 (a tiny output scale)
        for (float bound : new float[] {-1f, 1f, 6f}) {
          float q = QuantMath.roundHalfAwayFromZero(bound / out.scale());
          ctx.require(activation.equals("NONE") || (q >= -0x1p31f && q <= 0x1p31f - 128),
              "fused activation " + activation + " cannot be quantized with output scale " + out.scale());
        }
        return QuantMath.activationRange(activation, out.scale(), out.zeroPoint(), range[0], range[1]);
      default:
        throw ctx.unsupported("fused activation " + activation + " is not supported for " + out.type.lowerName() + " output");
    }
  }

  /**
   * The per-channel requantization of an int8 or int16 kernel: checks the input, filter and output quantization
   * (filter scales along {@code channelDim}, symmetric filter) and derives multipliers and the clamp.
   */
  public static Requant perChannel(OpContext ctx, RuntimeTensor in, RuntimeTensor filter, RuntimeTensor out, int channels,
                                   int channelDim, String activation) {
    requirePerTensor(ctx, in, "input");
    requirePerTensor(ctx, out, "output");
    requireFilterScales(ctx, filter, channels, channelDim);
    requireSymmetric(ctx, filter);
    int[][] ms = perChannelMultipliers(in.scale(), filter.quantization.scale(), out.scale(), channels);
    int[] clamp = activationRange(ctx, activation, out);
    return new Requant(ms[0], ms[1], clamp[0], clamp[1]);
  }

  /**
   * The legacy one-multiplier requantization (uint8 convolutions, per-tensor fully connected), as arrays of one
   * value per channel so the kernels need not care.
   */
  public static Requant perTensor(OpContext ctx, RuntimeTensor in, RuntimeTensor filter, RuntimeTensor out, int channels,
                                  String activation) {
    requirePerTensor(ctx, in, "input");
    requirePerTensor(ctx, out, "output");
    requirePerTensor(ctx, filter, "filter");
    QuantMath.Multiplier q = floatProductMultiplier(in.scale(), filter.scale(), out.scale());
    int[] m = new int[channels], s = new int[channels];
    Arrays.fill(m, q.multiplier());
    Arrays.fill(s, q.shift());
    int[] clamp = activationRange(ctx, activation, out);
    return new Requant(m, s, clamp[0], clamp[1]);
  }

  /** Requires the int16 activations' zero points to be 0 (TFLite's 16x8 kernels have no offsets). */
  public static void requireInt16ZeroPoints(OpContext ctx, RuntimeTensor in, RuntimeTensor out) {
    ctx.require(in.zeroPoint() == 0, "int16 input " + in + " has zero point " + in.zeroPoint() + "; 16x8 kernels need 0");
    ctx.require(out.zeroPoint() == 0, "int16 output " + out + " has zero point " + out.zeroPoint() + "; 16x8 kernels need 0");
  }

  /** Whether an int16 kernel accumulates in 64 bits: with an int64 bias; int32 accumulators with an int32 bias. */
  public static boolean wideAccumulator(OpContext ctx, RuntimeTensor bias, boolean wideWithoutBias) {
    if (bias == null) return wideWithoutBias;
    ctx.requireType(bias, TensorType.INT64, TensorType.INT32);
    return bias.type == TensorType.INT64;
  }

  /**
   * Requires the shifts that the 64-bit MultiplyByQuantizedMultiplier accepts (below 8: real multipliers under 128),
   * so that a run cannot fail.
   */
  public static void requireWideShifts(OpContext ctx, Requant q) {
    for (int c = 0; c < q.shift().length; c++) {
      ctx.require(q.shift()[c] < 8, "channel " + c + ": the effective scale (input * filter / output) is 2^"
          + (q.shift()[c] - 1) + " or more; 64-bit requantization takes less than 128");
    }
  }
}
