package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The distillation loss's gradient, and a student that learns from a teacher without labels. */
class DistillationTest {
  @Property(tries = 200)
  void gradientMatchesFiniteDifferences(@ForAll @IntRange(min = 2, max = 8) int n, @ForAll @DoubleRange(min = 1, max = 8) double temperature,
                                        @ForAll @DoubleRange(min = 0, max = 1) double alpha, @ForAll long seed) {
    Random r = new Random(seed);
    float[] z = new float[n], t = new float[n], p = new float[n], s = new float[n], d = new float[n], scratch = new float[n];
    for (int i = 0; i < n; i++) {
      z[i] = (float) (2 * r.nextGaussian());
      t[i] = (float) (2 * r.nextGaussian());
    }
    int label = r.nextInt(n);
    Distillation.loss(z, label, t, temperature, alpha, p, s, d);
    for (int i = 0; i < n; i++) {
      double h = 1e-2, keep = z[i];
      z[i] = (float) (keep + h);
      double up = Distillation.loss(z, label, t, temperature, alpha, p, s, scratch);
      z[i] = (float) (keep - h);
      double down = Distillation.loss(z, label, t, temperature, alpha, p, s, scratch);
      z[i] = (float) keep;
      double numeric = (up - down) / (2 * h);
      assertEquals(numeric, d[i], 2e-3 * (1 + Math.abs(numeric)), "d/dz" + i);
    }
  }

  @Test
  void aStudentLearnsFromTheTeacherAlone() {
    Dataset train = TrainerTest.quadrants(800, 1), test = TrainerTest.quadrants(200, 2);
    TrainGraph teacherGraph = TrainGraph.of(GradCheck.load(TrainerTest.smallCnn(7)));
    float[][] teacher = new float[train.size()][];
    try (Trainer t = new Trainer(teacherGraph, new Trainer.Options().threads(2).batch(32).lr(0.003))) {
      for (int e = 0; e < 4; e++) t.epoch(train, null);
      assertTrue(t.evaluate(test).accuracy() >= 0.95);
      float[] x = new float[train.sampleSize()];
      for (int i = 0; i < train.size(); i++) {
        train.sample(i, x);
        teacher[i] = Distillation.logitsOfProbabilities(t.predict(x));
      }
    }
    // labels hidden: alpha 0, the student sees only the teacher's softened outputs
    TrainGraph student = TrainGraph.of(GradCheck.load(TrainerTest.smallCnn(11)));
    try (Trainer t = new Trainer(student, new Trainer.Options().threads(2).batch(32).lr(0.003))) {
      double before = t.evaluate(test).accuracy();
      t.setDistillation(new Distillation(teacher, 4, 0));
      for (int e = 0; e < 4; e++) t.epoch(train, null);
      double after = t.evaluate(test).accuracy();
      assertTrue(after >= 0.9, "student accuracy " + after + " (before " + before + ")");
      t.setDistillation(new Distillation(new float[3][4], 4, 0.5));
      assertThrows(IllegalArgumentException.class, () -> t.epoch(train, null), "teacher rows must match the data");
    }
    assertThrows(IllegalArgumentException.class, () -> new Distillation(teacher, 0, 0.5));
    assertThrows(IllegalArgumentException.class, () -> new Distillation(teacher, 2, 1.5));
  }
}
