package io.kompakt.ops.quant;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * A tensor's affine quantization ({@code real = scale * (q - zeroPoint)}) as QUANTIZE and DEQUANTIZE use it:
 * per tensor, or per channel along quantized_dimension, with the channel of any element by its flat index.
 * One zero point for many scales is repeated, as TFLite does.
 */
final class Affine {
  final float[] scales;
  final int[] zeroPoints;
  /** Elements after the quantized dimension (the channel's stride); 1 per tensor. */
  final int inner;

  private Affine(float[] scales, int[] zeroPoints, int inner) {
    this.scales = scales;
    this.zeroPoints = zeroPoints;
    this.inner = inner;
  }

  /** The channel of element {@code i}. */
  int channel(int i) { return (i / inner) % scales.length; }

  static Affine of(OpContext ctx, RuntimeTensor t) {
    Quantization q = t.quantization;
    ctx.require(q.scale().length > 0, "tensor " + t + " has no quantization scale");
    int channels = q.scale().length;
    int[] zps = new int[channels];
    for (int c = 0; c < channels; c++) {
      zps[c] = q.zeroPoint().length == channels ? (int) q.zeroPoint()[c] : q.zeroPoint().length > 0 ? (int) q.zeroPoint()[0] : 0;
    }
    if (channels == 1) return new Affine(q.scale().clone(), zps, 1);
    int dim = q.quantizedDimension();
    ctx.require(dim >= 0 && dim < t.rank(), "quantized_dimension " + dim + " is outside " + t);
    ctx.require(t.shape[dim] == channels, "tensor " + t + " has " + channels + " scales for " + t.shape[dim] + " channels along dimension " + dim);
    int inner = 1;
    for (int i = dim + 1; i < t.rank(); i++) inner *= t.shape[i];
    return new Affine(q.scale().clone(), zps, inner);
  }
}
