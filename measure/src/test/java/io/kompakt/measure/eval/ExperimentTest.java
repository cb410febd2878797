package io.kompakt.measure.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.kompakt.data.Dataset;
import io.kompakt.data.Idx;
import io.kompakt.data.Preprocessing;
import io.kompakt.data.RgbImage;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.testdata.GraphBuilder;
import io.kompakt.testdata.Networks;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentTest {
  @TempDir Path dir;

  static void solid(Path file, int rgb) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) img.setRGB(x, y, rgb);
    ImageIO.write(img, "png", file.toFile());
  }

  /** A model that predicts the brightest channel of a 1x1 RGB image. */
  Path brightestChannelModel() throws IOException {
    GraphBuilder g = new GraphBuilder("brightest channel", 1);
    var x = g.input("image", 1, 1, 1, 3);
    g.output(g.softmax(g.reshape(x, 1, 3)));
    Path f = dir.resolve("brightest.tflite");
    Files.write(f, ModelWriter.toBytes(g.model()));
    return f;
  }

  @Test
  void evaluatorCountsWhatTheModelPredicts() throws IOException {
    int red = 0xc80a0a, green = 0x0ac80a, blue = 0x0a0ac8;
    solid(dir.resolve("set/c0/a.png"), red);
    solid(dir.resolve("set/c0/b.png"), red);
    solid(dir.resolve("set/c0/c.png"), green);
    solid(dir.resolve("set/c1/a.png"), green);
    solid(dir.resolve("set/c1/b.png"), green);
    solid(dir.resolve("set/c2/a.png"), blue);
    solid(dir.resolve("set/c2/b.png"), red);
    Model m = Model.load(brightestChannelModel());
    Dataset d = Dataset.open(dir.resolve("set"), "t10k", 0);
    Preprocessing pre = Preprocessing.forModel(m, 1, new float[] {0}, new float[] {1}, false);
    PreparedImages images = new PreparedImages(d, pre, 1, 1);
    int[] seen = {0};
    Evaluator.Predictions p = Evaluator.predict(m, images, Evaluator.Options.defaults(), (done, total) -> seen[0] = done);
    assertEquals(7, seen[0]);
    assertEquals(3, p.classes());
    Results.Evaluation e = Evaluation.summarize("brightest", images, p, p, "itself");
    assertEquals(5.0 / 7, e.top1(), 1e-12);
    assertEquals(1.0, e.top5());
    assertEquals(1.0, e.agreement());
    assertArrayEquals(new int[] {2, 1, 0}, e.confusion()[0]);
    assertArrayEquals(new int[] {0, 2, 0}, e.confusion()[1]);
    assertArrayEquals(new int[] {1, 0, 1}, e.confusion()[2]);
    assertEquals(2.0 / 3, e.perClass().get(0).precision(), 1e-12);
    assertEquals(0.5, e.perClass().get(2).recall(), 1e-12);
    assertEquals(7, e.imageLatency().runs());
    // BGR swaps the prediction of red and blue images
    PreparedImages bgr = new PreparedImages(d, pre.withBgr(true), 1, 1);
    Evaluator.Predictions q = Evaluator.predict(m, bgr, Evaluator.Options.defaults(), null);
    assertEquals(2, q.top()[0][0]);
    assertEquals(1, q.top()[3][0]);
    assertEquals(3.0 / 7, ClassificationMetrics.agreement(p.top(), q.top()), 1e-12);
    // not an image classifier
    GraphBuilder g = new GraphBuilder("flat", 1);
    g.output(g.softmax(g.input("x", 1, 3)));
    Model flat = Model.from(ModelWriter.toBytes(g.model()));
    assertThrows(IllegalArgumentException.class, () -> Evaluator.imageInputSize(flat));
  }

  Path fashionSet(int n) throws IOException {
    Path f = dir.resolve("fashion");
    Files.createDirectories(f);
    SplittableRandom r = new SplittableRandom(5);
    byte[] px = new byte[n * 28 * 28], labels = new byte[n];
    for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
    for (int i = 0; i < n; i++) labels[i] = (byte) (i % 10);
    Files.write(f.resolve("t10k-images-idx3-ubyte"), Idx.encode(new int[] {n, 28, 28}, px));
    Files.write(f.resolve("t10k-labels-idx1-ubyte"), Idx.encode(new int[] {n}, labels));
    return f;
  }

  @Test
  void gridRunsEndToEndAndTheReportHasEveryVariant() throws Exception {
    Path model = dir.resolve("cnn.tflite");
    Files.write(model, ModelWriter.toBytes(Networks.fashionMnistCnn(3)));
    fashionSet(40);
    Path planFile = dir.resolve("plan.json");
    Files.writeString(planFile, """
        {"name": "tiny grid", "base": "cnn.tflite", "data": "fashion", "preprocessing": {"mean": 0, "std": 255},
         "latency": {"runs": 2, "warmup": 1, "warmup_seconds": 0, "cooldown_ms": 1},
         "grid": {"sparsity": [0.6], "layers": ["all", "dense"], "quantize": ["none", "dynamic", "int8"]},
         "variants": [{"name": "float16", "steps": [{"step": "float16", "min_elements": 16}]}]}
        """);
    Plan plan = Plan.read(planFile);
    List<String> names = plan.variants().stream().map(Plan.Variant::name).collect(Collectors.toList());
    assertEquals(List.of("base", "dynamic", "int8", "p60-all", "p60-all+dynamic", "p60-all+int8", "p60-dense", "p60-dense+dynamic",
        "p60-dense+int8", "float16"), names);
    Path out = dir.resolve("out");
    Results.Experiment e = ExperimentRunner.run(plan, out, "here", null);
    Map<String, Results.Variant> v = e.variants().stream().collect(Collectors.toMap(Results.Variant::name, x -> x));
    Results.Variant base = v.get("base");
    for (String n : names) assertEquals("ok", v.get(n).status(), n + ": " + v.get(n).message());
    assertTrue(v.get("int8").notes().stream().anyMatch(s -> s.contains("full-integer int8") && s.contains("the first 40 images")),
        v.get("int8").notes().toString());
    assertTrue(v.get("int8").rawBytes() < base.rawBytes() / 3, "int8 weights");
    assertTrue(v.get("p60-all+int8").notes().toString().contains("full-integer int8"), "pruned, then quantized");
    assertEquals(1.0, v.get("base").agreement());
    assertEquals(expectedTop1(model, Dataset.open(dir.resolve("fashion"), "t10k", 0)), base.top1(), 1e-12);
    assertEquals(40, base.perClass().stream().mapToInt(Results.ClassResult::support).sum());
    assertEquals(10, base.perClass().size());
    assertEquals(Files.size(model), base.rawBytes());
    assertTrue(v.get("p60-all").rawBytes() < 0.75 * base.rawBytes(), "sparse storage shrinks the file");
    assertTrue(v.get("dynamic").rawBytes() < base.rawBytes() / 3);
    assertTrue(v.get("float16").rawBytes() < 0.6 * base.rawBytes());
    for (Results.Variant x : e.variants()) {
      if (!x.ok()) continue;
      assertTrue(x.gzipBytes() > 0 && x.gzipBytes() < x.rawBytes() + 100, x.name());
      assertEquals(2, x.benchLatency().runs());
      assertEquals(40, x.imageLatencyMs().size());
      assertTrue(x.modelMemoryBytes() >= x.rawBytes());
      assertTrue(Files.isRegularFile(Path.of(x.file())));
      assertNotNull(x.agreement());
    }

    ExperimentReport.Written w = ExperimentReport.write(e, List.of(), out);
    assertEquals(1 + names.size(), Files.readAllLines(w.variantsCsv()).size());
    assertEquals(1 + names.size() * 10, Files.readAllLines(w.classesCsv()).size());
    assertEquals(1 + names.size() * 40, Files.readAllLines(w.latencyCsv()).size());
    String html = Files.readString(w.html());
    for (String n : names) assertTrue(html.contains(">" + n + "<"), n);
    assertTrue(html.contains("data:image/png;base64,"));
    for (Path p : w.plots()) assertTrue(Files.size(p) > 1000, p.toString());
    assertTrue(Files.isRegularFile(out.resolve("accuracy_vs_size.svg")));
    try (Stream<Path> s = Files.walk(out)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
    }

    // results read back (as from a Pi 4) and merged into one report
    Results.Experiment again = Results.readExperiment(w.json());
    assertEquals(e.variants().size(), again.variants().size());
    assertEquals(base.top1(), again.variants().get(0).top1());
    Results.Experiment pi = new Results.Experiment(again.name(), again.plan(),
        new Results.Source("pi4", "pi", "aarch64", "jdk", 4, "scalar", "then"), again.baseModel(), again.dataset(), again.images(),
        again.labelled(), again.classes(), again.preprocessing(), again.reference(), again.latencyConfig(), again.seconds(),
        again.variants().stream().map(x -> x.withSource("pi4")).collect(Collectors.toList()));
    ExperimentReport.Written merged = ExperimentReport.write(e, List.of(pi), dir.resolve("merged"));
    String mh = Files.readString(merged.html());
    assertTrue(mh.contains(">pi4<") && mh.contains(">here<"), "both sources in the table");
    assertEquals(1 + 2 * names.size(), Files.readAllLines(merged.variantsCsv()).size());
  }

  /** Top-1 by a plain loop: fill, invoke, arg-max. */
  static double expectedTop1(Path model, Dataset d) throws IOException {
    int correct = 0;
    try (Interpreter it = new Interpreter(Model.load(model))) {
      RuntimeTensor in = it.getInputTensor(0), out = it.getOutputTensor(0);
      for (int i = 0; i < d.size(); i++) {
        RgbImage img = d.image(i);
        for (int p = 0; p < 28 * 28; p++) in.f32[in.offset + p] = img.at(p % 28, p / 28, 0) / 255f;
        it.invoke();
        int arg = 0;
        for (int c = 1; c < out.size(); c++) if (out.f32[out.offset + c] > out.f32[out.offset + arg]) arg = c;
        if (arg == d.label(i)) correct++;
      }
    }
    return (double) correct / d.size();
  }

  @Test
  void badPlansNameWhatIsWrong() throws IOException {
    String ok = "\"base\": \"m.tflite\", \"data\": \"d\"";
    assertPlanError("{" + ok + ", \"variantz\": []}", "unknown key 'variantz'");
    assertPlanError("{" + ok + ", \"grid\": {\"sparsity\": [1.5]}}", "not in [0, 1]");
    assertPlanError("{" + ok + ", \"grid\": {\"sparsity\": [0.5], \"layers\": [\"head\"]}}", "no layer selection 'head'");
    assertPlanError("{" + ok + ", \"variants\": [{\"name\": \"base\"}]}", "two variants are named 'base'");
    assertPlanError("{" + ok + ", \"variants\": [{\"name\": \"x\", \"steps\": [\"shrink\"]}]}", "unknown step 'shrink'");
    assertPlanError("{\"data\": \"d\"}", "'base' is missing");
    assertPlanError("{" + ok + ", \"limit\": \"all\"}", "limit must be an integer");
    Path bad = dir.resolve("broken.json");
    Files.writeString(bad, "{\"base\": ");
    IOException e = assertThrows(IOException.class, () -> Plan.read(bad));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    // a misspelt step option is an error when the variant is made, not silently ignored
    var m = io.kompakt.engine.edit.EditableModel.from(Model.from(ModelWriter.toBytes(Networks.fashionMnistCnn(1))));
    IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> VariantSteps.apply("prune", m, Map.of("sparsty", 0.5)));
    assertTrue(s.getMessage().contains("no option 'sparsty'"), s.getMessage());
    IllegalArgumentException badIo = assertThrows(IllegalArgumentException.class, () -> VariantSteps.apply("int8", m, Map.of("io", "int4")));
    assertTrue(badIo.getMessage().contains("io is float, int8 or uint8"), badIo.getMessage());
    // without images, int8 calibrates on random inputs and says so; every conv/dense weight becomes int8
    String what = VariantSteps.apply("int8", m, Map.of("samples", 3));
    assertTrue(what.contains("3 random inputs"), what);
    for (var op : m.subgraphs.get(0).operators) {
      String type = op.opCode.name();
      if (type.contains("CONV_2D") || type.contains("FULLY_CONNECTED")) {
        assertEquals(io.kompakt.engine.model.TensorType.INT8, op.inputs.get(1).type, type);
      }
    }
  }

  void assertPlanError(String json, String expected) throws IOException {
    Path f = dir.resolve("plan.json");
    Files.writeString(f, json);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Plan.read(f));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
