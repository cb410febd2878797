package io.kompakt.engine.run;

import java.util.HashMap;
import java.util.Map;

/**
 * Scratch arrays shared by all kernels of one interpreter. An interpreter runs its operators one after another, so
 * kernels that need a large temporary array only while they run (e.g. the integer kernels that compute in exact float
 * arithmetic and need their input and output as floats) can share one array instead of each holding its own: each
 * kernel asks at prepare for a named buffer of at least the size it needs, and reads {@link Floats#array()} at run
 * time, when the buffer has its final size. What a kernel leaves in a shared buffer must not matter to the next one,
 * except through a {@link Handoff}, which only the kernel that runs next can take.
 */
public final class SharedScratch {
  /** A float buffer that grows, at prepare, to the largest size asked for. */
  public static final class Floats {
    private float[] array = new float[0];

    /** The buffer (read at run time, not at prepare: it may still grow until every op is prepared). */
    public float[] array() { return array; }

    void ensure(int size) {
      if (size > array.length) array = new float[size];
    }
  }

  /**
   * A float copy of an 8-bit tensor (each value minus the zero point), left in a shared buffer by the kernel that
   * wrote the tensor, for the kernel that runs right after it, which would otherwise convert the tensor itself (the
   * integer kernels that compute in exact float arithmetic). Valid for the next kernel only: the interpreter counts
   * kernels as it runs them ({@link #advance}), so any kernel in between, a new run, or a kernel run outside an
   * interpreter voids it. A producer keeps one handoff and can see whether its last offer was taken.
   */
  public static final class Handoff {
    private byte[] array;
    private float[] values;
    private int offset, size, zeroPoint;
    private boolean unsigned, offered, taken;
    private long validAt = -1;

    /** Whether this handoff was offered at least once and its last offer was not taken. */
    public boolean offeredInVain() { return offered && !taken; }
  }

  private final Map<String, Floats> floats = new HashMap<>();
  /** Kernels run so far (see {@link Handoff}). */
  private long step;
  private Handoff handoff;

  /** Called by the interpreter before each kernel it runs. */
  void advance() { step++; }

  /**
   * Offers {@code values[0 .. size)}: the float of each element {@code array[offset + i]} (as int8 or uint8) minus
   * {@code zeroPoint}, to the kernel that runs next.
   */
  public void offer(Handoff h, byte[] array, int offset, int size, int zeroPoint, boolean unsigned, float[] values) {
    h.array = array;
    h.offset = offset;
    h.size = size;
    h.zeroPoint = zeroPoint;
    h.unsigned = unsigned;
    h.values = values;
    h.offered = true;
    h.taken = false;
    h.validAt = step + 1;
    handoff = h;
  }

  /**
   * Whether {@code values} already holds the float copy of {@code array[offset .. offset + size)} with this zero point,
   * offered by the kernel that ran just before this one; marks the offer taken.
   */
  public boolean take(byte[] array, int offset, int size, int zeroPoint, boolean unsigned, float[] values) {
    Handoff h = handoff;
    if (h == null || h.validAt != step || h.array != array || h.offset != offset || h.size < size || h.zeroPoint != zeroPoint
        || h.unsigned != unsigned || h.values != values) {
      return false;
    }
    h.taken = true;
    return true;
  }

  /** The float buffer named {@code key}, grown to at least {@code size} elements. */
  public Floats floats(String key, int size) {
    if (size < 0) throw new IllegalArgumentException("negative scratch size " + size);
    Floats f = floats.computeIfAbsent(key, k -> new Floats());
    f.ensure(size);
    return f;
  }

  /** Bytes held by all buffers. */
  public long bytes() {
    long n = 0;
    for (Floats f : floats.values()) n += 4L * f.array.length;
    return n;
  }
}
