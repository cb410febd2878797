package io.kompakt.ops.reduce;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * MEAN and SUM over the axes of the second input (int32, a constant; negative axes count from the end, repeated
 * axes count once), with ReducerOptions keep_dims. As TFLite's reference: the input is summed in row-major order
 * into its output element; MEAN then divides each sum by the number of elements reduced into it. int8, uint8 and
 * int16 in {@link ReduceQuantizedReference}.
 */
public final class Reduce {
  private Reduce() {}

  public static Kernel prepareMean(OpContext ctx) { return prepare(ctx, true); }

  public static Kernel prepareSum(OpContext ctx) { return prepare(ctx, false); }

  private static Kernel prepare(OpContext ctx, boolean mean) {
    ctx.requireArity(2, 1);
    RuntimeTensor in = ctx.input(0), axesT = ctx.input(1), out = ctx.output(0);
    boolean keepDims = ctx.options("ReducerOptions").getBool("keep_dims");
    ctx.requireType(axesT, TensorType.INT32);
    // no axes need no values: a model may store an empty axes tensor without data
    ctx.require(axesT.constant || axesT.size() == 0, "axes " + axesT + " must be a constant (dynamic output shapes are not supported)");
    int rank = in.rank();
    boolean[] reduced = new boolean[rank];
    int[] axes = axesT.size() == 0 ? new int[0] : axesT.toIntArray();
    for (int a : axes) {
      ctx.require(a >= -rank && a < rank, "axis " + a + " is out of range for input " + in);
      reduced[a < 0 ? a + rank : a] = true;
    }
    // the output with keep_dims: reduced dimensions become 1 (same element order without keep_dims)
    int[] kept = in.shape.clone();
    List<Integer> squeezed = new ArrayList<>();
    int count = 1;
    for (int d = 0; d < rank; d++) {
      if (reduced[d]) {
        count *= in.dim(d);
        kept[d] = 1;
      } else {
        squeezed.add(in.dim(d));
      }
    }
    ctx.setOutputShape(0, keepDims ? kept : squeezed.stream().mapToInt(Integer::intValue).toArray());
    // input element i is summed into output element sum_d ((i / inStride[d]) % dim[d]) * outStride[d]
    int[] dims = in.shape.clone(), inStrides = new int[rank], outStrides = new int[rank];
    for (int d = rank - 1, si = 1, so = 1; d >= 0; d--) {
      inStrides[d] = si;
      outStrides[d] = reduced[d] ? 0 : so;
      si *= dims[d];
      so *= kept[d];
    }
    int inSize = in.size(), outSize = out.size(), n = count;
    if (in.type == TensorType.FLOAT32) {
      ctx.requireType(out, TensorType.FLOAT32);
      if (io.kompakt.ops.common.VectorSupport.variant(ctx) != io.kompakt.ops.common.VectorSupport.Variant.REFERENCE) {
        // the same sums in the same order, with each input element's output index computed once at prepare
        int[] outIndex = new int[inSize];
        for (int i = 0; i < inSize; i++) {
          int o = 0;
          for (int d = 0; d < rank; d++) o += (i / inStrides[d]) % dims[d] * outStrides[d];
          outIndex[i] = o;
        }
        return () -> {
          float[] x = in.f32, y = out.f32;
          int io = in.offset, oo = out.offset;
          for (int o = 0; o < outSize; o++) y[oo + o] = 0f;
          for (int i = 0; i < inSize; i++) y[oo + outIndex[i]] += x[io + i];
          if (mean) for (int o = 0; o < outSize; o++) y[oo + o] = y[oo + o] / (float) n;
        };
      }
      return () -> run(in.f32, in.offset, inSize, dims, inStrides, outStrides, out.f32, out.offset, outSize, mean, n);
    }
    if (io.kompakt.ops.common.QuantMath.isQuantizedType(in.type)) {
      int[] outIndex = new int[inSize];
      for (int i = 0; i < inSize; i++) {
        int o = 0;
        for (int d = 0; d < rank; d++) o += (i / inStrides[d]) % dims[d] * outStrides[d];
        outIndex[i] = o;
      }
      return ReduceQuantizedReference.prepare(ctx, mean, in, out, outIndex, n, axes.length == 0);
    }
    throw ctx.unsupported("input type " + in.type.lowerName() + " is not supported yet");
  }

  /**
   * Sums the input into the output in the input's row-major order; for MEAN divides each sum by {@code count},
   * the number of input elements in each output element.
   */
  public static void run(float[] in, int inOff, int inSize, int[] dims, int[] inStrides, int[] outStrides,
                         float[] out, int outOff, int outSize, boolean mean, int count) {
    for (int o = 0; o < outSize; o++) out[outOff + o] = 0f;
    for (int i = 0; i < inSize; i++) {
      int o = 0;
      for (int d = 0; d < dims.length; d++) o += (i / inStrides[d]) % dims[d] * outStrides[d];
      out[outOff + o] += in[inOff + i];
    }
    if (mean) for (int o = 0; o < outSize; o++) out[outOff + o] = out[outOff + o] / (float) count;
  }
}
