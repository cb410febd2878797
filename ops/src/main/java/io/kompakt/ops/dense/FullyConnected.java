package io.kompakt.ops.dense;

import io.kompakt.ops.common.VectorSupport;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;
import io.kompakt.ops.conv.ConvQuantParams;

/**
 * FULLY_CONNECTED: weights [units, depth], optional bias [units]; the input is read as [size / depth, depth].
 * The output is [batch, units], or with keep_num_dims the input's shape with its last dimension (which must then
 * be depth) replaced by units. Weights format DEFAULT only.
 */
public final class FullyConnected {
  private FullyConnected() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), weights = ctx.input(1), bias = ctx.input(2), out = ctx.output(0);
    FlatTable o = ctx.options("FullyConnectedOptions");
    String format = o.getEnumName("weights_format");
    ctx.require(format.equals("DEFAULT"), "weights format " + format + " is not supported");
    ctx.require(weights.rank() == 2, "weights must be 2-D ([units, depth]), is " + weights);
    int units = weights.dim(0), depth = weights.dim(1);
    ctx.require(depth > 0, "weights " + weights + " have depth 0");
    int size = in.size();
    ctx.require(size % depth == 0, "input " + in + " of " + size + " values is not a whole number of rows of depth " + depth);
    int batch = size / depth;
    if (bias != null) ctx.require(bias.size() == units, "bias has " + bias.size() + " values for " + units + " units");
    if (o.getBool("keep_num_dims")) {
      ctx.require(in.rank() >= 1 && in.dim(-1) == depth,
          "with keep_num_dims the input's last dimension must be the weights' depth " + depth + ", input is " + in);
      int[] shape = in.shape.clone();
      shape[shape.length - 1] = units;
      ctx.setOutputShape(0, shape);
    } else {
      ctx.setOutputShape(0, batch, units);
    }
    if (in.type == TensorType.FLOAT32) {
      if (weights.type == TensorType.INT8 || weights.type == TensorType.UINT8) {
        return FullyConnectedHybridReference.prepare(ctx, o, batch, depth, units); // hybrid (dynamic-range)
      }
      ctx.requireType(weights, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      VectorSupport.Variant variant = VectorSupport.variant(ctx);
      if (VectorSupport.fastApplies(ctx, weights, bias) && worthFast(batch, depth, units)) {
        Kernel sparse = FullyConnectedF32Sparse.select(ctx, batch, depth, units, range); // pruned weights (SparseSupport)
        if (sparse != null) return sparse;
        FullyConnectedF32Fast.Kernel fast = FullyConnectedF32Fast.prepare(batch, depth, units, weights.f32, weights.offset,
            bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, range[0], range[1], variant == VectorSupport.Variant.VECTOR,
            ctx.parallel());
        return () -> fast.run(in.f32, in.offset, out.f32, out.offset);
      }
      return () -> FullyConnectedReference.run(batch, depth, units, in.f32, in.offset, weights.f32, weights.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    String activation = o.getEnumName("fused_activation_function");
    if (in.type == TensorType.INT8) {
      ctx.requireType(weights, TensorType.INT8);
      ctx.requireType(out, TensorType.INT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = requant(ctx, in, weights, out, units, activation);
      int inZp = in.zeroPoint(), wZp = weightsOffsetZeroPoint(weights), outZp = out.zeroPoint();
      if (VectorSupport.fastApplies(ctx, weights, bias)) {
        boolean big = worthFast(batch, depth, units);
        if (big) {
          Kernel sparse = FullyConnectedInt8Sparse.select(ctx, batch, depth, units, wZp, q); // pruned weights (SparseSupport)
          if (sparse != null) return sparse;
        }
        // small layers (hello_world's 16 x 16) run the integer kernel on the calling thread: no float round trip
        FullyConnectedInt8Fast.Kernel fast = FullyConnectedInt8Fast.prepare(batch, depth, units, weights.i8, weights.offset, false,
            wZp, bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(),
            q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, big ? ctx.scratch() : null,
            big ? ctx.parallel() : null);
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      return () -> FullyConnectedInt8Reference.run(batch, depth, units, in.i8, in.offset, inZp, weights.i8, weights.offset, wZp,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp,
          q.multiplier(), q.shift(), q.actMin(), q.actMax());
    }
    if (in.type == TensorType.UINT8) {
      ctx.requireType(weights, TensorType.UINT8);
      ctx.requireType(out, TensorType.UINT8);
      if (bias != null) ctx.requireType(bias, TensorType.INT32);
      ConvQuantParams.Requant q = ConvQuantParams.perTensor(ctx, in, weights, out, units, activation);
      int inZp = in.zeroPoint(), wZp = weights.zeroPoint(), outZp = out.zeroPoint();
      if (VectorSupport.fastApplies(ctx, weights, bias)) {
        boolean big = worthFast(batch, depth, units); // as for int8
        FullyConnectedInt8Fast.Kernel fast = FullyConnectedInt8Fast.prepare(batch, depth, units, weights.i8, weights.offset, true,
            wZp, bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, inZp, outZp, q.multiplier(), q.shift(), q.actMin(),
            q.actMax(), VectorSupport.variant(ctx) == VectorSupport.Variant.VECTOR, big ? ctx.scratch() : null,
            big ? ctx.parallel() : null);
        return () -> fast.run(in.i8, in.offset, out.i8, out.offset);
      }
      int m = q.multiplier()[0], s = q.shift()[0];
      return () -> FullyConnectedUint8Reference.run(batch, depth, units, in.i8, in.offset, inZp, weights.i8, weights.offset, wZp,
          bias == null ? null : bias.i32, bias == null ? 0 : bias.offset, out.i8, out.offset, outZp, m, s, q.actMin(), q.actMax());
    }
    if (in.type == TensorType.INT16) {
      ctx.requireType(weights, TensorType.INT8);
      ctx.requireType(out, TensorType.INT16);
      ConvQuantParams.Requant q = requant(ctx, in, weights, out, units, activation);
      ConvQuantParams.requireInt16ZeroPoints(ctx, in, out);
      int wZp = weightsOffsetZeroPoint(weights);
      if (ConvQuantParams.wideAccumulator(ctx, bias, true)) {
        ConvQuantParams.requireWideShifts(ctx, q);
        return () -> FullyConnectedInt16Reference.run64(batch, depth, units, in.i16, in.offset, weights.i8, weights.offset, wZp,
            bias == null ? null : bias.i64, bias == null ? 0 : bias.offset, out.i16, out.offset,
            q.multiplier(), q.shift(), q.actMin(), q.actMax());
      }
      return () -> FullyConnectedInt16Reference.run32(batch, depth, units, in.i16, in.offset, weights.i8, weights.offset, wZp,
          bias.i32, bias.offset, out.i16, out.offset, q.multiplier(), q.shift(), q.actMin(), q.actMax());
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported");
  }

  /**
   * As TFLite's fully_connected.cc: per-channel weights (scales along dimension 0, zero points 0) get the double
   * per-channel multipliers; per-tensor weights the one multiplier of GetQuantizedConvolutionMultipler, whose
   * product of input and weight scales is rounded to float.
   */
  static ConvQuantParams.Requant requant(OpContext ctx, RuntimeTensor in, RuntimeTensor weights, RuntimeTensor out, int units,
                                         String activation) {
    ConvQuantParams.requireQuantized(ctx, weights, "weights");
    if (weights.quantization.scale().length > 1) return ConvQuantParams.perChannel(ctx, in, weights, out, units, 0, activation);
    return ConvQuantParams.perTensor(ctx, in, weights, out, units, activation);
  }

  /** The weights' zero point that the kernel subtracts: per tensor, TFLite keeps it; per channel it is 0. */
  static int weightsOffsetZeroPoint(RuntimeTensor weights) {
    return weights.quantization.scale().length > 1 ? 0 : weights.zeroPoint();
  }

  /**
   * Below a few thousand multiply-adds the fast kernels' set-up (threads, the float round trip of the integer path)
   * costs more than the loop they speed up: float layers that small take the reference kernel, integer ones the integer
   * kernel on the calling thread (hello_world int8: 0.52-0.67 -> 0.33 us a run).
   */
  static boolean worthFast(int batch, int depth, int units) { return (long) batch * depth * units >= 4096; }
}
