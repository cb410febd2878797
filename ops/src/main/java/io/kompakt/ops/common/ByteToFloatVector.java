package io.kompakt.ops.common;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * 8-bit values minus a zero point, as floats, with the Vector API (the input step of {@link IntAsFloat}). Bytes are
 * widened to int lanes (a conversion JDK 17 compiles well) and turned into floats by adding the bits of 1.5 * 2^23
 * and subtracting that float: exact for the magnitudes here (below 2^22), and avoids the int-to-float lane cast that
 * JDK 17 compiles poorly.
 *
 * <p>Loaded only after {@link VectorSupport#available()}.
 */
final class ByteToFloatVector {
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, I.length() * 8)));
  private static final float MAGIC = 0x1.8p23f;
  private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);

  private ByteToFloatVector() {}

  /** {@code a[i] = value(in[off + i]) - zp} for {@code i} in [from, to); the tail by the scalar loop. */
  static void convert(byte[] in, int off, boolean unsigned, int zp, float[] a, int from, int to) {
    final int lanes = I.length(), step = B.length();
    int i = from;
    // a byte vector may hold more lanes than the ints (128-bit vectors): load only where all its bytes are in range
    for (; i + step <= to; i += lanes) {
      IntVector x = (IntVector) ByteVector.fromArray(B, in, off + i).convertShape(VectorOperators.B2I, I, 0);
      if (unsigned) x = x.and(0xFF);
      x.add(MAGIC_BITS - zp).reinterpretAsFloats().sub(MAGIC).intoArray(a, i);
    }
    if (unsigned) {
      for (; i < to; i++) a[i] = (in[off + i] & 0xFF) - zp;
    } else {
      for (; i < to; i++) a[i] = in[off + i] - zp;
    }
  }
}
