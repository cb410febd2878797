package io.kompakt.ops.common;

import java.util.Locale;

/**
 * When CONV_2D (1x1) and FULLY_CONNECTED use their sparse kernels instead of the dense fast ones: the system property
 * {@code -Dkompakt.sparse=auto|on|off} (read at each prepare). {@code auto}, the default, takes the sparse kernel where
 * the constant weights' share of zeros is at least the crossover measured with JMH ({@code bench/}
 * {@code SparseKernelBenchmark}, figures in {@code docs/pruning.md}); {@code on} takes it for any weights (tests),
 * {@code off} never. The sparse kernels only replace fast kernels: the REFERENCE kernel setting keeps the reference.
 */
public final class SparseSupport {
  private SparseSupport() {}

  public static final String PROPERTY = "kompakt.sparse";

  /**
   * The sparsity from which the sparse kernels were faster than the dense ones at every MobileNet V2 shape measured
   * (1x1 conv and classifier, fp32 and int8, 1 thread; see docs/pruning.md).
   */
  public static final double CROSSOVER = 0.7;

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

  /** Whether weights of this sparsity get the sparse kernel. */
  public static boolean use(double sparsity) {
    switch (mode()) {
      case ON: return true;
      case OFF: return false;
      default: return sparsity >= CROSSOVER;
    }
  }
}
