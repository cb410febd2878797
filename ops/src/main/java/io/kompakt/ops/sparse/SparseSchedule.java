package io.kompakt.ops.sparse;

import io.kompakt.engine.run.Parallel;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * How {@link SparseGemmF32} and {@link SparseGemmInt8} split their work (the two differ only in element types): the
 * tiled path (tiles of {@link #tile} rows, from {@link SparseGemmF32#TILE_MIN} rows) or the dot path (blocks of
 * {@link SparseGemmF32#DOT_BLOCK} outputs), the number of work items and the grain handed to {@link Parallel}, and the
 * per-thread slots of the tiled path's buffers (claimed by {@link #acquire}, given back by {@link #release}).
 */
final class SparseSchedule {
  final int rows, tile, items, grain, threads;
  final boolean tiled;
  private final AtomicIntegerArray busy;

  SparseSchedule(int rows, int k, int n, long nonzeros, Parallel parallel) {
    this.rows = rows;
    this.threads = parallel == null ? 1 : parallel.threads();
    this.tiled = rows >= SparseGemmF32.TILE_MIN;
    this.tile = SparseGemmF32.tileRows(k, rows);
    if (tiled) {
      items = (rows + tile - 1) / tile;
      grain = (int) Math.max(1, 65536 / Math.max(1, (long) tile * (nonzeros + k)));
    } else {
      long nnzPerOut = Math.max(1, nonzeros / n);
      items = (n + SparseGemmF32.DOT_BLOCK - 1) / SparseGemmF32.DOT_BLOCK;
      grain = (int) Math.max(1, 65536 / Math.max(1, (long) rows * SparseGemmF32.DOT_BLOCK * nnzPerOut));
    }
    busy = new AtomicIntegerArray(threads);
  }

  /** Runs {@code body} over all work items, on the calling thread or split over {@code parallel}. */
  void run(Parallel parallel, Parallel.Body body) {
    Parallel.run(parallel, items, grain, body);
  }

  /** A free buffer slot, or -1 when every slot is taken (the caller then uses buffers of its own). */
  int acquire() {
    for (int i = 0; i < busy.length(); i++) if (busy.get(i) == 0 && busy.compareAndSet(i, 0, 1)) return i;
    return -1;
  }

  void release(int slot) {
    if (slot >= 0) busy.set(slot, 0);
  }
}
