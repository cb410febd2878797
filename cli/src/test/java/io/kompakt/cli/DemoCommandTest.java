package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main job: the embedded trained model, described, run, quantized, pruned (and evaluated with data). */
class DemoCommandTest {
  @Test
  void runsOnAFreshMachineWithoutTheDataSet(@TempDir Path dir) throws Exception {
    KompaktCliTest.Run r = KompaktCliTest.run("demo", "--dir", dir.toString(), "--data", dir.resolve("absent").toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("$ kompakt quantize") && r.out().contains("--calib random"), r.out());
    assertTrue(r.out().contains("no Fashion-MNIST at"), r.out());
    long f = Files.size(dir.resolve("fashion_mnist_cnn.tflite")), q = Files.size(dir.resolve("fashion_mnist_cnn_int8.tflite"));
    assertTrue(q < f / 3, "int8 " + q + " vs float " + f);
    assertTrue(Files.size(dir.resolve("fashion_mnist_cnn_pruned50.tflite")) < f, "pruned, stored sparse");
    // the drawn trouser is recognised by the trained model: class 1 first
    assertTrue(r.out().matches("(?s).*\\n1\\s+1\\s+Trouser\\s.*"), r.out());
  }

  @Test
  void evaluatesWhereFashionMnistIsInstalled(@TempDir Path dir) {
    Path data = Path.of("/usr/share/datasets/fashion-mnist");
    Assumptions.assumeTrue(Files.isRegularFile(data.resolve("t10k-images-idx3-ubyte.gz")), "Fashion-MNIST not installed at " + data);
    KompaktCliTest.Run r = KompaktCliTest.run("demo", "--dir", dir.toString(), "--limit", "200");
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals(3, r.out().split("\\$ kompakt eval", -1).length - 1, r.out());
  }
}
