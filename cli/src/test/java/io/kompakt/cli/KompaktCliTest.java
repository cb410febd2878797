package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The kompakt command as a user meets it: output, exit codes, error messages, no partial files. */
class KompaktCliTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = Kompakt.commandLine();
    StringWriter out = new StringWriter(), err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void generateThenInspectDescribesTheModel(@TempDir Path dir) {
    Path f = dir.resolve("cnn.tflite");
    Run g = run("generate", "fashion_mnist_cnn", "-o", f.toString());
    assertEquals(0, g.code(), g.err());
    Run r = run("inspect", "--tensors", f.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("CONV_2D x2"), r.out());
    assertTrue(r.out().contains("[1, 28, 28, 1]"), r.out());
    assertTrue(r.out().contains("Conv2DOptions{padding=SAME"), r.out());
    // 3x3x1x16+16 + 3x3x16x32+32 + 1568x64+64 + 64x10+10 weights and biases, plus two reshape-shape ints
    assertTrue(r.out().contains("Parameters " + String.format("%,d", 160 + 4640 + 100416 + 650 + 2)), r.out());
  }

  @Test
  void jsonIsOneObjectWithSnakeCaseNames(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    Run r = run("inspect", "--json", f.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertEquals(Files.size(f), n.get("file_bytes").asLong());
    assertEquals(10, n.get("subgraphs").get(0).get("outputs").get(0).get("shape").get(1).asInt());
    assertEquals(2, n.get("op_set").get("MAX_POOL_2D").asInt());
  }

  @Test
  void missingFileIsExitTwoWithAClearMessage() {
    Run r = run("inspect", "/no/such/model.tflite");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no such file") && r.err().contains("/no/such/model.tflite"), r.err());
  }

  @Test
  void notAModelIsExitTwoNamingTheProblem(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("notes.tflite");
    Files.writeString(f, "this is not a flatbuffer at all");
    Run r = run("inspect", f.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("identifier"), r.err());
    assertFalse(r.err().contains("Exception"), "no stack trace for a bad file: " + r.err());
  }

  @Test
  void truncatedModelIsExitTwo(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    byte[] b = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(b, b.length / 3));
    Run r = run("inspect", f.toString());
    assertEquals(2, r.code(), r.out());
    assertTrue(r.err().contains("malformed model") || r.err().contains("beyond"), r.err());
  }

  @Test
  void generateIntoMissingFolderFailsAndWritesNothing(@TempDir Path dir) throws Exception {
    Run r = run("generate", "fashion_mnist_cnn", "-o", dir.resolve("no/such/dir/m.tflite").toString());
    assertEquals(2, r.code());
    try (Stream<Path> s = Files.walk(dir)) {
      assertEquals(1, s.count(), "nothing written");
    }
  }

  @Test
  void unknownNetworkAndUnknownOptionAreUsageErrors(@TempDir Path dir) {
    Run r = run("generate", "resnet152", "-o", dir.resolve("x.tflite").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("fashion_mnist_cnn"), r.err());
    assertEquals(2, run("inspect", "--frobnicate", "x").code());
  }

  @Test
  void helpListsTheCommands() {
    Run r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("inspect") && r.out().contains("generate") && r.out().contains("demo"), r.out());
  }

  @Test
  void benchPrintsTheAnchorsJsonFieldsAndWritesCsvAndPlot(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    Run r = run("bench", f.toString(), "--runs", "4", "--warmup", "1", "--json", "--csv", dir.resolve("runs.csv").toString(),
        "--plot", dir.resolve("plot.png").toString());
    assertEquals(0, r.code(), r.err());
    JsonNode n = new ObjectMapper().readTree(r.out());
    for (String k : new String[] {"model", "threads", "kernels", "runs", "warmup", "init_ms", "first_ms", "min_ms", "median_ms",
        "mean_ms", "p90_ms", "max_ms", "std_ms", "arena_bytes", "peak_rss_bytes", "jdk", "os_arch"}) {
      assertTrue(n.has(k), "bench --json has " + k + ": " + r.out());
    }
    assertEquals(4, n.get("runs_ms").size());
    assertTrue(n.get("min_ms").asDouble() <= n.get("median_ms").asDouble() && n.get("median_ms").asDouble() <= n.get("max_ms").asDouble());
    assertEquals(5, Files.readAllLines(dir.resolve("runs.csv")).size(), "header + one row per run");
    assertTrue(javax.imageio.ImageIO.read(dir.resolve("plot.png").toFile()).getWidth() > 0);
    assertTrue(n.get("by_op_type").size() >= 5, "profile by op type");
  }

  @Test
  void benchShowsMicrosecondModelsInMicroseconds(@TempDir Path dir) throws Exception {
    // a model of one small dense layer runs in well under 0.1 ms: its text report must not read 0.000 ms
    io.kompakt.testdata.GraphBuilder b = new io.kompakt.testdata.GraphBuilder("tiny", 1);
    b.output(b.dense(b.input("x", 1, 4), 3, "NONE"));
    Path f = dir.resolve("tiny.tflite");
    Files.write(f, io.kompakt.engine.edit.ModelWriter.toBytes(b.model()));
    Run r = run("bench", f.toString(), "--runs", "200", "--warmup", "200", "--warmup-time", "0");
    assertEquals(0, r.code(), r.err());
    String latency = r.out().lines().filter(l -> l.startsWith("latency")).findFirst().orElseThrow();
    assertTrue(latency.endsWith(" us"), r.out());
    assertTrue(r.out().contains("by op type (us per run, share)"), r.out());
    double median = Double.parseDouble(latency.replaceAll(".*median (\\S+) .*", "$1"));
    assertTrue(median > 0, latency);
  }

  @Test
  void runPrintsRankedClassesAndRefusesAWrongInputCount(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("m.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    byte[] input = new byte[28 * 28 * 4];
    Files.write(dir.resolve("x.bin"), input);
    Run r = run("run", f.toString(), dir.resolve("x.bin").toString(), "--top", "3");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("rank  index  label  score"), r.out());
    assertEquals(4, r.out().trim().split("\n").length, r.out());
    Run two = run("run", f.toString(), dir.resolve("x.bin").toString(), dir.resolve("x.bin").toString());
    assertEquals(2, two.code());
    assertTrue(two.err().contains("1 inputs"), two.err());
    Files.write(dir.resolve("short.bin"), new byte[10]);
    Run bad = run("run", f.toString(), dir.resolve("short.bin").toString());
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("needs 3136"), bad.err());
  }

  @Test
  void pruneFiltersShrinksTheModelAndRefusesABadFactor(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("fm.tflite"), o = dir.resolve("fm-f.tflite"), bad = dir.resolve("bad.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    Run r = run("prune", f.toString(), "-o", o.toString(), "--filters", "0.5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("16 ->     8") && r.out().contains("skipped: channels of 'dense_7' reach SOFTMAX"), r.out());
    assertTrue(java.nio.file.Files.size(o) < java.nio.file.Files.size(f) / 3);
    Run floor = run("prune", f.toString(), "-o", o.toString(), "--floor", "0.9", "--floor-step", "0.25", "--random", "4");
    assertEquals(0, floor.code(), floor.err());
    assertTrue(floor.out().contains("kept share"), floor.out());
    Run b = run("prune", f.toString(), "-o", bad.toString(), "--filters", "1.5");
    assertEquals(2, b.code());
    assertTrue(b.err().contains("--filters must be in [0, 1)"), b.err());
    assertFalse(java.nio.file.Files.exists(bad));
  }

  @Test
  void sensitivityPrintsATableAndWritesCsvPlotAndModel(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("fm.tflite"), csv = dir.resolve("s.csv"), png = dir.resolve("s.png"), o = dir.resolve("s.tflite");
    assertEquals(0, run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    Run r = run("sensitivity", f.toString(), "--steps", "0,0.5", "--random", "3", "--csv", csv.toString(), "--plot", png.toString(),
        "--max-drop", "0.5", "-o", o.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("conv_0/weights") && r.out().contains("top1_agree"), r.out());
    assertEquals(1 + 4 * 2, java.nio.file.Files.readAllLines(csv).size());
    assertTrue(java.nio.file.Files.size(png) > 1000 && java.nio.file.Files.size(o) > 0);
    Run j = run("sensitivity", f.toString(), "--steps", "0.5", "--random", "2", "--json");
    assertEquals(0, j.code(), j.err());
    assertTrue(new com.fasterxml.jackson.databind.ObjectMapper().readTree(j.out()).get("layers").size() == 4, j.out());
    Run bad = run("sensitivity", f.toString(), "--steps", "2");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--steps"), bad.err());
    Run noDrop = run("sensitivity", f.toString(), "-o", dir.resolve("x.tflite").toString());
    assertEquals(2, noDrop.code());
  }
}
