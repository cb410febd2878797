package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.Pruner;
import io.kompakt.compress.SizeReport;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Kompakt's own networks pruned to 50% and 90% and stored sparse (DENSIFY ops): the file is smaller, Kompakt runs
 * it exactly as the same pruned model stored dense, and real TFLite (where node and the oracle are) loads it with
 * outputs matching Kompakt's within 1e-4 relative, 1e-5 absolute.
 */
class PruningTest {
  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"mobilenet_v1_0.25_96, 0.5", "mobilenet_v1_0.25_96, 0.9", "fashion_mnist_cnn, 0.5", "fashion_mnist_cnn, 0.9"})
  void sparseFileIsSmallerAndRunsAsTheDenseOne(String network, double sparsity, @TempDir Path dir) throws Exception {
    EditableModel m = Networks.byName(network, 11);
    SizeReport original = SizeReport.of(m);
    Pruner.Report r = Pruner.prune(m, new Pruner.Options().sparsity(sparsity));
    assertEquals(sparsity, r.after(), 0.01);
    Path dense = dir.resolve("dense.tflite"), sparse = dir.resolve("sparse.tflite");
    new ModelWriter().write(m, dense);
    SizeReport pruned = SizeReport.of(m);
    SparseEncoder.Report enc = SparseEncoder.encode(m, new SparseEncoder.Options());
    new ModelWriter().write(m, sparse);
    System.out.printf("%s at %.0f%%: original %s; pruned %s; %d weights sparse, file %,d B%n", network, 100 * sparsity, original,
        pruned, enc.encoded().size(), Files.size(sparse));
    assertTrue(enc.encoded().size() > 0);
    assertTrue(Files.size(sparse) < Files.size(dense), Files.size(sparse) + " vs " + Files.size(dense));
    assertEquals(Files.size(sparse), pruned.sparse());

    assertEquals(0, Oracle.available() ? Oracle.call("random", dense.toString(), "5", dir.resolve("in").toString()).exitCode() : 0);
    float[][] a = run(dense, dir), b = run(sparse, dir);
    for (int o = 0; o < a.length; o++) {
      for (int i = 0; i < a[o].length; i++) {
        assertTrue(Math.abs(a[o][i] - b[o][i]) <= 1e-5 * Math.abs(a[o][i]), network + " output " + o + "[" + i + "]: " + b[o][i] + " vs dense " + a[o][i]);
      }
    }
    if (!Oracle.available()) {
      System.out.println("node or the tflite-oracle tool not found: TFLite comparison skipped");
      return;
    }
    Oracle.Result or = Oracle.run(sparse, dir.resolve("in"), dir.resolve("out"));
    assertEquals(0, or.exitCode(), or.output());
    for (int o = 0; o < b.length; o++) {
      ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out/output_" + o + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
      assertEquals(4L * b[o].length, want.remaining());
      for (int i = 0; i < b[o].length; i++) {
        double w = want.getFloat(4 * i);
        assertTrue(Math.abs(b[o][i] - w) <= 1e-4 * Math.abs(w) + 1e-5, network + " output " + o + "[" + i + "]: " + b[o][i] + " vs TFLite " + w);
      }
    }
    System.out.println(network + " at " + sparsity + ": TFLite loads the sparse file and agrees");
  }

  /** Kompakt's float outputs for the oracle's random input (or a fixed pattern without the oracle). */
  static float[][] run(Path file, Path dir) throws Exception {
    try (Interpreter it = new Interpreter(Model.load(file), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      if (Files.exists(dir.resolve("in/input_0.bin"))) {
        TensorFiles.read(dir.resolve("in/input_0.bin"), it.getInputTensor(0));
      } else {
        RuntimeTensor in = it.getInputTensor(0);
        for (int i = 0; i < in.size(); i++) in.f32[in.offset + i] = (float) Math.sin(i * 0.37);
      }
      it.invoke();
      float[][] r = new float[it.getOutputTensorCount()][];
      for (int o = 0; o < r.length; o++) {
        RuntimeTensor out = it.getOutputTensor(o);
        r[o] = new float[out.size()];
        for (int i = 0; i < r[o].length; i++) r[o][i] = (float) out.get(i);
      }
      return r;
    }
  }
}
