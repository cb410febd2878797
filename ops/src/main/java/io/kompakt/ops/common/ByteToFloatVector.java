package io.kompakt.ops.common;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The input conversion of {@link IntAsFloat} with the Vector API: 8-bit values minus the zero point, as floats, one
 * vector of the preferred float shape at a time (the bytes loaded from the matching narrower byte vector, widened to
 * ints, uint8 masked to 0..255, converted to floats). Exact: the values are small integers. Used with 8 or more float lanes ({@link #USE})
 * behind an allocation guard; loaded only after {@link VectorSupport#available()}.
 */
final class ByteToFloatVector {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.length() * 8)));
  static final int LANES = F.length();
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

  /**
   * Whether {@link IntAsFloat} converts with this class: 8 or more lanes, and JDK 25 or later (MobileNet V2 int8 17.3 ->
   * 15.0 ms there). JDK 17's C2 boxed these vectors in some JVM runs (36 ms, and 48 ms for uint8) and not in others
   * (14.8 ms): too erratic even behind the guard. The path also runs behind {@link #GUARD}.
   */
  static final boolean USE = LANES >= 8 && Runtime.version().feature() >= 25;

  /** Watches this path for boxing: see {@link AllocationGuard}. */
  static final AllocationGuard GUARD = new AllocationGuard("vector input conversion");

  private ByteToFloatVector() {}

  /** {@code a[i] = value(in[off + i]) - zp} for i in [from, to). */
  static void run(byte[] in, int off, float[] a, int from, int to, boolean unsigned, int zp) {
    int i = from;
    final float z = zp;
    if (unsigned) {
      for (; i + LANES <= to; i += LANES) {
        ((FloatVector) ((IntVector) ByteVector.fromArray(B, in, off + i).convertShape(VectorOperators.B2I, I, 0)).and(0xFF)
            .convert(VectorOperators.I2F, 0)).sub(z).intoArray(a, i);
      }
      for (; i < to; i++) a[i] = (in[off + i] & 0xFF) - zp;
    } else {
      for (; i + LANES <= to; i += LANES) {
        ((FloatVector) ByteVector.fromArray(B, in, off + i).convertShape(VectorOperators.B2I, I, 0)
            .convert(VectorOperators.I2F, 0)).sub(z).intoArray(a, i);
      }
      for (; i < to; i++) a[i] = in[off + i] - zp;
    }
  }
}
