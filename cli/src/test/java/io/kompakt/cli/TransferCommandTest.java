package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.model.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kompakt transfer on a generated class-folder set: a new head, its labels, the held-out accuracy; bad input. */
class TransferCommandTest {
  @Test
  void newHeadForAClassFolderSet(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("cnn.tflite"), out = dir.resolve("colours.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", base.toString()).code());
    Path data = io.kompakt.testdata.ImageFolders.colours(dir.resolve("img"), 30, 3);
    KompaktCliTest.Run r = KompaktCliTest.run("transfer", base.toString(), data.toString(), "-o", out.toString(), "--epochs", "300", "--lr", "0.05",
        "--holdout", "0.2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("new head: 3 classes") && r.out().contains("18 test images"), r.out());
    assertTrue(r.out().matches("(?s).*test accuracy (100|[89]\\d)\\.\\d\\d%.*"), r.out());
    assertEquals(java.util.List.of("blue", "green", "red"), Files.readAllLines(dir.resolve("colours.labels.txt")));
    Model m = Model.load(out);
    assertEquals(3, m.mainSubgraph().tensor(m.mainSubgraph().outputs()[0]).elementCount());
    // the new model runs and labels an image with the labels file
    KompaktCliTest.Run run = KompaktCliTest.run("run", out.toString(), data.resolve("red/0.png").toString(), "--labels",
        dir.resolve("colours.labels.txt").toString(), "--top", "1");
    assertEquals(0, run.code(), run.err());
    assertTrue(run.out().contains("red"), run.out());
  }

  @Test
  void badInputExitsWith2AndWritesNothing(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("cnn.tflite"), out = dir.resolve("x.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", base.toString()).code());
    KompaktCliTest.Run r = KompaktCliTest.run("transfer", base.toString(), dir.resolve("nowhere").toString(), "-o", out.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nowhere"), r.err());
    r = KompaktCliTest.run("transfer", dir.resolve("absent.tflite").toString(), dir.toString(), "-o", out.toString());
    assertEquals(2, r.code());
    assertFalse(Files.exists(out));
  }
}
