package io.kompakt.ops.dense;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Activation;

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
      ctx.requireType(weights, TensorType.FLOAT32, TensorType.FLOAT16);
      ctx.requireType(out, TensorType.FLOAT32);
      if (bias != null) ctx.requireType(bias, TensorType.FLOAT32);
      float[] range = Activation.floatRange(ctx, o.getEnumName("fused_activation_function"));
      return () -> FullyConnectedReference.run(batch, depth, units, in.f32, in.offset, weights.f32, weights.offset,
          bias == null ? null : bias.f32, bias == null ? 0 : bias.offset, out.f32, out.offset, range[0], range[1]);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }
}
