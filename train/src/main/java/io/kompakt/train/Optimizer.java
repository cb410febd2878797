package io.kompakt.train;

import java.util.List;

/**
 * Updates the trainable tensors from their batch-mean gradients. State (velocities, moments) is allocated on the first
 * step, once. Implementations: {@link Sgd} (with momentum) and {@link Adam}.
 */
public interface Optimizer {
  /** One update at learning rate {@code lr}; {@code grads.get(i)} is the gradient of {@code params.get(i)}. */
  void step(List<Param> params, List<float[]> grads, double lr);

  /** A name for reports ({@code sgd(momentum 0.9)}, {@code adam}). */
  String describe();

  /** Parses {@code sgd} or {@code adam} (case-insensitive); {@code momentum} is for SGD. */
  static Optimizer parse(String name, double momentum) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "sgd": return new Sgd(momentum);
      case "adam": return new Adam(0.9, 0.999, 1e-7);
      default: throw new IllegalArgumentException("optimizer must be adam or sgd, not '" + name + "'");
    }
  }

  /** Stochastic gradient descent with (heavy-ball) momentum, as Keras' SGD: {@code v = m v - lr g; w += v}. */
  final class Sgd implements Optimizer {
    private final double momentum;
    private float[][] velocity;

    public Sgd(double momentum) {
      if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("momentum must be in [0, 1), is " + momentum);
      this.momentum = momentum;
    }

    @Override
    public void step(List<Param> params, List<float[]> grads, double lr) {
      if (velocity == null) {
        velocity = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) velocity[i] = new float[params.get(i).size()];
      }
      float m = (float) momentum, l = (float) lr;
      for (int i = 0; i < params.size(); i++) {
        float[] w = params.get(i).values, g = grads.get(i), v = velocity[i];
        for (int k = 0; k < w.length; k++) {
          v[k] = m * v[k] - l * g[k];
          w[k] += v[k];
        }
      }
    }

    @Override
    public String describe() { return "sgd(momentum " + momentum + ")"; }
  }

  /** Adam (Kingma and Ba 2015) with bias correction, as Keras computes it (epsilon outside the square root). */
  final class Adam implements Optimizer {
    private final double beta1, beta2, epsilon;
    private float[][] m, v;
    private long t;

    public Adam(double beta1, double beta2, double epsilon) {
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.epsilon = epsilon;
    }

    @Override
    public void step(List<Param> params, List<float[]> grads, double lr) {
      if (m == null) {
        m = new float[params.size()][];
        v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
          m[i] = new float[params.get(i).size()];
          v[i] = new float[params.get(i).size()];
        }
      }
      t++;
      float b1 = (float) beta1, b2 = (float) beta2, eps = (float) epsilon;
      float step = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
      for (int i = 0; i < params.size(); i++) {
        float[] w = params.get(i).values, g = grads.get(i), mi = m[i], vi = v[i];
        for (int k = 0; k < w.length; k++) {
          float gk = g[k];
          mi[k] = b1 * mi[k] + (1 - b1) * gk;
          vi[k] = b2 * vi[k] + (1 - b2) * gk * gk;
          w[k] -= step * mi[k] / ((float) Math.sqrt(vi[k]) + eps);
        }
      }
    }

    @Override
    public String describe() { return "adam"; }
  }
}
