package io.kompakt.engine.run;

import java.util.HashMap;
import java.util.Map;

/**
 * Scratch arrays shared by all kernels of one interpreter. An interpreter runs its operators one after another, so
 * kernels that need a large temporary array only while they run (e.g. the integer kernels that compute in exact float
 * arithmetic and need their input and output as floats) can share one array instead of each holding its own: each
 * kernel asks at prepare for a named buffer of at least the size it needs, and reads {@link Floats#array()} at run
 * time, when the buffer has its final size. What a kernel leaves in a shared buffer must not matter to the next one.
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

  private final Map<String, Floats> floats = new HashMap<>();

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
