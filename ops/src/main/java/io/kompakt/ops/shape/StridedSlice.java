package io.kompakt.ops.shape;

import io.kompakt.ops.common.Shapes;
import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * STRIDED_SLICE as TFLite's reference kernel: begin, end and strides inputs (constant, one value per spec),
 * negative indices counting from the end, negative strides walking backwards, begin_mask/end_mask (use the
 * whole range), shrink_axis_mask (take one index and drop the dimension), ellipsis_mask (one spec standing for
 * as many full dimensions as needed), new_axis_mask (insert a size-1 dimension), and offset (end is relative to
 * begin). Specs beyond the given ones take whole dimensions. A shrunk axis takes the element at begin whatever
 * the stride's sign (TFLite's reference loop writes nothing for a negative stride there; TensorFlow takes begin).
 */
public final class StridedSlice {
  private StridedSlice() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(4, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    Shapes.requireSameType(ctx, in, out);
    int[] begin = Shapes.constantInts(ctx, ctx.input(1), "begin");
    int[] end = Shapes.constantInts(ctx, ctx.input(2), "end");
    int[] strides = Shapes.constantInts(ctx, ctx.input(3), "strides");
    ctx.require(ctx.input(1).rank() == 1 && ctx.input(2).rank() == 1 && ctx.input(3).rank() == 1, "begin, end and strides must be 1-D");
    ctx.require(begin.length == end.length && begin.length == strides.length,
        "begin, end and strides differ in length: " + begin.length + ", " + end.length + ", " + strides.length);
    ctx.require(begin.length <= 31, "at most 31 indices are supported, got " + begin.length);
    FlatTable o = ctx.options("StridedSliceOptions");
    if (o.getBool("offset")) {
      // TFLite sizes an offset slice from the end input alone, one value per input dimension
      ctx.require(o.getInt("ellipsis_mask") == 0 && o.getInt("new_axis_mask") == 0 && begin.length == in.rank(),
          "offset slices need one begin/end/stride per dimension and no ellipsis or new axis");
    }
    Slicing s = expand(ctx, in.shape, begin, end, strides, o.getInt("begin_mask"), o.getInt("end_mask"),
        o.getInt("ellipsis_mask"), o.getInt("new_axis_mask"), o.getInt("shrink_axis_mask"), o.getBool("offset"));
    int rank = s.shape.length;
    int[] start = new int[rank], count = new int[rank];
    List<Integer> outShape = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      ctx.require(s.stride[i] != 0, "stride " + i + " is 0");
      ctx.require(s.stride[i] != Integer.MIN_VALUE, "stride " + i + " is INT32_MIN");
      start[i] = startForAxis(s, i);
      boolean shrink = bit(s.shrinkMask, i);
      if (shrink) {
        // one element at begin, whatever the stride's sign (TFLite's loop takes none for a negative stride here)
        ctx.require(start[i] >= 0 && start[i] < s.shape[i], "shrink index " + s.start[i] + " is out of range for a dimension of size "
            + s.shape[i]);
        count[i] = 1;
      } else {
        count[i] = iterations(start[i], endForAxis(s, i, start[i]), s.stride[i]);
        outShape.add(count[i]);
      }
      if (s.offset && !shrink) {
        // TFLite sizes the output from end alone; begin + end must stay inside the dimension
        int declared = iterations(0, s.stop[i], s.stride[i]);
        ctx.require(declared == count[i], "offset slice of " + s.stop[i] + " from " + start[i] + " leaves dimension "
            + i + " (size " + s.shape[i] + ")");
      }
    }
    ctx.setOutputShape(0, outShape.stream().mapToInt(Integer::intValue).toArray());
    int[] inStrides = Shapes.strides(s.shape);
    int srcStart = 0;
    int[] srcStrides = new int[rank];
    for (int i = 0; i < rank; i++) {
      srcStart += start[i] * inStrides[i];
      srcStrides[i] = s.stride[i] * inStrides[i];
    }
    int[] dstStrides = Shapes.strides(count);
    int from = srcStart;
    return () -> Elements.copyStrided(in, from, srcStrides, out, 0, dstStrides, count);
  }

  /**
   * The slice over the "effective" input: the input's shape with the new axes inserted, one begin, end, stride
   * and mask bit per effective dimension (the ellipsis and the specs not given expanded to whole dimensions).
   */
  static final class Slicing {
    int[] shape, start, stop, stride;
    int beginMask, endMask, shrinkMask;
    boolean offset;
  }

  static Slicing expand(OpContext ctx, int[] inShape, int[] begin, int[] end, int[] strides, int beginMask, int endMask,
                        int ellipsisMask, int newAxisMask, int shrinkMask, boolean offset) {
    int specs = begin.length, inRank = inShape.length;
    ctx.require(Integer.bitCount(ellipsisMask & ((int) ((1L << specs) - 1))) <= 1, "more than one ellipsis in ellipsis_mask " + ellipsisMask);
    int addAxes = 0;
    for (int i = 0; i < specs; i++) if (!bit(ellipsisMask, i) && bit(newAxisMask, i)) addAxes++;
    int rank = inRank + addAxes;
    // which effective dimensions the ellipsis covers, and which are new axes
    boolean[] ellipsis = new boolean[rank], newAxis = new boolean[rank];
    int ellipsisStart = rank, expanded = 0;
    for (int i = 0; i < rank; ) {
      if (bit(ellipsisMask, i)) {
        ellipsisStart = i;
        int ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + addAxes + inRank - specs, rank));
        expanded = ellipsisEnd - ellipsisStart - 1;
        for (; i < ellipsisEnd; i++) ellipsis[i] = true;
        continue;
      }
      if (bit(newAxisMask, i - expanded)) newAxis[i] = true;
      i++;
    }
    Slicing s = new Slicing();
    s.shape = new int[rank];
    s.start = new int[rank];
    s.stop = new int[rank];
    s.stride = new int[rank];
    s.offset = offset;
    int addedEllipsis = 0, addedAxes = 0;
    for (int i = 0; i < rank; i++) {
      s.stride[i] = 1;
      if (ellipsis[i]) {
        addedEllipsis = Math.max(0, i - ellipsisStart);
        s.beginMask |= 1 << i;
        s.endMask |= 1 << i;
        s.shape[i] = inShape[i - addedAxes];
      } else if (newAxis[i]) {
        s.stop[i] = 1;
        s.shape[i] = 1;
        addedAxes++;
      } else if (i >= specs + expanded) {
        s.beginMask |= 1 << i;
        s.endMask |= 1 << i;
        s.shape[i] = inShape[i - addedAxes];
      } else {
        int k = i - addedEllipsis;
        s.start[i] = begin[k];
        s.stop[i] = end[k];
        s.stride[i] = strides[k];
        if (bit(beginMask, k)) s.beginMask |= 1 << i;
        if (bit(endMask, k)) s.endMask |= 1 << i;
        if (bit(shrinkMask, k)) s.shrinkMask |= 1 << i;
        s.shape[i] = inShape[i - addedAxes];
      }
    }
    return s;
  }

  /** The first index taken along an effective dimension. */
  static int startForAxis(Slicing s, int axis) {
    int size = s.shape[axis], stride = s.stride[axis];
    long start = s.start[axis];
    if (start < 0) start += size;
    start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
    if (bit(s.beginMask, axis)) start = stride > 0 ? 0 : size - 1;
    return (int) start;
  }

  /** One past the last index taken (in the stride's direction). */
  static int endForAxis(Slicing s, int axis, int start) {
    int size = s.shape[axis], stride = s.stride[axis];
    if (bit(s.shrinkMask, axis)) return start >= size ? start : start + 1;
    long end = s.stop[axis];
    if (s.offset) end += start;
    if (end < 0) end += size;
    end = stride > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
    if (bit(s.endMask, axis)) end = stride > 0 ? size : -1;
    return (int) end;
  }

  /** How many indices {@code start, start + stride, ...} come before {@code stop}. */
  static int iterations(int start, int stop, int stride) {
    long span = (long) stop - start;
    if (span == 0 || (span < 0) != (stride < 0)) return 0;
    return (int) (stride > 0 ? (span - 1) / stride + 1 : (span + 1) / stride + 1);
  }

  private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

  private static boolean bit(int mask, int i) { return i < 32 && (mask & (1 << i)) != 0; }

}
