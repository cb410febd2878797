package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.data.Idx;
import io.kompakt.engine.model.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kompakt train on a tiny generated IDX data set: outputs, checkpoint, curves, JSON, pruning, bad input. */
class TrainCommandTest {
  /** 28x28 images of 10 classes: a bright horizontal band whose row says the class. */
  static void writeIdx(Path dir, String split, int n, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] images = new byte[n * 784], labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(10);
      labels[i] = (byte) c;
      for (int k = 0; k < 784; k++) {
        boolean on = k / 28 >= c * 2 + 3 && k / 28 < c * 2 + 6;
        images[i * 784 + k] = (byte) Math.min(255, (on ? 180 : 20) + r.nextInt(60));
      }
    }
    Files.write(dir.resolve(split + "-images-idx3-ubyte"), Idx.encode(new int[] {n, 28, 28}, images));
    Files.write(dir.resolve(split + "-labels-idx1-ubyte"), Idx.encode(new int[] {n}, labels));
  }

  @Test
  void trainsWritesCheckpointCurvesAndJson(@TempDir Path dir) throws Exception {
    writeIdx(dir, "train", 300, 1);
    writeIdx(dir, "t10k", 100, 2);
    Path out = dir.resolve("trained.tflite"), png = dir.resolve("curves.png");
    KompaktCliTest.Run r = KompaktCliTest.run("train", "--network", "fashion_mnist_cnn", "--data", dir.toString(), "--epochs", "2",
        "--batch", "16", "--threads", "2", "--prune", "0.5", "-o", out.toString(), "--curves", png.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"test_accuracy\""), r.out());
    assertTrue(r.out().contains("\"sparsity\" : 0.5"), r.out());
    assertTrue(Files.size(png) > 1000);
    Model m = Model.load(out);
    assertEquals("CONV_2D", m.mainSubgraph().operators().get(0).name());
    // fine-tune the written model with SGD (the finetune alias), text output
    Path again = dir.resolve("again.tflite");
    r = KompaktCliTest.run("finetune", out.toString(), "--data", dir.toString(), "--epochs", "1", "--optimizer", "sgd", "--lr", "0.01",
        "--freeze", "conv", "-o", again.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("test accuracy"), r.out());
    assertTrue(r.out().contains("sgd(momentum 0.9)"), r.out());
    // quantization-aware fine-tuning writes the float model and says how to quantize it
    Path qat = dir.resolve("qat.tflite");
    r = KompaktCliTest.run("finetune", out.toString(), "--data", dir.toString(), "--epochs", "1", "--qat", "-o", qat.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("quantization-aware") && r.out().contains("kompakt quantize " + qat), r.out());
    assertEquals(io.kompakt.engine.model.TensorType.FLOAT32, Model.load(qat).mainSubgraph().tensor(
        Model.load(qat).mainSubgraph().operators().get(0).inputs()[1]).type());
    // distillation from the first model as teacher
    Path kd = dir.resolve("kd.tflite");
    r = KompaktCliTest.run("train", "--network", "fashion_mnist_cnn", "--seed", "5", "--data", dir.toString(), "--epochs", "1",
        "--teacher", out.toString(), "--temperature", "3", "--alpha", "0.3", "-o", kd.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("distilled from " + out + " (T 3.0, alpha 0.3)"), r.out());
    assertTrue(Files.size(kd) > 1000);
    r = KompaktCliTest.run("train", "--network", "fashion_mnist_cnn", "--data", dir.toString(), "--teacher", dir.resolve("absent.tflite").toString(),
        "-o", dir.resolve("never.tflite").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("absent.tflite"), r.err());
    assertTrue(!Files.exists(dir.resolve("never.tflite")));
  }

  @Test
  void badInputExitsWith2AndWritesNothing(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.tflite");
    KompaktCliTest.Run r = KompaktCliTest.run("train", "--network", "fashion_mnist_cnn", "--data", dir.resolve("none").toString(), "-o", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("none"), r.err());
    writeIdx(dir, "train", 20, 1);
    writeIdx(dir, "t10k", 10, 2);
    r = KompaktCliTest.run("train", "--network", "fashion_mnist_cnn", "--data", dir.toString(), "--optimizer", "rmsprop", "-o", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("adam or sgd"), r.err());
    Path notModel = dir.resolve("x.tflite");
    Files.write(notModel, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    r = KompaktCliTest.run("train", notModel.toString(), "--data", dir.toString(), "-o", out.toString());
    assertEquals(2, r.code());
    r = KompaktCliTest.run("train", "--network", "mobilenet_v1_0.25_96", "--data", dir.toString(), "-o", out.toString());
    assertEquals(2, r.code()); // 96x96x3 input, 28x28 images
    assertTrue(r.err().contains("2352") || r.err().contains("input"), r.err());
    assertFalse(Files.exists(out));
  }
}
