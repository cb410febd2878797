package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.data.Idx;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kompakt eval and kompakt experiment as a user meets them. */
class EvalCliTest {
  @TempDir Path dir;

  Path data(int n) throws Exception {
    Path f = dir.resolve("data");
    Files.createDirectories(f);
    byte[] px = new byte[n * 28 * 28], labels = new byte[n];
    for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 31);
    for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
    Files.write(f.resolve("t10k-images-idx3-ubyte"), Idx.encode(new int[] {n, 28, 28}, px));
    Files.write(f.resolve("t10k-labels-idx1-ubyte"), Idx.encode(new int[] {n}, labels));
    return f;
  }

  @Test
  void evalPrintsJsonAndWritesTheConfusionMatrix() throws Exception {
    Path m = dir.resolve("cnn.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", m.toString()).code());
    Path d = data(30);
    Path png = dir.resolve("confusion.png"), csv = dir.resolve("classes.csv");
    var r = KompaktCliTest.run("eval", m.toString(), d.toString(), "--mean", "0", "--std", "255", "--reference", m.toString(), "--json",
        "--confusion", png.toString(), "--csv", csv.toString(), "--limit", "20");
    assertEquals(0, r.code(), r.err());
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertEquals(20, n.get("images").asInt());
    assertEquals(1.0, n.get("agreement").asDouble());
    assertEquals(10, n.get("per_class").size());
    assertEquals(20, n.get("confusion").size() * 0 + sum(n.get("confusion")));
    assertEquals("user", n.get("preprocessing").get("normalization_source").asText());
    assertTrue(Files.size(png) > 1000);
    assertEquals(11, Files.readAllLines(csv).size());
    var text = KompaktCliTest.run("eval", m.toString(), d.toString(), "--limit", "10");
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("top-1") && text.out().contains("confusion matrix") && text.out().contains("Ankle boot") == false, text.out());
  }

  static int sum(JsonNode m) {
    int s = 0;
    for (JsonNode row : m) for (JsonNode v : row) s += v.asInt();
    return s;
  }

  @Test
  void badInputsAreExitTwoWithAMessage() throws Exception {
    Path m = dir.resolve("cnn.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", m.toString()).code());
    var r = KompaktCliTest.run("eval", m.toString(), dir.resolve("nowhere").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("nowhere"), r.err());
    Path plan = dir.resolve("plan.json");
    Files.writeString(plan, "{\"base\": \"cnn.tflite\", \"data\": \"data\", \"grid\": {\"sparsity\": [2]}}");
    var e = KompaktCliTest.run("experiment", plan.toString());
    assertEquals(2, e.code());
    assertTrue(e.err().contains("not in [0, 1]") && e.err().contains("plan.json"), e.err());
    assertFalse(Files.exists(dir.resolve("plan-results")), "nothing written for a bad plan");
    assertEquals(2, KompaktCliTest.run("experiment").code());
    var steps = KompaktCliTest.run("experiment", "--list-steps");
    assertTrue(steps.out().contains("prune") && steps.out().contains("int8"), steps.out());
  }

  @Test
  void experimentWritesTheReport() throws Exception {
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", dir.resolve("cnn.tflite").toString()).code());
    data(12);
    Path plan = dir.resolve("plan.json");
    Files.writeString(plan, "{\"base\": \"cnn.tflite\", \"data\": \"data\", \"variants\": [{\"name\": \"q\", \"steps\": [\"dynamic\"]}, {\"name\": \"i8\", \"steps\": [\"int8\"]}]}");
    var r = KompaktCliTest.run("experiment", plan.toString(), "--runs", "0", "--label", "ci");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(" i8 ") && !r.out().contains("unavailable") && r.out().contains("report.html"), r.out());
    Path out = dir.resolve("plan-results");
    assertTrue(Files.isRegularFile(out.resolve("report.html")));
    var again = KompaktCliTest.run("experiment", "--from", out.resolve("results.json").toString(), "--merge", out.resolve("results.json").toString(),
        "-o", dir.resolve("merged").toString());
    assertEquals(0, again.code(), again.err());
    assertEquals(1 + 6, Files.readAllLines(dir.resolve("merged/variants.csv")).size());
  }
}
