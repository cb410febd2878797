package io.kompakt.ops.common;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Scratch arrays for the threads that run one kernel's work at the same time, made at prepare: a chunk of work takes a
 * free slot when it starts and gives it back when it ends, so a run allocates nothing. Make one slot per thread of the
 * {@link io.kompakt.engine.run.Parallel} (the caller counts as one); should more chunks than slots ever run at once
 * (a kernel run from several threads, which kernels do not support), the extra ones get fresh arrays.
 *
 * <p>What a kernel leaves in its slot does not matter: it must overwrite what it reads, so results never depend on
 * which slot a chunk got.
 */
public final class ScratchPool {
  /** Floats past the end of every array: 128 bytes, two cache lines of 64 bytes, one of Apple's 128. */
  private static final int PAD = 32;
  private final float[][][] slots;
  private final int[] sizes;
  private final AtomicIntegerArray busy;

  /** {@code slots} slots, each with arrays of the given sizes (separate arrays: loops that index them alike vectorise). */
  public ScratchPool(int slots, int... sizes) {
    if (slots < 1) throw new IllegalArgumentException("slots " + slots);
    for (int n : sizes) if (n < 0) throw new IllegalArgumentException("negative scratch size " + n);
    this.sizes = sizes.clone();
    this.slots = new float[slots][sizes.length][];
    // each array a little longer than asked: the unused end keeps the next array's data off its last cache line (threads
    // writing neighbouring arrays would otherwise contend for the line)
    for (float[][] slot : this.slots) for (int i = 0; i < sizes.length; i++) slot[i] = new float[sizes[i] + PAD];
    this.busy = new AtomicIntegerArray(slots);
  }

  /** The index of a free slot, now taken; give it back with {@link #release}. */
  public int acquire() {
    for (int i = 0; i < slots.length; i++) if (busy.get(i) == 0 && busy.compareAndSet(i, 0, 1)) return i;
    return -1;
  }

  /** The first array of a slot ({@code -1}, none free: a fresh array). */
  public float[] get(int slot) { return get(slot, 0); }

  /** Array {@code i} of a slot ({@code -1}, none free: a fresh array). */
  public float[] get(int slot, int i) { return slot >= 0 ? slots[slot][i] : new float[sizes[i]]; }

  /** Gives a slot back. */
  public void release(int slot) {
    if (slot >= 0) busy.set(slot, 0);
  }
}
