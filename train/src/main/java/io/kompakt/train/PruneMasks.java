package io.kompakt.train;

import io.kompakt.compress.Pruner.PolynomialDecay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Gradual magnitude pruning during training (Zhu and Gupta 2017, as TF Model Optimization does it): at the steps the
 * {@link PolynomialDecay} schedule names, each weight tensor's smallest-magnitude values are masked to reach the
 * schedule's sparsity for that step (per layer); masked weights stay zero through the optimizer's updates. Biases are
 * never pruned.
 */
public final class PruneMasks {
  private final PolynomialDecay schedule;
  private final List<Param> weights = new ArrayList<>();

  /** Prunes every weight tensor of {@code g} whose name does not match {@code skip} (a regex, or null). */
  public PruneMasks(TrainGraph g, PolynomialDecay schedule, String skip) {
    this.schedule = schedule;
    java.util.regex.Pattern p = skip == null ? null : java.util.regex.Pattern.compile(skip);
    for (Param q : g.params()) {
      if (!q.isWeight) continue;
      if (p != null && p.matcher(q.name).find()) continue;
      q.mask = new float[q.size()];
      Arrays.fill(q.mask, 1f);
      weights.add(q);
    }
  }

  public PolynomialDecay schedule() { return schedule; }

  /** The pruned tensors. */
  public List<Param> weights() { return weights; }

  /** At a pruning step of the schedule, recomputes the masks for its sparsity; returns whether it did. */
  public boolean update(long step) {
    if (!schedule.shouldPrune(step)) return false;
    double s = schedule.sparsity(step);
    for (Param q : weights) mask(q, s);
    return true;
  }

  /** Masks the {@code round(sparsity * n)} smallest magnitudes of {@code q} (ties: lower index first) and applies it. */
  static void mask(Param q, double sparsity) {
    int n = q.size(), k = (int) Math.round(sparsity * n);
    float[] abs = new float[n];
    for (int i = 0; i < n; i++) abs[i] = Math.abs(q.values[i]);
    Arrays.fill(q.mask, 1f);
    if (k > 0) {
      float[] sorted = abs.clone();
      Arrays.sort(sorted);
      float threshold = sorted[k - 1];
      int below = 0;
      for (float a : abs) if (a < threshold) below++;
      int equalToPrune = k - below;
      for (int i = 0; i < n; i++) {
        if (abs[i] < threshold) q.mask[i] = 0f;
        else if (abs[i] == threshold && equalToPrune > 0) {
          q.mask[i] = 0f;
          equalToPrune--;
        }
      }
    }
    q.applyMask();
  }

  /** Overall share of zeros in the pruned tensors. */
  public double sparsity() {
    long z = 0, n = 0;
    for (Param q : weights) {
      for (float v : q.values) if (v == 0f) z++;
      n += q.size();
    }
    return n == 0 ? 0 : (double) z / n;
  }
}
