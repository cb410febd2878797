package io.kompakt.train;

/**
 * Knowledge distillation (Hinton et al.): the student learns from a teacher's softened outputs as well as from the
 * labels. With the student's logits {@code z}, its probabilities {@code p = softmax(z)}, the softened ones
 * {@code s = softmax(z / T)} and the teacher's {@code q = softmax(t / T)} (from its logits {@code t}, or the logs of
 * its probabilities: the same up to a constant), the loss of one sample is
 * {@code alpha * CE(p, label) + (1 - alpha) * T^2 * KL(q || s)} and its gradient with respect to the logits
 * {@code alpha * (p - onehot) + (1 - alpha) * T * (s - q)}. The teacher's outputs are computed once, before training
 * ({@code kompakt train --teacher}), one row per training sample.
 */
public final class Distillation {
  private final float[][] teacher;
  private final double temperature, alpha;

  /**
   * @param teacherLogits per training sample, the teacher's logits or log-probabilities
   * @param temperature   T, at least 1 in practice (4 is common)
   * @param alpha         weight of the labels' cross-entropy, in [0, 1]
   */
  public Distillation(float[][] teacherLogits, double temperature, double alpha) {
    if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, not " + temperature);
    if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], not " + alpha);
    this.teacher = teacherLogits;
    this.temperature = temperature;
    this.alpha = alpha;
  }

  public int samples() { return teacher.length; }

  public double temperature() { return temperature; }

  public double alpha() { return alpha; }

  /** The logits of probabilities (their logs, floored at 1e-30): for a teacher whose output is a SOFTMAX. */
  public static float[] logitsOfProbabilities(float[] p) {
    float[] t = new float[p.length];
    for (int i = 0; i < p.length; i++) t[i] = (float) Math.log(Math.max(p[i], 1e-30));
    return t;
  }

  /**
   * The loss of sample {@code index} with student logits {@code z}; writes the gradient with respect to {@code z}
   * into {@code d}. {@code p} and {@code s} are scratch of the classes' size.
   */
  double loss(int index, float[] z, int label, float[] p, float[] s, float[] d) {
    float[] t = teacher[index];
    if (t.length != z.length) throw new IllegalArgumentException("the teacher gives " + t.length + " classes, the student " + z.length);
    return loss(z, label, t, temperature, alpha, p, s, d);
  }

  static double loss(float[] z, int label, float[] t, double temperature, double alpha, float[] p, float[] s, float[] d) {
    int n = z.length;
    SoftmaxNode.softmax(z, 0, n, 1f, p);
    SoftmaxNode.softmax(z, 0, n, (float) (1 / temperature), s);
    // q = softmax(t / T), written into d for now
    SoftmaxNode.softmax(t, 0, n, (float) (1 / temperature), d);
    double kl = 0;
    for (int i = 0; i < n; i++) if (d[i] > 0) kl += d[i] * (Math.log(d[i]) - Math.log(Math.max(s[i], 1e-30)));
    double ce = -Math.log(Math.max(p[label], 1e-30));
    for (int i = 0; i < n; i++) {
      double q = d[i];
      d[i] = (float) (alpha * (p[i] - (i == label ? 1 : 0)) + (1 - alpha) * temperature * (s[i] - q));
    }
    return alpha * ce + (1 - alpha) * temperature * temperature * kl;
  }
}
