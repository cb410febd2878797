package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Quantization-aware training: the fake quantization's grids, and training with it. */
class FakeQuantTest {
  @Property(tries = 300)
  void weightsLandOnTheirChannelsGrid(@ForAll @IntRange(min = 1, max = 5) int channels, @ForAll @IntRange(min = 1, max = 9) int per,
                                      @ForAll boolean innermost, @ForAll long seed) {
    Random r = new Random(seed);
    float[] w = new float[channels * per], q = new float[w.length], again = new float[w.length], max = new float[channels];
    for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 3));
    if (r.nextInt(4) == 0) for (int i = 0; i < per; i++) w[innermost ? i * channels : i] = 0f; // a channel of zeros
    FakeQuant.weightsPerChannel(w, q, max, innermost);
    for (int i = 0; i < w.length; i++) {
      int c = innermost ? i % channels : i / per;
      float s = max[c] / 127f;
      if (s == 0f) {
        assertEquals(0f, q[i]);
        continue;
      }
      double level = q[i] / s;
      assertEquals(Math.rint(level), level, 1e-3, "on the grid");
      assertTrue(Math.abs(q[i] - w[i]) <= s * 0.5001, "within half a step");
    }
    FakeQuant.weightsPerChannel(q, again, max, innermost);
    for (int i = 0; i < q.length; i++) assertEquals(q[i], again[i], Math.abs(q[i]) * 1e-6, "idempotent");
  }

  @Property(tries = 300)
  void zeroIsExactAndTheRangeIsCovered(@ForAll @DoubleRange(min = -50, max = 50) double a, @ForAll @DoubleRange(min = -50, max = 50) double b) {
    double lo = Math.min(a, b), hi = Math.max(a, b);
    double[] p = FakeQuant.activationParams(lo, hi);
    double scale = p[0];
    int zp = (int) p[1];
    assertTrue(zp >= -128 && zp <= 127);
    assertTrue((-128 - zp) * scale <= Math.min(lo, 0) + scale && (127 - zp) * scale >= Math.max(hi, 0) - scale, "range covered");
  }

  @Test
  void quantizationAwareTrainingLearnsAndKeepsFloatMasters() {
    Dataset train = TrainerTest.quadrants(800, 1), test = TrainerTest.quadrants(200, 2);
    TrainGraph g = TrainGraph.of(GradCheck.load(TrainerTest.smallCnn(7)));
    try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(32).lr(0.003))) {
      t.setQuantizationAware(true);
      for (int e = 0; e < 4; e++) t.epoch(train, null);
      assertTrue(t.evaluate(test).accuracy() >= 0.95, "accuracy " + t.evaluate(test).accuracy());
      FakeQuant fq = t.quantizationAware();
      assertTrue(fq.ready());
      // every op output has a moving-average range containing its values' typical span
      for (Node n : g.nodes()) {
        if (n.op.equals("SOFTMAX")) continue;
        assertNotNull(fq.range(n.output), n.op + " output has a range");
      }
      // the weights the optimizer kept are float masters, not the int8 grid the forward passes saw
      Param conv = g.params().get(0);
      float[] q = new float[conv.values.length], max = new float[FakeQuant.channels(conv)];
      FakeQuant.weightsPerChannel(conv.values, q, max, false);
      boolean off = false;
      for (int i = 0; i < q.length; i++) off |= q[i] != conv.values[i];
      assertTrue(off, "masters differ from their quantized values");
      // a forward pass with the fake quantization gives activations on their grids
      Workspace ws = g.newWorkspace();
      float[] sample = new float[144];
      train.sample(0, sample);
      g.forward(ws, sample, fq);
      Node first = g.nodes().get(0);
      double[] range = fq.range(first.output), p = FakeQuant.activationParams(range[0], range[1]);
      for (float v : ws.act[first.output]) {
        double level = v / p[0] + p[1];
        assertEquals(Math.rint(level), level, 1e-2, "activation on the grid");
      }
    }
  }
}
