package io.kompakt.ops.shape;

import io.kompakt.ops.common.Elements;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * CAST between float32, int8, uint8, int16, int32, int64 and bool, element by element as TFLite: integers wrap to
 * the target's width (C++ {@code static_cast}), anything to bool is {@code != 0}, bool is 0 or 1, and float to an
 * integer truncates toward zero, saturating at the target's range (NaN gives the target's maximum).
 */
public final class Cast {
  private Cast() {}

  private static final TensorType[] TYPES = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT16,
      TensorType.INT32, TensorType.INT64, TensorType.BOOL};

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(1, 1);
    RuntimeTensor in = ctx.input(0), out = ctx.output(0);
    if (in.type != TensorType.FLOAT16) ctx.requireType(in, TYPES); // float16 constants are floats after loading
    ctx.requireType(out, TYPES);
    ctx.setOutputShape(0, in.shape);
    int n = in.size();
    boolean fromFloat = RuntimeTensor.storage(in.type) == RuntimeTensor.Storage.F32, fromBool = in.type == TensorType.BOOL;
    return () -> {
      for (int i = 0; i < n; i++) {
        if (fromFloat) {
          setFloat(out, i, in.f32[in.offset + i]);
        } else {
          long v = in.getLong(i);
          Elements.setLong(out, i, fromBool && v != 0 ? 1 : v);
        }
      }
    };
  }

  /** Stores a float as TFLite's CAST converts it. */
  private static void setFloat(RuntimeTensor t, int i, float v) {
    switch (t.type) {
      case FLOAT32: t.f32[t.offset + i] = v; return;
      case BOOL: t.i8[t.offset + i] = (byte) (v != 0f ? 1 : 0); return; // NaN != 0: true, as static_cast<bool>
      case INT8: Elements.setLong(t, i, saturate(v, Byte.MIN_VALUE, Byte.MAX_VALUE)); return;
      case UINT8: Elements.setLong(t, i, saturate(v, 0, 255)); return;
      case INT16: Elements.setLong(t, i, saturate(v, Short.MIN_VALUE, Short.MAX_VALUE)); return;
      case INT32: Elements.setLong(t, i, saturate(v, Integer.MIN_VALUE, Integer.MAX_VALUE)); return;
      case INT64: Elements.setLong(t, i, Float.isNaN(v) ? Long.MAX_VALUE : (long) v); return; // (long) saturates
      default: throw new IllegalStateException("cannot cast to " + t.type);
    }
  }

  private static long saturate(float v, long min, long max) {
    if (Float.isNaN(v)) return max;
    return Math.max(min, Math.min(max, (long) v));
  }
}
