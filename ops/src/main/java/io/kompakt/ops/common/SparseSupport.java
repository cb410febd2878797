package io.kompakt.ops.common;

import java.util.Locale;

/**
 * When CONV_2D (1x1) and FULLY_CONNECTED use their sparse kernels instead of the dense fast ones: the system property
 * {@code -Dkompakt.sparse=auto|on|off} (read at each prepare). {@code auto}, the default, takes the sparse kernel where
 * the constant weights' share of zeros is at least the crossover measured with JMH for that kind of layer ({@code bench/}
 * {@code SparseKernelBenchmark}, figures in {@code docs/pruning.md}); {@code on} takes it for any weights (tests),
 * {@code off} never. The sparse kernels only replace fast kernels: the REFERENCE kernel setting keeps the reference.
 */
public final class SparseSupport {
  private SparseSupport() {}

  public static final String PROPERTY = "kompakt.sparse";

  /** What a sparse kernel replaces. */
  public enum Kind { CONV_1X1_F32, CONV_1X1_INT, DENSE_F32, DENSE_INT }

  /**
   * The sparsity from which {@code auto} takes the sparse kernel, per kind, from {@code SparseKernelBenchmark} on
   * MobileNet V2's 1x1 layers and classifier (one thread, JDK 17, docs/pruning.md): integer 1x1 convolutions won at 70 %
   * and above at every shape against the integer dense kernel, but the dense int8 path now computes exactly on the float
   * kernels ({@link IntAsFloat}), and whole-model runs of MobileNet V2 int8 pruned with sparse on / off measured 42.0 /
   * 40.3 ms at 70 %, 36.1 / 40.8 ms at 80 %, 33.4 / 40.7 ms at 90 %: integer 1x1 needs 80 %; float 1x1 convolutions (against the Vector API kernel) only at 90 % and with at least
   * {@value #F32_MIN_INPUTS} input channels (see {@link #use(double, Kind, int)}); the batch-1 classifier did not win at 90 %
   * (0.79x float, 0.96x int8), so dense layers need {@value #DENSE_CROSSOVER}.
   */
  public static final double CONV_INT_CROSSOVER = 0.8, CONV_F32_CROSSOVER = 0.9, DENSE_CROSSOVER = 0.95;

  /** Fewest input channels for the float sparse 1x1 kernel under {@code auto}. */
  public static final int F32_MIN_INPUTS = 256;

  public enum Mode { AUTO, ON, OFF }

  /** The mode from {@value #PROPERTY}. */
  public static Mode mode() {
    String p = System.getProperty(PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
    try {
      return Mode.valueOf(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(PROPERTY + " must be auto, on or off, not '" + p.toLowerCase(Locale.ROOT) + "'");
    }
  }

  /** Whether weights of this sparsity, of a layer of this kind with {@code inputs} input channels (depth), get the sparse kernel. */
  public static boolean use(double sparsity, Kind kind, int inputs) {
    switch (mode()) {
      case ON: return true;
      case OFF: return false;
      default:
        switch (kind) {
          case CONV_1X1_INT: return sparsity >= CONV_INT_CROSSOVER;
          case CONV_1X1_F32: return sparsity >= CONV_F32_CROSSOVER && inputs >= F32_MIN_INPUTS;
          default: return sparsity >= DENSE_CROSSOVER;
        }
    }
  }
}
