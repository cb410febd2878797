package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.data.Idx;
import io.kompakt.testdata.Networks;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The project's Fashion-MNIST CNN learns from real data: one epoch on 5,000 images lifts test accuracy (1,000 images)
 * from chance to at least 75%. Skipped where Fashion-MNIST is not installed. The full run (>= 90%) is in
 * docs/training.md; it takes minutes, too long for the test suite.
 */
class FashionMnistTest {
  @Test
  void oneShortEpochLearns() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Idx.DEBIAN_FASHION_MNIST),
        "Fashion-MNIST not found at " + Idx.DEBIAN_FASHION_MNIST + " (apt-get install dataset-fashion-mnist): test skipped");
    Dataset train = Dataset.of(Idx.load(Idx.DEBIAN_FASHION_MNIST, "train"), 127.5, 127.5, 1).head(5000);
    Dataset test = Dataset.of(Idx.load(Idx.DEBIAN_FASHION_MNIST, "t10k"), 127.5, 127.5, 1).head(1000);
    TrainGraph g = TrainGraph.of(GradCheck.load(Networks.fashionMnistCnn(1)));
    try (Trainer t = new Trainer(g, new Trainer.Options().threads(2).batch(64).lr(2e-3))) {
      double before = t.evaluate(test).accuracy();
      t.epoch(train, null);
      double after = t.evaluate(test).accuracy();
      assertTrue(before < 0.3 && after >= 0.75, "test accuracy " + before + " -> " + after);
    }
  }
}
