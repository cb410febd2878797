package io.kompakt.ops.arith;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit ADD / SUB table's indices with the Vector API: {@code (a & 0xFF) << 8 | (b & 0xFF)} as 16-bit lanes, the
 * bytes loaded from a byte vector of half the shorts' width and widened. Used by {@link AddSubQuantized.Tables} with 128
 * bits or more ({@link #USABLE}); loaded only after {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class BytePairIndexVector {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2)));
  private static final int LANES = S.length();
  /** Whether the shapes fit: the preferred shape holds 128 bits or more (the byte half is 64 bits or more). */
  static final boolean USABLE = S.vectorBitSize() >= 128;

  private BytePairIndexVector() {}

  /**
   * {@code out[outOff + i] = table[(a[aOff + i] & 0xFF) << 8 | (b[bOff + i] & 0xFF)]} for i in [0, n), in blocks of
   * {@code ix.length}: a block's indices into {@code ix} with vectors, then its lookups (scalar: the JDK's Vector API
   * has no byte gather). One method for both, so that the allocation guard's measured call runs the same compiled code
   * as the others (a small method inlined into its caller ran interpreted after the deoptimization a rare branch causes).
   */
  static void run(byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int n, byte[] table, short[] ix) {
    for (int s = 0; s < n; s += ix.length) {
      final int len = Math.min(ix.length, n - s), as = aOff + s, bs = bOff + s;
      int k = 0;
      for (; k + LANES <= len; k += LANES) {
        ShortVector x = (ShortVector) ByteVector.fromArray(B, a, as + k).convertShape(VectorOperators.B2S, S, 0);
        ShortVector y = (ShortVector) ByteVector.fromArray(B, b, bs + k).convertShape(VectorOperators.B2S, S, 0);
        x.lanewise(VectorOperators.LSHL, 8).or(y.and((short) 0xFF)).intoArray(ix, k);
      }
      for (; k < len; k++) ix[k] = (short) ((a[as + k] & 0xFF) << 8 | (b[bs + k] & 0xFF));
      final int o = outOff + s;
      for (k = 0; k < len; k++) out[o + k] = table[ix[k] & 0xFFFF];
    }
  }
}
