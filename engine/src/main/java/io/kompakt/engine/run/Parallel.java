package io.kompakt.engine.run;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that splits a range of work items among itself and the calling thread.
 * Kernels call {@link #forRange} with a body that computes items [from, to); each item is computed by exactly
 * one thread, in the same way whatever the thread count, so results do not depend on it. One {@code Parallel}
 * belongs to one interpreter (not thread-safe); a run allocates nothing.
 */
public final class Parallel implements AutoCloseable {
  /** Computes items [from, to). */
  @FunctionalInterface
  public interface Body {
    void run(int from, int to);
  }

  /** How long a waiting thread spins before it parks. */
  static final long SPIN_NANOS = 50_000;
  private final int threads;
  private final Thread[] workers;
  private volatile Body body;
  private volatile int total;
  private volatile int chunk;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger pending = new AtomicInteger();
  private volatile long generation;
  private volatile boolean closed;
  private volatile Thread caller;
  private volatile Throwable failure;

  /** A pool of {@code threads} threads in all (the caller counts as one). */
  public Parallel(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, not " + threads);
    this.threads = threads;
    this.workers = new Thread[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      Thread t = new Thread(this::workerLoop, "kompakt-worker-" + i);
      t.setDaemon(true);
      workers[i] = t;
      t.start();
    }
  }

  public int threads() { return threads; }

  /** {@code parallel.forRange(n, grain, body)}, or inline on the calling thread when there is no pool. */
  public static void run(Parallel parallel, int n, int grain, Body body) {
    if (parallel == null) {
      if (n > 0) body.run(0, n);
    } else {
      parallel.forRange(n, grain, body);
    }
  }

  /** Items per chunk so that a chunk holds some 64k multiply-adds (a hand-off between threads costs microseconds). */
  public static int grain(long macsPerItem) { return (int) Math.max(1, Math.min(1 << 20, 65536 / Math.max(1, macsPerItem))); }

  /**
   * Runs {@code body} over [0, n) in chunks of at least {@code grain} items, on every thread, and returns when all
   * items are done. With one thread, or little work, runs inline.
   */
  public void forRange(int n, int grain, Body body) {
    if (n <= 0) return;
    if (threads == 1 || n <= grain) {
      body.run(0, n);
      return;
    }
    if (closed) throw new IllegalStateException("parallel pool is closed");
    int c = Math.max(grain, (n + threads * 4 - 1) / (threads * 4));
    this.body = body;
    this.total = n;
    this.chunk = c;
    this.next.set(0);
    this.failure = null;
    this.caller = Thread.currentThread();
    pending.set(workers.length);
    generation++;
    for (Thread w : workers) LockSupport.unpark(w);
    work();
    // the workers finish within microseconds of the caller: spin a little before parking
    long spinUntil = System.nanoTime() + SPIN_NANOS;
    while (pending.get() > 0) {
      if (System.nanoTime() < spinUntil) Thread.onSpinWait();
      else LockSupport.park(this);
    }
    this.body = null;
    Throwable f = failure;
    if (f != null) {
      if (f instanceof RuntimeException) throw (RuntimeException) f;
      if (f instanceof Error) throw (Error) f;
      throw new IllegalStateException(f);
    }
  }

  private void work() {
    Body b = body;
    int n = total, c = chunk;
    for (int start; (start = next.getAndAdd(c)) < n; ) {
      try {
        b.run(start, Math.min(n, start + c));
      } catch (Throwable t) {
        failure = t;
        next.set(n);
      }
    }
  }

  private void workerLoop() {
    long seen = 0;
    while (!closed) {
      if (generation == seen) {
        // within a run the next op's work comes within microseconds: spin a little before parking (waking a
        // parked thread costs tens of microseconds per op on a VM)
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (generation == seen && !closed && System.nanoTime() < spinUntil) Thread.onSpinWait();
        if (generation == seen) LockSupport.park(this);
        continue;
      }
      seen = generation;
      work();
      if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread w : workers) LockSupport.unpark(w);
  }
}
