package io.kompakt.ops.common;

/**
 * Watches a Vector API code path for boxing. JDK 17's C2 does not always compile Vector API loops to plain vector
 * instructions (whether it inlines the API's methods depends on what was compiled before, and differs from one JVM run
 * to the next); then every call boxes its vectors, allocates and is several times slower. So every time the number of
 * values a path has processed passes a power of two from 2^{@value #FIRST_CHECK_LOG2} on, one call is measured with the
 * thread's allocation counter; two measured calls in a row that allocated switch the path off for the rest of the
 * JVM's life (its users fall back to their scalar code). One allocating check alone does not: the loop may not have
 * been compiled yet (interpreted and C1 code always box), and by the next check, at twice the values, it is. For
 * MobileNet V2's int8 requantization the checks come within its first, second, fourth, ... inference. One guard per code
 * path, shared by all its users. On JDK 17 the boxing came from C2 losing the vectors' exact classes when type
 * speculation lacked parameter profiles: {@code -XX:TypeProfileLevel=222} (which Kompakt's launchers pass) prevents it
 * (docs/performance.md); {@link #jvmAdvice()} names it in reports.
 */
public final class AllocationGuard {
  static final int FIRST_CHECK_LOG2 = 22;
  private static final com.sun.management.ThreadMXBean ALLOCATIONS = allocationCounter();

  private final String name;
  private final int firstCheckLog2;
  private volatile boolean boxed;
  private int strikes;
  private long values, nextCheck; // racy counts are fine: a check a little early or late

  public AllocationGuard(String name) { this(name, FIRST_CHECK_LOG2); }

  /**
   * A guard whose first check comes at 2^{@code firstCheckLog2} values: later than the default for a path called often
   * on few values (its loops then reach C2 later, counted in values, and the first two checks must not both find
   * interpreted or C1 code).
   */
  public AllocationGuard(String name, int firstCheckLog2) {
    this.name = name;
    this.firstCheckLog2 = firstCheckLog2;
    this.nextCheck = 1L << firstCheckLog2;
  }

  private static com.sun.management.ThreadMXBean allocationCounter() {
    try {
      java.lang.management.ThreadMXBean b = java.lang.management.ManagementFactory.getThreadMXBean();
      if (b instanceof com.sun.management.ThreadMXBean && ((com.sun.management.ThreadMXBean) b).isThreadAllocatedMemorySupported()) {
        com.sun.management.ThreadMXBean m = (com.sun.management.ThreadMXBean) b;
        if (!m.isThreadAllocatedMemoryEnabled()) m.setThreadAllocatedMemoryEnabled(true);
        return m;
      }
    } catch (Throwable t) { // no com.sun.management (another JVM), or not allowed: no guard
    }
    return null;
  }

  /** Whether the path may run (the guard has not switched it off). */
  public boolean ok() { return !boxed; }

  /** Whether the guard switched the path off (the JIT boxed its vectors). */
  public boolean switchedOff() { return boxed; }

  /**
   * Before a call that processes {@code count} values on the guarded path (the caller asked {@link #ok()} first):
   * counts them and returns a mark for {@link #exit}, the thread's allocated bytes when this call is to be measured,
   * else -1. Use: {@code long m = guard.enter(n); call(); guard.exit(m);} with one call site for measured and unmeasured
   * calls, so that both run the same compiled code (a measured call on a branch of its own ran interpreted after the
   * deoptimization that rare branch causes, where the callee was small enough to be inlined).
   */
  public long enter(long count) {
    values += count;
    return ALLOCATIONS != null && values >= nextCheck ? ALLOCATIONS.getThreadAllocatedBytes(Thread.currentThread().getId()) : -1;
  }

  /** After the call: with a mark from a measured call, notes whether it allocated; the next check comes at twice the values. */
  public void exit(long mark) {
    if (mark < 0) return;
    nextCheck = Math.max(nextCheck, values) * 2;
    noteMeasuredCall(ALLOCATIONS.getThreadAllocatedBytes(Thread.currentThread().getId()) - mark);
  }

  /** The guard's decision from one measured call: it allocated {@code bytes}. */
  void noteMeasuredCall(long bytes) {
    strikes = bytes > 0 ? strikes + 1 : 0;
    if (strikes >= 2) boxed = true;
  }

  /** For tests: forget the decision and start counting again. */
  void reset() {
    boxed = false;
    strikes = 0;
    values = 0;
    nextCheck = 1L << firstCheckLog2;
  }

  /**
   * Advice for a report once a guard switched a path off: the JVM option that kept JDK 17's JIT from boxing the
   * requantization's vectors ({@code -XX:TypeProfileLevel=222}: with parameter types profiled too, C2 keeps the
   * vectors' exact classes; measured in docs/performance.md), or "" when the JVM already runs with parameter profiling
   * (or its options cannot be read).
   */
  public static String jvmAdvice() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean b =
          java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      String level = b == null ? null : b.getVMOption("TypeProfileLevel").getValue();
      if (level == null || level.length() < 2 || level.charAt(level.length() - 2) >= '2') return "";
      return "; start the JVM with -XX:TypeProfileLevel=222 to avoid this";
    } catch (Throwable t) { // not HotSpot, or no such option
      return "";
    }
  }

  @Override
  public String toString() { return name + (boxed ? " (switched off: the JIT boxed its vectors)" : ""); }
}
