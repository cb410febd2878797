package io.kompakt.engine.run;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Plans where intermediate tensors live in an arena from their lifetimes, reusing the memory of tensors that
 * are dead (TFLite's arena planner does the same): largest first, each at the lowest offset that overlaps no
 * tensor alive at the same time. Offsets are in elements, aligned to {@code align} elements.
 */
public final class ArenaPlanner {
  /** One tensor to place: alive from op {@code first} to op {@code last} (inclusive). */
  public static final class Request {
    public final Object key;
    public final long size;
    public final int first;
    public final int last;
    public long offset = -1;

    public Request(Object key, long size, int first, int last) {
      this.key = key;
      this.size = size;
      this.first = first;
      this.last = last;
    }
  }

  private ArenaPlanner() {}

  /** Places the requests (sets {@link Request#offset}) and returns the arena size in elements. */
  public static long plan(List<Request> requests, int align) {
    List<Request> order = new ArrayList<>(requests);
    order.sort(Comparator.comparingLong((Request r) -> -r.size).thenComparingInt(r -> r.first));
    List<Request> placed = new ArrayList<>();
    long total = 0;
    for (Request r : order) {
      List<Request> overlapping = new ArrayList<>();
      for (Request p : placed) if (p.first <= r.last && r.first <= p.last) overlapping.add(p);
      overlapping.sort(Comparator.comparingLong(p -> p.offset));
      long candidate = 0;
      for (Request p : overlapping) {
        if (candidate + r.size <= p.offset) break;
        candidate = Math.max(candidate, alignUp(p.offset + p.size, align));
      }
      r.offset = candidate;
      placed.add(r);
      total = Math.max(total, candidate + r.size);
    }
    return alignUp(total, align);
  }

  static long alignUp(long v, int a) { return (v + a - 1) / a * a; }
}
