package io.kompakt.train;

/**
 * The buffers of one thread: an activation and a gradient array per tensor (one sample, batch dimension 1), the
 * gradients of the trainable tensors accumulated over this thread's share of a batch, and the nodes' scratch.
 * Allocated once, when the trainer is made; a training step allocates nothing.
 *
 * <p>Constant tensors share one array among all workspaces ({@code act[t]} is the same object); their
 * {@code grad[t]} is null unless they are trainable, in which case it is this thread's gradient accumulator.
 * The graph input has no gradient (null), and neither has any tensor that no trainable tensor depends on.
 */
public final class Workspace {
  final float[][] act;
  final float[][] grad;
  /** This thread's range of each tensor over the current batch, for quantization-aware training ({@link FakeQuant}). */
  final float[] qatMin, qatMax;
  /** Per-node scratch (e.g. argmax positions of max pooling), indexed by node. */
  final int[][] scratch;

  Workspace(TrainGraph g) {
    int n = g.tensorCount();
    act = new float[n][];
    grad = new float[n][];
    scratch = new int[g.nodes().size()][];
    qatMin = new float[n];
    qatMax = new float[n];
    for (int t = 0; t < n; t++) {
      if (g.constant(t) != null) {
        act[t] = g.constant(t);
      } else if (g.isActivation(t)) {
        act[t] = new float[g.sampleSize(t)];
      }
      if (g.needsGrad(t)) grad[t] = new float[g.sampleSize(t)];
    }
    for (int i = 0; i < g.nodes().size(); i++) scratch[i] = g.nodes().get(i).scratch();
  }

  /** The activation of tensor {@code t} for the sample last run. */
  public float[] activation(int t) { return act[t]; }

  /** The gradient of tensor {@code t} (accumulated for trainable tensors), or null. */
  public float[] gradient(int t) { return grad[t]; }

  /** Zeroes the gradients of the trainable tensors (start of a batch). */
  void zeroParamGrads(TrainGraph g) {
    for (Param p : g.params()) java.util.Arrays.fill(grad[p.tensor], 0f);
  }

  /** Zeroes the activation gradients (start of one sample's backward pass). */
  void zeroActivationGrads(TrainGraph g) {
    for (int t = 0; t < grad.length; t++) if (grad[t] != null && g.constant(t) == null) java.util.Arrays.fill(grad[t], 0f);
  }
}
