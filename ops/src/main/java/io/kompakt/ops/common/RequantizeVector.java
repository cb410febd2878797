package io.kompakt.ops.common;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * TFLite's per-channel requantization of raw sums held as floats, with the Vector API, bit-identical to
 * {@link QuantMath#multiplyByQuantizedMultiplier} (see {@link Requantizer}). Only int lanes of the preferred shape are
 * used: JDK 17 compiles float-to-int conversions and 64-bit lanes of the Vector API poorly, so there the float is turned
 * into an int by an exact magic-number split ({@link #CONVERT}), and the 32x32-bit high product is built from 16-bit
 * halves.
 *
 * <p>Used with 4 int lanes (128-bit vectors: a Raspberry Pi 4's NEON) or 8 and more (see {@link Requantizer}). With 4
 * the narrowest byte vector (64 bits) is wider than a vector's bytes, so there ({@link #NARROW}) the four bytes are
 * packed into one int (shifted into place, or-ed across the lanes) and stored as such. Loaded only after
 * {@link VectorSupport#available()}.
 */
final class RequantizeVector {
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, I.vectorShape());
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, I.length() * 8)));
  static final int LANES = I.length();
  /** Four int lanes: the bytes are stored as one little-endian int, not as a byte vector. A constant: C2 compiles one form. */
  static final boolean NARROW = LANES == 4;
  private static final int[] BYTE_SHIFTS = {0, 8, 16, 24};
  private static final java.lang.invoke.VarHandle INT_LE =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
  /** 1.5 * 2^23: adding it to a float of magnitude below 2^22 leaves the rounded integer in the low mantissa bits. */
  private static final float MAGIC = 0x1.8p23f;
  private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
  /**
   * Float to int with the Vector API's conversion (one instruction) on JDK 25 and later: 0.60 -> 0.48 ns a value here.
   * JDK 17's C2 boxes that conversion (the allocation guard then sends everything to the scalar path, 3.6 ns a value),
   * so there the magic-number split stays. A constant: C2 compiles only the branch taken.
   */
  private static final boolean CONVERT = Runtime.version().feature() >= 25;

  private RequantizeVector() {}

  /**
   * Requantizes {@code pixels} rows of {@code r.channels} raw sums from {@code b[from * channels]} into {@code out}
   * from {@code outOff + from * channels} (and, if not null, each value minus the zero point as a float into
   * {@code values} from {@code from * channels}); the channels beyond the last full vector by the scalar path. With a channel
   * count that is not a multiple of the lanes ({@link Requantizer#period} set), the pixels are taken as one flat run
   * ({@link #runFlat}).
   */
  static void run(Requantizer r, float[] b, int fromPixel, int toPixel, byte[] out, int outOff, float[] values) {
    if (r.period > 0) {
      runFlat(r, b, fromPixel, toPixel, out, outOff, values);
      return;
    }
    final int ch = r.channels, full = ch - ch % LANES;
    final int[] bias = r.bias, ls = r.leftShift, rs = r.rightShift, mh = r.mulHigh, ml = r.mulLow, mask = r.mask, thr = r.threshold;
    final int zp = r.outZp, lo = r.actMin, hi = r.actMax, unZp = MAGIC_BITS - zp;
    for (int p = fromPixel; p < toPixel; p++) {
      int base = p * ch;
      for (int c = 0; c < full; c += LANES) {
        FloatVector v = FloatVector.fromArray(F, b, base + c);
        IntVector x;
        if (CONVERT) {
          x = (IntVector) v.convert(VectorOperators.F2I, 0); // exact: v is an integer below 2^24
        } else {
          // exact float -> int for |v| < 2^24: v = 4096 a + r with a, r rounded through the magic number
          FloatVector s = v.mul(0x1p-12f).add(MAGIC);
          IntVector a = s.reinterpretAsInts().sub(MAGIC_BITS);
          FloatVector rem = v.sub(s.sub(MAGIC).mul(4096f));
          x = a.lanewise(VectorOperators.LSHL, 12).add(rem.add(MAGIC).reinterpretAsInts().sub(MAGIC_BITS));
        }
        x = x.add(IntVector.fromArray(I, bias, c)).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, ls, c));
        // SaturatingRoundingDoublingHighMul(x, m) = floor((x * m + 2^30) / 2^31), m = mh * 2^16 + ml, from 16-bit halves
        IntVector xh = x.lanewise(VectorOperators.ASHR, 16), xl = x.and(0xFFFF);
        IntVector vmh = IntVector.fromArray(I, mh, c), vml = IntVector.fromArray(I, ml, c);
        IntVector pa = xh.mul(vmh), pb = xh.mul(vml), pc = xl.mul(vmh), pd = xl.mul(vml);
        IntVector high = pa.add(pa).add(pb.lanewise(VectorOperators.ASHR, 15)).add(pc.lanewise(VectorOperators.ASHR, 15))
            .add(pb.and(0x7FFF).add(pc.and(0x7FFF)).add(pd.lanewise(VectorOperators.LSHR, 16)).add(0x4000)
                .lanewise(VectorOperators.ASHR, 15));
        // RoundingDivideByPOT(high, rs): half away from zero
        IntVector up = IntVector.fromArray(I, thr, c).add(high.lanewise(VectorOperators.LSHR, 31))
            .sub(high.and(IntVector.fromArray(I, mask, c))).lanewise(VectorOperators.LSHR, 31);
        IntVector q = high.lanewise(VectorOperators.ASHR, IntVector.fromArray(I, rs, c)).add(up).add(zp).max(lo).min(hi);
        if (NARROW) {
          INT_LE.set(out, outOff + base + c, q.and(0xFF).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, BYTE_SHIFTS, 0))
              .reduceLanes(VectorOperators.OR));
        } else {
          q.convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(out, outOff + base + c);
        }
        // q - zp as a float, exactly, through the magic number (|q - zp| <= 255)
        if (values != null) q.add(unZp).reinterpretAsFloats().sub(MAGIC).intoArray(values, base + c);
      }
      if (full < ch) r.scalar(b, base, full, ch, out, outOff + base, values);
    }
  }

  /**
   * The pixels as one flat run of whole vectors, the per-channel constants repeated over {@link Requantizer#period}
   * (a multiple of the lanes) plus one vector. The arithmetic is {@link #run}'s, written out again: in a method of its
   * own that both loops call, JDK 17's C2 boxed the vectors (120 MB allocated per MobileNet V2 inference).
   */
  private static void runFlat(Requantizer r, float[] b, int fromPixel, int toPixel, byte[] out, int outOff, float[] values) {
    final int ch = r.channels, period = r.period;
    final int[][] k = r.flat;
    final int[] bias = k[0], ls = k[1], mh = k[2], ml = k[3], mask = k[4], thr = k[5], rs = k[6];
    final int zp = r.outZp, lo = r.actMin, hi = r.actMax, unZp = MAGIC_BITS - zp;
    int i = fromPixel * ch, j = i % period;
    final int end = toPixel * ch;
    for (; i + LANES <= end; i += LANES) {
      FloatVector v = FloatVector.fromArray(F, b, i);
      IntVector x;
      if (CONVERT) {
        x = (IntVector) v.convert(VectorOperators.F2I, 0); // exact: v is an integer below 2^24
      } else {
        // exact float -> int for |v| < 2^24: v = 4096 a + r with a, r rounded through the magic number
        FloatVector s = v.mul(0x1p-12f).add(MAGIC);
        IntVector a = s.reinterpretAsInts().sub(MAGIC_BITS);
        FloatVector rem = v.sub(s.sub(MAGIC).mul(4096f));
        x = a.lanewise(VectorOperators.LSHL, 12).add(rem.add(MAGIC).reinterpretAsInts().sub(MAGIC_BITS));
      }
      x = x.add(IntVector.fromArray(I, bias, j)).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, ls, j));
      // SaturatingRoundingDoublingHighMul(x, m) = floor((x * m + 2^30) / 2^31), m = mh * 2^16 + ml, from 16-bit halves
      IntVector xh = x.lanewise(VectorOperators.ASHR, 16), xl = x.and(0xFFFF);
      IntVector vmh = IntVector.fromArray(I, mh, j), vml = IntVector.fromArray(I, ml, j);
      IntVector pa = xh.mul(vmh), pb = xh.mul(vml), pc = xl.mul(vmh), pd = xl.mul(vml);
      IntVector high = pa.add(pa).add(pb.lanewise(VectorOperators.ASHR, 15)).add(pc.lanewise(VectorOperators.ASHR, 15))
          .add(pb.and(0x7FFF).add(pc.and(0x7FFF)).add(pd.lanewise(VectorOperators.LSHR, 16)).add(0x4000)
              .lanewise(VectorOperators.ASHR, 15));
      // RoundingDivideByPOT(high, rs): half away from zero
      IntVector up = IntVector.fromArray(I, thr, j).add(high.lanewise(VectorOperators.LSHR, 31))
          .sub(high.and(IntVector.fromArray(I, mask, j))).lanewise(VectorOperators.LSHR, 31);
      IntVector q = high.lanewise(VectorOperators.ASHR, IntVector.fromArray(I, rs, j)).add(up).add(zp).max(lo).min(hi);
      if (NARROW) {
        INT_LE.set(out, outOff + i, q.and(0xFF).lanewise(VectorOperators.LSHL, IntVector.fromArray(I, BYTE_SHIFTS, 0))
            .reduceLanes(VectorOperators.OR));
      } else {
        q.convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(out, outOff + i);
      }
      if (values != null) q.add(unZp).reinterpretAsFloats().sub(MAGIC).intoArray(values, i);
      j += LANES;
      if (j >= period) j -= period;
    }
    for (; i < end; i++) {
      int c = i % ch;
      r.scalar(b, i - c, c, c + 1, out, outOff + i - c, values);
    }
  }
}
