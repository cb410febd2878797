package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.Pruner.PolynomialDecay;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.testdata.GraphBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training on a generated, separable task; the written model in the Interpreter; pruning masks; optimizers. */
class TrainerTest {
  /** 12x12 grey images of 4 classes: a bright 6x6 quadrant (the class) over noise. */
  static Dataset quadrants(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] x = new float[n][144];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(4);
      int oy = (y[i] / 2) * 6, ox = (y[i] % 2) * 6;
      for (int k = 0; k < 144; k++) {
        int py = k / 12, px = k % 12;
        boolean on = py >= oy && py < oy + 6 && px >= ox && px < ox + 6;
        x[i][k] = (float) ((on ? 0.6 : -0.4) + 0.6 * (r.nextDouble() - 0.5));
      }
    }
    return Dataset.of(x, y);
  }

  static EditableModel smallCnn(long seed) {
    GraphBuilder b = new GraphBuilder("small CNN", seed);
    Tensor x = b.input("image", 1, 12, 12, 1);
    x = b.conv2d(x, 6, 3, 1, true, "RELU");
    x = b.pool("MAX_POOL_2D", x, 2, 2, false);
    x = b.depthwise(x, 3, 2, true, "RELU6");
    x = b.conv2d(x, 8, 1, 1, true, "RELU");
    x = b.reshape(x, 1, 3 * 3 * 8);
    x = b.dense(x, 16, "RELU");
    x = b.dense(x, 4, "NONE");
    b.output(b.softmax(x));
    return b.model();
  }

  @Test
  void learnsASeparableTaskWithAdamAndSgd() {
    Dataset train = quadrants(800, 1), test = quadrants(200, 2);
    for (Optimizer opt : new Optimizer[] {new Optimizer.Adam(0.9, 0.999, 1e-7), new Optimizer.Sgd(0.9)}) {
      TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(7)));
      try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(32).lr(opt instanceof Optimizer.Sgd ? 0.02 : 0.003).optimizer(opt))) {
        double before = t.evaluate(test).accuracy();
        Trainer.Metrics first = t.epoch(train, null), last = first;
        for (int e = 0; e < 3; e++) last = t.epoch(train, null);
        Trainer.Metrics after = t.evaluate(test);
        assertTrue(last.loss() < first.loss(), opt.describe() + ": loss did not fall: " + first + " -> " + last);
        assertTrue(after.accuracy() >= 0.95, opt.describe() + ": test accuracy " + after.accuracy() + " (before " + before + ")");
      }
    }
  }

  @Test
  void writtenModelRunsInTheInterpreterWithTheTrainersOutputs(@TempDir Path dir) throws Exception {
    Dataset train = quadrants(256, 3);
    TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(11)));
    try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(32))) {
      t.epoch(train, null);
      Path out = dir.resolve("trained.tflite");
      ModelExport.write(g, out);
      Model written = Model.load(out);
      TrainGraph again = TrainGraph.of(written);
      for (int i = 0; i < g.params().size(); i++) assertArrayEquals(g.params().get(i).values, again.params().get(i).values);
      try (Interpreter it = new Interpreter(written)) {
        float[] x = new float[144];
        for (int s = 0; s < 10; s++) {
          train.sample(s, x);
          float[][][][] in = new float[1][12][12][1];
          for (int k = 0; k < 144; k++) in[0][k / 12][k % 12][0] = x[k];
          float[][] result = new float[1][4];
          it.run(in, result);
          float[] mine = t.predict(x);
          for (int c = 0; c < 4; c++) assertEquals(mine[c], result[0][c], 1e-5 + 1e-4 * Math.abs(mine[c]), "sample " + s + " class " + c);
        }
      }
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        assertEquals(1, files.count(), "no temporary files left beside the output");
      }
    }
  }

  @Test
  void gradualPruningReachesTheTargetAndKeepsMasksDuringTraining() {
    Dataset train = quadrants(640, 4), test = quadrants(200, 5);
    TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(5)));
    try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(32).lr(0.003))) {
      long steps = 4 * 20;
      PruneMasks masks = new PruneMasks(g, new PolynomialDecay(0, 0.8, 0, 40, 3, 5), null);
      t.setPruning(masks);
      for (int e = 0; e < 4; e++) {
        t.epoch(train, null);
        if (t.steps() > 40) {
          for (Param p : masks.weights()) assertEquals(0.8, p.sparsity(), 1.0 / p.size() + 1e-9, p.name);
        }
      }
      assertEquals(steps, t.steps());
      for (Param p : masks.weights()) {
        for (int k = 0; k < p.size(); k++) if (p.mask[k] == 0f) assertEquals(0f, p.values[k], p.name + "[" + k + "] pruned but nonzero");
      }
      for (Param p : g.params()) if (!p.isWeight) assertTrue(p.mask == null, "biases are not pruned");
      assertTrue(t.evaluate(test).accuracy() >= 0.9, "accuracy after pruning to 80%");
    }
  }

  @Test
  void maskPrunesExactlyTheSmallestMagnitudes() {
    TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(9)));
    Param p = g.params().get(0);
    float[] before = p.values.clone();
    p.mask = new float[p.size()];
    PruneMasks.mask(p, 0.5);
    int k = (int) Math.round(0.5 * p.size());
    float[] sorted = new float[before.length];
    for (int i = 0; i < before.length; i++) sorted[i] = Math.abs(before[i]);
    java.util.Arrays.sort(sorted);
    int zeros = 0;
    for (int i = 0; i < before.length; i++) {
      if (p.values[i] == 0f) {
        zeros++;
        assertTrue(Math.abs(before[i]) <= sorted[k - 1]);
      } else {
        assertEquals(before[i], p.values[i]);
        assertTrue(Math.abs(before[i]) >= sorted[k - 1]);
      }
    }
    assertEquals(k, zeros);
  }

  @Test
  void optimizersFollowTheirFormulas() {
    TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(9)));
    Param p = g.params().get(1);
    List<Param> ps = List.of(p);
    float[] grad = new float[p.size()];
    for (int i = 0; i < grad.length; i++) grad[i] = 0.1f * (i + 1) * (i % 2 == 0 ? 1 : -1);
    double[] w = new double[p.size()], m = new double[p.size()], v = new double[p.size()];
    for (int i = 0; i < w.length; i++) w[i] = p.values[i];
    Optimizer.Adam adam = new Optimizer.Adam(0.9, 0.999, 1e-7);
    for (int t = 1; t <= 3; t++) {
      adam.step(ps, List.of(grad), 0.01);
      for (int i = 0; i < w.length; i++) {
        m[i] = 0.9 * m[i] + 0.1 * grad[i];
        v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i];
        double lr = 0.01 * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
        w[i] -= lr * m[i] / (Math.sqrt(v[i]) + 1e-7);
        assertEquals(w[i], p.values[i], 1e-5, "adam step " + t);
      }
    }
    Optimizer.Sgd sgd = new Optimizer.Sgd(0.5);
    double[] vel = new double[p.size()];
    for (int t = 1; t <= 3; t++) {
      sgd.step(ps, List.of(grad), 0.1);
      for (int i = 0; i < w.length; i++) {
        vel[i] = 0.5 * vel[i] - 0.1 * grad[i];
        w[i] += vel[i];
        assertEquals(w[i], p.values[i], 1e-5, "sgd step " + t);
      }
    }
  }

  @Test
  void sameSeedSameThreadsSameWeights() {
    Dataset train = quadrants(200, 6);
    float[][] results = new float[2][];
    for (int run = 0; run < 2; run++) {
      TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(3)));
      try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(16).seed(4))) {
        t.epoch(train, null);
        results[run] = g.params().get(0).values.clone();
      }
    }
    assertArrayEquals(results[0], results[1]);
  }

  @Test
  void badInputIsRefusedWithAMessage() {
    // a quantized model (int8 weights): refused, naming the op and the way out
    EditableModel m = smallCnn(1);
    m.subgraphs.get(0).tensors.stream().filter(t -> t.name.equals("conv_0/weights")).forEach(t -> {
      t.type = io.kompakt.engine.model.TensorType.INT8;
      t.buffer = m.addBuffer(java.nio.ByteBuffer.allocate((int) t.elementCount()));
      t.quantization = io.kompakt.engine.model.Quantization.perTensor(0.1f, 0);
    });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainGraph.of(GradCheck.load(m)));
    assertTrue(e.getMessage().contains("CONV_2D") && e.getMessage().contains("dequantize"), e.getMessage());
    // an op without a backward pass
    GraphBuilder b = new GraphBuilder("resize", 1);
    Tensor x = b.input("x", 1, 4, 4, 1);
    x = b.conv2d(x, 2, 3, 1, true, "NONE");
    b.output(b.unary("FLOOR", x));
    e = assertThrows(IllegalArgumentException.class, () -> TrainGraph.of(GradCheck.load(b.model())));
    assertTrue(e.getMessage().contains("FLOOR") && e.getMessage().contains("backward"), e.getMessage());
    // data of the wrong size
    TrainGraph g = TrainGraph.of(GradCheck.load(smallCnn(1)));
    try (Trainer t = new Trainer(g, new Trainer.Options().threads(1))) {
      e = assertThrows(IllegalArgumentException.class, () -> t.epoch(Dataset.of(new float[][] {{1, 2}}, new int[] {0}), null));
      assertTrue(e.getMessage().contains("144"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> t.epoch(Dataset.of(new float[][] {new float[144]}, new int[] {9}), null));
      assertTrue(e.getMessage().contains("label 9"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Optimizer.parse("rmsprop", 0));
  }
}
