package io.kompakt.ops.sparse;

import io.kompakt.ops.common.IntAsFloat;
import java.util.Locale;

/**
 * When CONV_2D (1x1) and FULLY_CONNECTED use their sparse kernels instead of the dense fast ones: the system property
 * {@code -Dkompakt.sparse=auto|on|off} (read at each prepare). {@code auto}, the default, takes the sparse kernel where
 * it measured faster with JMH ({@code bench/} {@code SparseKernelBenchmark}, figures in {@code docs/pruning.md}): for the
 * Vector API's column-block kernel, where few enough columns of each block of outputs are kept
 * ({@link #useF32}); for the scalar kernels, where the constant weights' share of zeros reaches the crossover for that
 * kind of layer ({@link #use(double, Kind, int)}); {@code on} takes it for any weights (tests),
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

  /**
   * The most {@link SparseColumnBlocks#density() column density} (kept columns over all, in blocks of
   * {@link SparseGemmF32#vectorWidth()} outputs) at which {@code auto} takes the Vector API's sparse kernel, from
   * SparseKernelBenchmark on MobileNet V2's 1x1 shapes (one thread, JDK 17, docs/pruning.md). With 8 or more rows
   * (pixels of a 1x1 convolution; its tiles of 8 rows), against the dense Vector API kernel: 16-float blocks (512 bits)
   * won 1.3-1.6x at density 0.51, 1.07-1.37x at 0.56, 0.68-1.2x at 0.81; 4-float blocks (a Pi 4's 128 bits, measured
   * with -XX:MaxVectorSize=16) won 1.1-2.6x at 0.59: at most {@value #VECTOR_MAX_DENSITY}. With fewer rows (a batch-1
   * classifier's one-row path): 2.5x at 0.19, 1.17x at 0.36, 0.71x at 0.51, 0.6x at 0.81: at most
   * {@value #VECTOR_MAX_DENSITY_FEW_ROWS}.
   */
  public static final double VECTOR_MAX_DENSITY = 0.6, VECTOR_MAX_DENSITY_FEW_ROWS = 0.3;

  /**
   * Whether float weights [n][k] from {@code off}, applied to {@code rows} rows, get a sparse kernel: with
   * {@code vector}, when their column density is at most {@link #VECTOR_MAX_DENSITY} (and the other
   * bounds above); in scalar code, by their sparsity as {@link #use(double, Kind, int)} says
   * for {@code kind}. The integer kinds ask this too when they would run on the float kernels ({@link IntAsFloat}).
   */
  public static boolean useF32(float[] w, int off, int n, int k, int rows, Kind kind, boolean vector) {
    Mode m = mode();
    if (m != Mode.AUTO) return m == Mode.ON;
    if (vector) {
      double most = rows < 8 ? VECTOR_MAX_DENSITY_FEW_ROWS : VECTOR_MAX_DENSITY;
      return SparseColumnBlocks.density(w, off, n, k, SparseGemmF32.vectorWidth()) <= most;
    }
    return use(SparseWeights.sparsity(w, off, n * k), kind, k);
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
