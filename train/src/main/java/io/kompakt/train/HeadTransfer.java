package io.kompakt.train;

import io.kompakt.compress.ReshapeTargets;
import io.kompakt.data.Dataset;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Transfer learning: a classifier's head (its last FULLY_CONNECTED, or 1x1 CONV_2D on a 1x1 map, followed only by
 * RESHAPE / SQUEEZE / SOFTMAX) replaced by a new one for other classes, trained on the features the frozen network
 * computes for a data set. The features come from the interpreter with the fast kernels (the head's input tensor, one
 * run per image), the head is trained as softmax regression (Adam, mini-batches), and the new head is written into the
 * model in place of the old one, with the shapes after it changed to the new number of classes.
 */
public final class HeadTransfer {
  private HeadTransfer() {}

  /** The head: op index, the feature tensor it reads, its depth, whether it is a 1x1 CONV_2D, and the ops after it. */
  public record Head(int op, String type, int feature, int depth, int classes, List<Integer> tail) {}

  /** A linear classifier: weights [classes][depth] row-major, bias [classes]. */
  public record Linear(float[] weights, float[] bias, int classes, int depth) {
    public int predict(float[] x) {
      int best = 0;
      double bestV = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        double v = bias[c];
        for (int d = 0; d < depth; d++) v += weights[c * depth + d] * x[d];
        if (v > bestV) {
          bestV = v;
          best = c;
        }
      }
      return best;
    }
  }

  /** Finds the head of a float classifier, or explains why there is none. */
  public static Head find(Model m) {
    Subgraph g = m.mainSubgraph();
    List<Operator> ops = g.operators();
    List<Integer> tail = new ArrayList<>();
    int i = ops.size() - 1;
    while (i >= 0 && List.of("SOFTMAX", "RESHAPE", "SQUEEZE").contains(ops.get(i).name())) tail.add(0, i--);
    if (i < 0) throw new IllegalArgumentException(m.source() + ": no layer before the final SOFTMAX/RESHAPE ops");
    Operator head = ops.get(i);
    String type = head.name();
    if (!type.equals("FULLY_CONNECTED") && !type.equals("CONV_2D")) {
      throw new IllegalArgumentException(m.source() + ": the last layer is op #" + i + " " + type + ", not a FULLY_CONNECTED or 1x1 CONV_2D classifier head");
    }
    var w = g.tensor(head.inputs()[1]);
    if (w.type() != TensorType.FLOAT32 || !w.isConstant()) {
      throw new IllegalArgumentException(m.source() + ": the head's weights " + w + " are not float32 constants (dequantize the model first: kompakt dequantize)");
    }
    int[] ws = w.shape();
    int classes = ws[0], depth = ws[ws.length - 1];
    if (type.equals("CONV_2D") && (ws.length != 4 || ws[1] != 1 || ws[2] != 1)) {
      throw new IllegalArgumentException(m.source() + ": the head CONV_2D has a " + ws[1] + "x" + ws[2] + " filter, not 1x1");
    }
    int feature = head.inputs()[0];
    long n = g.tensor(feature).elementCount();
    if (n != depth) {
      throw new IllegalArgumentException(m.source() + ": the head's input " + g.tensor(feature) + " is not one vector of " + depth + " features");
    }
    if (g.tensor(feature).type() != TensorType.FLOAT32) throw new IllegalArgumentException(m.source() + ": the head's input is not float32");
    return new Head(i, type, feature, depth, classes, tail);
  }

  /** The head's input for every image of {@code data}, from the whole network run by the interpreter. */
  public static float[][] features(Model m, Head h, Dataset data, Preprocessing pre, int width, int height, int threads,
                                   IntConsumer progress) throws IOException {
    Subgraph g = m.mainSubgraph();
    int producer = -1;
    for (Operator op : g.operators()) for (int o : op.outputs()) if (o == h.feature()) producer = op.index();
    if (producer < 0) throw new IllegalArgumentException(m.source() + ": the head's input is not computed by an op");
    float[][] out = new float[data.size()][];
    float[] current = new float[h.depth()];
    final int p = producer;
    Interpreter.Options o = new Interpreter.Options().setNumThreads(threads).setObserver((op, outs) -> {
      if (op != p) return;
      for (RuntimeTensor t : outs) if (t.index == h.feature()) System.arraycopy(t.f32, t.offset, current, 0, current.length);
    });
    try (Interpreter it = new Interpreter(m, o)) {
      RuntimeTensor in = it.getInputTensor(0);
      for (int i = 0; i < data.size(); i++) {
        pre.fill(in, pre.apply(data.image(i), width, height));
        it.invoke();
        out[i] = current.clone();
        if (progress != null) progress.accept(i + 1);
      }
    }
    return out;
  }

  /** Softmax regression of {@code labels} on {@code x}: Adam, batches of 32, {@code epochs} passes. */
  public static Linear train(float[][] x, int[] labels, int classes, int epochs, double lr, long seed, EpochListener listener) {
    int n = x.length, depth = x[0].length;
    float[] w = new float[classes * depth], b = new float[classes];
    SplittableRandom r = new SplittableRandom(seed);
    double std = Math.sqrt(1.0 / depth);
    for (int i = 0; i < w.length; i++) w[i] = (float) (std * (r.nextDouble() * 2 - 1));
    Param pw = new Param(-1, "head/weights", new int[] {classes, depth}, w, true, "FULLY_CONNECTED");
    Param pb = new Param(-2, "head/bias", new int[] {classes}, b, false, "FULLY_CONNECTED");
    List<Param> params = List.of(pw, pb);
    float[] gw = new float[w.length], gb = new float[classes], logits = new float[classes], p = new float[classes];
    List<float[]> grads = List.of(gw, gb);
    Optimizer adam = new Optimizer.Adam(0.9, 0.999, 1e-7);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) order[i] = i;
    for (int e = 1; e <= epochs; e++) {
      Trainer.shuffle(order, r);
      double loss = 0;
      int right = 0;
      for (int from = 0; from < n; from += 32) {
        int to = Math.min(n, from + 32);
        java.util.Arrays.fill(gw, 0f);
        java.util.Arrays.fill(gb, 0f);
        for (int k = from; k < to; k++) {
          float[] xi = x[order[k]];
          int y = labels[order[k]];
          for (int c = 0; c < classes; c++) {
            double v = b[c];
            for (int d = 0; d < depth; d++) v += w[c * depth + d] * xi[d];
            logits[c] = (float) v;
          }
          SoftmaxNode.softmax(logits, 0, classes, 1f, p);
          loss -= Math.log(Math.max(p[y], 1e-30));
          if (Trainer.argmax(p) == y) right++;
          for (int c = 0; c < classes; c++) {
            float g = (p[c] - (c == y ? 1f : 0f)) / (to - from);
            gb[c] += g;
            for (int d = 0; d < depth; d++) gw[c * depth + d] += g * xi[d];
          }
        }
        adam.step(params, grads, lr);
      }
      if (listener != null) listener.epoch(e, loss / n, (double) right / n);
    }
    return new Linear(w, b, classes, depth);
  }

  /** Features and labels split into a training and a test part. */
  public record Split(float[][] trainX, int[] trainY, float[][] testX, int[] testY) {}

  /** Holds out a {@code share} (in (0, 1)) of the samples, chosen at random, for testing; at least one each side. */
  public static Split holdOut(float[][] x, int[] y, double share, long seed) {
    int n = x.length, nTest = Math.max(1, (int) Math.round(n * share));
    if (n - nTest < 1) throw new IllegalArgumentException("too few samples (" + n + ") to hold some out");
    int[] order = new int[n];
    for (int i = 0; i < n; i++) order[i] = i;
    Trainer.shuffle(order, new SplittableRandom(seed));
    float[][] trainX = new float[n - nTest][], testX = new float[nTest][];
    int[] trainY = new int[n - nTest], testY = new int[nTest];
    for (int i = 0; i < n; i++) {
      if (i < nTest) {
        testX[i] = x[order[i]];
        testY[i] = y[order[i]];
      } else {
        trainX[i - nTest] = x[order[i]];
        trainY[i - nTest] = y[order[i]];
      }
    }
    return new Split(trainX, trainY, testX, testY);
  }

  /** Called after each epoch of {@link #train}. */
  @FunctionalInterface
  public interface EpochListener {
    void epoch(int epoch, double loss, double accuracy);
  }

  /**
   * The model with {@code h} replaced by {@code head}: the new weights (and bias, added if the old head had none),
   * the last dimension of the head's output and of the outputs after it set to the new number of classes (RESHAPE's
   * shape too); TFLite Metadata (whose labels no longer apply) is dropped.
   */
  public static EditableModel graft(Model m, Head h, Linear head) {
    EditableModel e = EditableModel.from(m);
    EditableModel.Subgraph g = e.subgraphs.get(0);
    EditableModel.Operator op = g.operators.get(h.op());
    int n = head.classes();
    EditableModel.Tensor w = op.inputs.get(1);
    w.shape = h.type().equals("CONV_2D") ? new int[] {n, 1, 1, h.depth()} : new int[] {n, h.depth()};
    w.shapeSignature = w.shape.clone();
    w.quantization = Quantization.NONE;
    w.buffer = e.addFloats(head.weights());
    EditableModel.Tensor bias = op.inputs.size() > 2 ? op.inputs.get(2) : null;
    if (bias == null) {
      bias = g.add(new EditableModel.Tensor(w.name + "/bias", TensorType.FLOAT32, n));
      while (op.inputs.size() < 3) op.inputs.add(null);
      op.inputs.set(2, bias);
    }
    bias.shape = new int[] {n};
    bias.shapeSignature = bias.shape.clone();
    bias.type = TensorType.FLOAT32;
    bias.quantization = Quantization.NONE;
    bias.buffer = e.addFloats(head.bias());
    withClasses(op.outputs.get(0), n);
    for (int t : h.tail()) {
      EditableModel.Operator after = g.operators.get(t);
      withClasses(after.outputs.get(0), n);
      if (after.opCode.name().equals("RESHAPE")) ReshapeTargets.followOutput(e, after);
    }
    e.metadata.removeIf(md -> "TFLITE_METADATA".equals(md.name));
    e.associatedFiles.clear();
    e.removeUnusedBuffers();
    return e;
  }

  private static void withClasses(EditableModel.Tensor t, int n) {
    t.shape = t.shape.clone();
    t.shape[t.shape.length - 1] = n;
    if (t.shapeSignature != null && t.shapeSignature.length == t.shape.length) {
      t.shapeSignature = t.shapeSignature.clone();
      t.shapeSignature[t.shapeSignature.length - 1] = n;
    }
  }
}
