package io.kompakt.ops;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Random;

/**
 * Random quantized operands for the integer kernel properties: scales across binades, zero points often at the
 * ends of the type's range, values biased to the ends; and conversions between int[] and a tensor's storage.
 */
public final class QuantizedCase {
  private QuantizedCase() {}

  public static final TensorType[] TYPES = {TensorType.INT8, TensorType.UINT8, TensorType.INT16};

  public static int lo(TensorType t) { return t == TensorType.INT8 ? -128 : t == TensorType.UINT8 ? 0 : -32768; }

  public static int hi(TensorType t) { return t == TensorType.INT8 ? 127 : t == TensorType.UINT8 ? 255 : 32767; }

  /** 2^[lo, hi) times a mantissa in [1, 2), as a float. */
  public static float scale(Random r, int lo, int hi) {
    return (float) (Math.pow(2, lo + r.nextInt(hi - lo)) * (1 + r.nextDouble()));
  }

  /** A zero point for the type (0 for int16, as TFLite requires there): often an end of the range. */
  public static int zeroPoint(Random r, TensorType t) {
    if (t == TensorType.INT16) return 0;
    switch (r.nextInt(5)) {
      case 0: return lo(t);
      case 1: return hi(t);
      case 2: return Math.max(lo(t), 0);
      default: return lo(t) + r.nextInt(hi(t) - lo(t) + 1);
    }
  }

  public static int[] values(Random r, int n, TensorType t) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(10);
      v[i] = k == 0 ? lo(t) : k == 1 ? hi(t) : lo(t) + r.nextInt(hi(t) - lo(t) + 1);
    }
    return v;
  }

  /** A random shape of the given rank, dimensions in [1, maxDim]. */
  public static int[] shape(Random r, int rank, int maxDim) {
    int[] s = new int[rank];
    for (int i = 0; i < rank; i++) s[i] = 1 + r.nextInt(maxDim);
    return s;
  }

  public static int size(int[] shape) {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  /** The values as the type's storage array (byte[] for int8/uint8, short[] for int16, int[] for int32). */
  public static Object storage(TensorType t, int[] v) {
    switch (t) {
      case INT8: case UINT8: {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
      }
      case INT16: {
        short[] s = new short[v.length];
        for (int i = 0; i < v.length; i++) s[i] = (short) v[i];
        return s;
      }
      case INT32: return v.clone();
      default: throw new IllegalArgumentException(t.toString());
    }
  }

  public static Quantization q(float scale, int zeroPoint) { return Quantization.perTensor(scale, zeroPoint); }

  /** A tensor's values as ints (uint8 unsigned). */
  public static int[] ints(RuntimeTensor t) { return OpTester.ints(t); }
}
