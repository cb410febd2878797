package io.kompakt.ops.common;

import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.OpContext;

/**
 * Whether the JDK Vector API ({@code jdk.incubator.vector}) can be used in this JVM: the module must be in the boot
 * layer (the JVM started with {@code --add-modules jdk.incubator.vector}) and its classes must load. Decided once,
 * at first use; never throws.
 *
 * <p>This class does not link against the incubator module (it looks at it by reflection only), so it is safe to load
 * on any JVM. The kernels that do use the Vector API live in classes of their own ({@code *Vector}) that selectors
 * reach only after {@link #available()} said yes; without the module they are never loaded.
 */
public final class VectorSupport {
  private VectorSupport() {}

  private static final String MODULE = "jdk.incubator.vector";
  private static final boolean AVAILABLE;
  private static final int LANES;
  private static final int BITS;
  private static final String DESCRIPTION;

  static {
    boolean ok = false;
    int lanes = 1, bits = 32;
    String why = "scalar (start the JVM with --add-modules " + MODULE + " for SIMD)";
    try {
      if (ModuleLayer.boot().findModule(MODULE).isPresent()) {
        ClassLoader loader = VectorSupport.class.getClassLoader();
        Class<?> floatVector = Class.forName(MODULE + ".FloatVector", true, loader);
        Class<?> species = Class.forName(MODULE + ".VectorSpecies", true, loader);
        Object preferred = floatVector.getField("SPECIES_PREFERRED").get(null);
        lanes = (Integer) species.getMethod("length").invoke(preferred);
        bits = (Integer) species.getMethod("vectorBitSize").invoke(preferred);
        if (lanes >= 1) {
          ok = true;
          why = "Vector API, " + bits + "-bit float x" + lanes;
        } else {
          why = "scalar (the Vector API reports " + lanes + " float lanes)";
        }
      }
    } catch (Throwable t) { // module present but unusable (reflection refused, class missing, ...): run scalar
      ok = false;
      lanes = 1;
      bits = 32;
      why = "scalar (the Vector API is present but unusable: " + t + ")";
    }
    AVAILABLE = ok;
    LANES = lanes;
    BITS = bits;
    DESCRIPTION = why;
  }

  /** True when the Vector API kernels may be used. */
  public static boolean available() { return AVAILABLE; }

  /** Float lanes of the preferred species (1 when unavailable). */
  public static int floatLanes() { return LANES; }

  /** Bits of the preferred vector shape (32 when unavailable). */
  public static int vectorBits() { return BITS; }

  /** "Vector API, 512-bit float x16", or "scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD)". */
  public static String describe() { return DESCRIPTION; }

  /** Which kernels an op runs. */
  public enum Variant { REFERENCE, SCALAR, VECTOR }

  /**
   * The variant for an interpreter's {@link Interpreter.Kernels} setting: REFERENCE and SCALAR as asked, VECTOR when
   * asked or (AUTO) when {@link #available()}, else SCALAR.
   *
   * @throws io.kompakt.engine.run.UnsupportedOpException naming the op, when VECTOR is asked and the Vector API is not
   *     available
   */
  public static Variant variant(OpContext ctx) {
    switch (ctx.kernels()) {
      case REFERENCE: return Variant.REFERENCE;
      case SCALAR: return Variant.SCALAR;
      case VECTOR:
        if (!AVAILABLE) throw ctx.unsupported("kernels=vector needs the Vector API; this JVM runs " + DESCRIPTION);
        return Variant.VECTOR;
      default: return AVAILABLE ? Variant.VECTOR : Variant.SCALAR;
    }
  }

  /**
   * Whether an op may use a fast kernel: a non-reference variant, and weights (and bias, if any) constant, since fast
   * kernels repack them once at prepare.
   */
  public static boolean fastApplies(OpContext ctx, io.kompakt.engine.run.RuntimeTensor weights,
                                    io.kompakt.engine.run.RuntimeTensor bias) {
    return variant(ctx) != Variant.REFERENCE && weights.constant && (bias == null || bias.constant);
  }
}
