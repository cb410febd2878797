package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.data.Idx;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import java.io.InputStream;
import java.nio.file.Files;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The committed model trained by Kompakt (testdata's fashion_mnist_cnn_trained.tflite, the demo's future default),
 * run by the Interpreter on all 10,000 Fashion-MNIST test images: at least 90% correct. Skipped without Fashion-MNIST.
 */
class TrainedModelTest {
  @Test
  void committedTrainedModelReaches90PercentInTheInterpreter() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Idx.DEBIAN_FASHION_MNIST),
        "Fashion-MNIST not found at " + Idx.DEBIAN_FASHION_MNIST + " (apt-get install dataset-fashion-mnist): test skipped");
    byte[] bytes;
    try (InputStream in = io.kompakt.testdata.Networks.class.getResourceAsStream("fashion_mnist_cnn_trained.tflite")) {
      assertNotNull(in, "resource fashion_mnist_cnn_trained.tflite");
      bytes = in.readAllBytes();
    }
    Dataset test = Dataset.of(Idx.load(Idx.DEBIAN_FASHION_MNIST, "t10k"), 127.5, 127.5, 1);
    int right = 0;
    float[] x = new float[784];
    try (Interpreter it = new Interpreter(Model.from(bytes))) {
      float[][][][] in = new float[1][28][28][1];
      float[][] out = new float[1][10];
      for (int i = 0; i < test.size(); i++) {
        test.sample(i, x);
        for (int k = 0; k < 784; k++) in[0][k / 28][k % 28][0] = x[k];
        it.run(in, out);
        if (Trainer.argmax(out[0]) == test.label(i)) right++;
      }
    }
    double acc = (double) right / test.size();
    assertTrue(acc >= 0.90, "accuracy " + acc);
  }
}
