package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

/**
 * Test support for the fast float kernels: an arena laid out as the interpreter's (input and output in one array, at
 * offsets, with sentinels around), and the comparison with the reference up to float reassociation.
 */
public final class FastKernelChecks {
  private FastKernelChecks() {}

  /** Kernel choices an op test runs through: the reference, the scalar fast kernels, and the vector ones where present. */
  public static final io.kompakt.engine.run.Interpreter.Kernels[] KERNELS = VectorSupport.available()
      ? new io.kompakt.engine.run.Interpreter.Kernels[] {io.kompakt.engine.run.Interpreter.Kernels.REFERENCE,
          io.kompakt.engine.run.Interpreter.Kernels.SCALAR, io.kompakt.engine.run.Interpreter.Kernels.VECTOR}
      : new io.kompakt.engine.run.Interpreter.Kernels[] {io.kompakt.engine.run.Interpreter.Kernels.REFERENCE,
          io.kompakt.engine.run.Interpreter.Kernels.SCALAR};

  /** Sentinel in the arena outside the input and output: a kernel must neither use nor overwrite it. */
  public static final float SENTINEL = Float.NaN;

  /** One float array holding an input of {@code inN} and an output of {@code outN} values, in a random order and gaps. */
  public static final class Arena {
    public final float[] a;
    public final int inOff, outOff, outN;

    public Arena(float[] input, int outN, Random r) {
      this.outN = outN;
      int g0 = r.nextInt(20), g1 = r.nextInt(20), g2 = r.nextBoolean() ? 0 : r.nextInt(20); // g2 = 0: data ends the array
      a = new float[g0 + input.length + g1 + outN + g2];
      Arrays.fill(a, SENTINEL);
      if (r.nextBoolean()) {
        inOff = g0;
        outOff = g0 + input.length + g1;
      } else {
        outOff = g0;
        inOff = g0 + outN + g1;
      }
      System.arraycopy(input, 0, a, inOff, input.length);
    }

    /** The output, after a run. */
    public float[] output() { return Arrays.copyOfRange(a, outOff, outOff + outN); }

    /** Refills the output with sentinels (so unwritten elements show) and checks the rest of the arena is intact. */
    public void resetOutput(float[] input) {
      Arrays.fill(a, outOff, outOff + outN, SENTINEL);
      checkIntact(input);
    }

    /** Everything but the output is as it was: the input unchanged, the sentinels in place. */
    public void checkIntact(float[] input) {
      for (int i = 0; i < a.length; i++) {
        if (i >= outOff && i < outOff + outN) continue;
        float want = i >= inOff && i < inOff + input.length ? input[i - inOff] : SENTINEL;
        if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(want)) fail("arena element " + i + " outside the output changed: " + a[i]);
      }
    }
  }

  /** Uniform values in [-1, 1), a few exact zeros and larger values now and then. */
  public static float[] values(int n, Random r) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      int k = r.nextInt(20);
      v[i] = k == 0 ? 0f : k == 1 ? (r.nextFloat() - 0.5f) * 20f : r.nextFloat() * 2f - 1f;
    }
    return v;
  }

  /** |x| of every element (for the magnitude of the sums). */
  public static float[] abs(float[] v) {
    if (v == null) return null;
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) r[i] = Math.abs(v[i]);
    return r;
  }

  /**
   * Every element of {@code got} equals {@code want} up to float reassociation:
   * |got - want| <= 1e-5 * magnitude + 1e-6, magnitude being the sum of |products| and |bias| (clamping only shrinks
   * the difference).
   */
  public static void assertClose(float[] want, float[] got, float[] magnitude, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      double tol = 1e-5 * magnitude[i] + 1e-6;
      if (!(Math.abs((double) want[i] - got[i]) <= tol)) {
        fail(what + ": element " + i + " is " + got[i] + ", reference " + want[i] + " (tolerance " + tol + ")");
      }
    }
  }

  /**
   * Asserts that an int8 kernel run allocated nothing ({@code bytes} from {@link #leastAllocated}). One exception, made
   * visible as a skipped (aborted) check rather than a pass: before JDK 25, when this JVM's allocation guard has caught
   * C2 boxing Vector API code (it switched the vector requantization or conversion off), the same JIT state can box the
   * float kernels too, which this test cannot avoid (seen in about one of four runs of the int8 kernel tests together,
   * never alone, never on JDK 25).
   */
  public static void assertNoAllocation(long bytes, String what) {
    net.jqwik.api.Assume.that(bytes >= 0);
    if (bytes > 0 && Runtime.version().feature() < 25 && Requantizer.vectorSwitchedOff()) {
      org.junit.jupiter.api.Assumptions.abort(what + ": " + bytes + " bytes allocated by a run while JDK "
          + Runtime.version().feature() + "'s JIT boxed Vector API code (" + IntAsFloat.describeRequantization() + ")");
    }
    org.junit.jupiter.api.Assertions.assertEquals(0, bytes, what + ": bytes allocated by a run ("
        + IntAsFloat.describeRequantization() + ")");
  }

  /**
   * The fewest bytes the calling thread allocated in one run of {@code run}, running it over and over (warming up the
   * JIT: the Vector API allocates until C2 compiles the kernel) until one run allocates nothing or the time is up;
   * -1 if this JVM does not count allocations per thread. {@code -Dkompakt.allocationBudgetMs=...} raises the budget (an
   * emulated Pi 4 compiles far more slowly: {@code bench/scripts/pi4-check.sh} passes 120 s).
   */
  public static long leastAllocated(Runnable run, long budgetMillis) {
    budgetMillis = Math.max(budgetMillis, Long.getLong("kompakt.allocationBudgetMs", 0L));
    java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
    if (!(bean instanceof com.sun.management.ThreadMXBean)) return -1;
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    long id = Thread.currentThread().getId(), least = Long.MAX_VALUE, end = System.nanoTime() + budgetMillis * 1_000_000L;
    do {
      for (int i = 0; i < 20; i++) run.run();
      long before = mx.getThreadAllocatedBytes(id);
      run.run();
      least = Math.min(least, mx.getThreadAllocatedBytes(id) - before);
    } while (least > 0 && System.nanoTime() < end);
    return least;
  }
}
