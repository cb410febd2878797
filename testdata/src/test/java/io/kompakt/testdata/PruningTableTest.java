package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.Dequantizer;
import io.kompakt.compress.Pruner;
import io.kompakt.compress.SizeReport;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.sparse.SparseSupport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pruning "done-when" table: 30/60/90 % in three configurations (all conv + dense weights; standard CONV_2D only; a
 * regex subset), and all conv + dense weights in 8x1 blocks (what the Vector API sparse kernel exploits), stored sparse; real TFLite loads each file and its outputs are within float tolerance of Kompakt's run
 * of the same file (Kompakt's automatic kernels, so pruned 1x1 layers take the sparse kernels where chosen); raw, gzip
 * and sparse sizes; at 90 % in the all-layers configuration the sparse file is at least 4x smaller than the dense one.
 * The fast test does it for one small generated net at 90 %; the full table (MobileNet V2 from ../shared dequantized by
 * Kompakt, and the generated float architectures) runs with {@code -Dkompakt.slow=true}.
 */
class PruningTableTest {
  static final String SUBSET = "project|_[0-9]*[02468]/weights$";

  record Config(String name, Pruner.Options options) {}

  static List<Config> configs(double s) {
    return List.of(new Config("all conv+dense", new Pruner.Options().sparsity(s)),
        new Config("CONV_2D only", new Pruner.Options().sparsity(s).ops(Set.of("CONV_2D"))),
        new Config("regex subset", new Pruner.Options().sparsity(s).include(SUBSET)),
        new Config("all conv+dense, 8x1 blocks", new Pruner.Options().sparsity(s).structure(Pruner.Structure.parse("block8x1"))));
  }

  record Row(String model, String config, double target, double achieved, int layers, long dense, long gzip, long sparse,
             double maxAbs, double maxRel) {
    String markdown() {
      return String.format(Locale.ROOT, "| %s | %s | %.0f %% | %.1f %% | %d | %,d | %,d | %,d | %.2fx | %.2e | %.2e |", model, config,
          100 * target, 100 * achieved, layers, dense, gzip, sparse, (double) dense / sparse, maxAbs, maxRel);
    }
  }

  static final String HEADER = "| model | layers pruned | target | achieved | layers | dense B | gzip B | sparse B | dense/sparse "
      + "| max abs diff vs TFLite | max rel diff |\n|---|---|---|---|---|---|---|---|---|---|---|";

  @Test
  void smallNetAt90PercentInEveryConfiguration(@TempDir Path dir) throws Exception {
    List<Row> rows = table("mobilenet_v2_0.35_96 (generated)", ModelWriter.toBytes(Networks.byName("mobilenet_v2_0.35_96", 3)),
        new double[] {0.9}, dir);
    System.out.println(HEADER);
    rows.forEach(r -> System.out.println(r.markdown()));
  }

  @Test
  @EnabledIfSystemProperty(named = "kompakt.slow", matches = "true")
  void fullTable(@TempDir Path dir) throws Exception {
    List<Row> rows = new ArrayList<>();
    if (Shared.available()) {
      Model q = Model.load(Shared.resolve("models/tf2_mobilenet_v2_1.0_224_ptq.tflite"));
      rows.addAll(table("tf2 MobileNet V2 1.0 (dequantized)", ModelWriter.toBytes(Dequantizer.dequantized(q, true)),
          new double[] {0.3, 0.6, 0.9}, dir));
    } else {
      System.out.println(Shared.SKIP_MESSAGE);
    }
    for (String n : List.of("mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224", "mobilenet_v3_large_224", "efficientnet_lite0_224",
        "inception_v3_blocks_75", "fashion_mnist_cnn")) {
      rows.addAll(table(n + " (generated)", ModelWriter.toBytes(Networks.byName(n, 1)), new double[] {0.3, 0.6, 0.9}, dir));
    }
    StringBuilder s = new StringBuilder(HEADER).append('\n');
    rows.forEach(r -> s.append(r.markdown()).append('\n'));
    System.out.print(s);
    Path out = Path.of(System.getProperty("user.dir"), "target", "pruning-table.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, s);
  }

  static List<Row> table(String name, byte[] original, double[] sparsities, Path dir) throws Exception {
    Assumptions.assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found");
    Path in = dir.resolve("in-" + Math.abs(name.hashCode()));
    Path orig = dir.resolve("original.tflite");
    Files.write(orig, original);
    assertEquals(0, Oracle.call("random", orig.toString(), "7", in.toString()).exitCode());
    List<Row> rows = new ArrayList<>();
    for (double s : sparsities) {
      for (Config c : configs(s)) {
        EditableModel m = EditableModel.from(Model.from(original));
        Pruner.Report r = Pruner.prune(m, c.options());
        assertTrue(!r.layers().isEmpty(), name + " " + c.name() + ": no layer selected");
        byte[] dense = ModelWriter.toBytes(m);
        SparseEncoder.encode(m, new SparseEncoder.Options());
        Path file = dir.resolve("pruned.tflite");
        new ModelWriter().write(m, file);
        long sparse = Files.size(file);
        float[] kompakt = run(file, in);
        Path out = dir.resolve("out");
        Oracle.Result or = Oracle.run(file, in, out);
        assertEquals(0, or.exitCode(), name + " " + c.name() + " " + s + ": TFLite refused the file: " + or.output());
        ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4L * kompakt.length, want.remaining());
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < kompakt.length; i++) {
          double w = want.getFloat(4 * i), d = Math.abs(kompakt[i] - w);
          maxAbs = Math.max(maxAbs, d);
          if (Math.abs(w) > 1e-5) maxRel = Math.max(maxRel, d / Math.abs(w));
          assertTrue(d <= 1e-4 * Math.abs(w) + 1e-5, name + " " + c.name() + " " + s + " output " + i + ": " + kompakt[i] + " vs TFLite " + w);
        }
        Row row = new Row(name, c.name(), s, r.after(), r.layers().size(), dense.length, SizeReport.gzipSize(dense), sparse, maxAbs, maxRel);
        rows.add(row);
        if (s == 0.9 && c.name().startsWith("all")) {
          assertTrue(dense.length >= 4 * sparse, name + " at 90 %: sparse " + sparse + " B is not 4x smaller than dense " + dense.length + " B");
        }
      }
    }
    return rows;
  }

  /** Kompakt's output 0 for the oracle's input, automatic kernels (sparse where chosen). */
  static float[] run(Path file, Path in) throws Exception {
    try (Interpreter it = new Interpreter(Model.load(file))) {
      io.kompakt.data.TensorFiles.read(in.resolve("input_0.bin"), it.getInputTensor(0));
      it.invoke();
      RuntimeTensor out = it.getOutputTensor(0);
      float[] r = new float[out.size()];
      for (int i = 0; i < r.length; i++) r[i] = out.f32[out.offset + i];
      return r;
    }
  }

  @Test
  void sparseKernelsRunAPrunedNetAsTheDenseOnes() throws Exception {
    // the same pruned model with the sparse kernels forced on and off: float within rounding
    EditableModel m = Networks.byName("mobilenet_v2_0.35_96", 5);
    Pruner.prune(m, new Pruner.Options().sparsity(0.8));
    Model model = Model.from(ModelWriter.toBytes(m));
    float[] x = new float[96 * 96 * 3];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.01);
    float[] on = withSparse("on", model, x), off = withSparse("off", model, x);
    for (int i = 0; i < on.length; i++) assertTrue(Math.abs(on[i] - off[i]) <= 1e-4 * Math.abs(off[i]) + 1e-6, i + ": " + on[i] + " vs " + off[i]);
  }

  static float[] withSparse(String mode, Model model, float[] x) {
    String old = System.getProperty(SparseSupport.PROPERTY);
    System.setProperty(SparseSupport.PROPERTY, mode);
    try (Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(2))) {
      RuntimeTensor in = it.getInputTensor(0);
      System.arraycopy(x, 0, in.f32, in.offset, x.length);
      it.invoke();
      RuntimeTensor out = it.getOutputTensor(0);
      float[] r = new float[out.size()];
      System.arraycopy(out.f32, out.offset, r, 0, r.length);
      return r;
    } finally {
      if (old == null) System.clearProperty(SparseSupport.PROPERTY); else System.setProperty(SparseSupport.PROPERTY, old);
    }
  }
}
