package io.kompakt.ops.common;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input conversion of {@link IntAsFloat} with the Vector API: 8-bit values minus the zero point, as floats, one
 * vector of the preferred float shape at a time (the bytes loaded from the matching narrower byte vector; uint8 as
 * int8 plus 256 where negative). Exact: the values are small integers. Used with 8 or more float lanes, from JDK 25
 * ({@link #USE}); loaded only after {@link VectorSupport#available()}.
 */
final class ByteToFloatVector {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * 8)));
  static final int LANES = F.length();

  /**
   * Whether {@link IntAsFloat} converts with this class: 8 or more lanes, and JDK 25 or later. JDK 17's C2 boxed these
   * vectors (MobileNet V2 int8 17 -> 35 ms); on JDK 25 it is 17.3 -> 15.0 ms.
   */
  static final boolean USE = LANES >= 8 && Runtime.version().feature() >= 25;

  private ByteToFloatVector() {}

  /** {@code a[i] = value(in[off + i]) - zp} for i in [from, to). */
  static void run(byte[] in, int off, float[] a, int from, int to, boolean unsigned, int zp) {
    int i = from;
    final float z = zp;
    if (unsigned) {
      for (; i + LANES <= to; i += LANES) {
        FloatVector v = (FloatVector) ByteVector.fromArray(B, in, off + i).convertShape(VectorOperators.B2F, F, 0);
        v.add(256f, v.lt(0f)).sub(z).intoArray(a, i);
      }
      for (; i < to; i++) a[i] = (in[off + i] & 0xFF) - zp;
    } else {
      for (; i + LANES <= to; i += LANES) {
        ((FloatVector) ByteVector.fromArray(B, in, off + i).convertShape(VectorOperators.B2F, F, 0)).sub(z).intoArray(a, i);
      }
      for (; i < to; i++) a[i] = in[off + i] - zp;
    }
  }
}
