package io.kompakt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.data.Idx;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kompakt quantize}: modes, calibration sources, the report, and bad input. */
class QuantizeCommandTest {
  /** Batch normalizations left as MUL and ADD after a conv are folded before calibration (and not with the flag). */
  @Test
  void unfusedBatchNormsAreFoldedFirst(@TempDir Path dir) throws Exception {
    io.kompakt.testdata.GraphBuilder b = new io.kompakt.testdata.GraphBuilder("unfused", 2);
    var x = b.input("image", 1, 8, 8, 3);
    x = b.conv2d(x, 6, 3, 1, true, "NONE");
    x = b.mul(x, b.constant("bn/scale", 2, 6));
    x = b.add(x, b.constant("bn/shift", 1, 6), "RELU6");
    x = b.reshape(x, 1, 8 * 8 * 6);
    b.output(b.softmax(b.dense(x, 4, "NONE")));
    Path f = dir.resolve("unfused.tflite"), q = dir.resolve("q.tflite"), q2 = dir.resolve("q2.tflite");
    Files.write(f, io.kompakt.engine.edit.ModelWriter.toBytes(b.model()));
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--samples", "4", "--eval-samples", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("batch norm  op CONV_2D") && r.out().contains("MUL + ADD folded"), r.out());
    Model m = Model.load(q);
    for (var op : m.mainSubgraph().operators()) assertFalse(op.name().equals("MUL") || op.name().equals("ADD"), op.name());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q2.toString(), "--samples", "4", "--eval-samples", "0", "--no-fold-batch-norm");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("batch norm"), r.out());
    assertTrue(Model.load(q2).mainSubgraph().operators().stream().anyMatch(op -> op.name().equals("MUL")));
  }

  @Test
  void int8FromRandomDataWritesAnInt8ModelAndReportsLayers(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("f.tflite"), q = dir.resolve("q.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--samples", "4", "--eval-samples", "3");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("SNR dB") && r.out().contains("CONV_2D") && r.out().contains("top-1 agreement"), r.out());
    Model m = Model.load(q);
    assertEquals(TensorType.FLOAT32, m.mainSubgraph().input(0).type()); // float I/O, QUANTIZE first
    assertEquals("QUANTIZE", m.mainSubgraph().operators().get(0).name());
    assertTrue(Files.size(q) * 3 < Files.size(f));
  }

  @Test
  void idxCalibrationWithLabelsReportsAccuracyAsJson(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("f.tflite"), q = dir.resolve("q.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    Random rnd = new Random(1);
    byte[] images = new byte[12 * 28 * 28], labels = new byte[12];
    rnd.nextBytes(images);
    for (int i = 0; i < labels.length; i++) labels[i] = (byte) rnd.nextInt(10);
    Files.write(dir.resolve("t10k-images-idx3-ubyte"), Idx.encode(new int[] {12, 28, 28}, images));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), Idx.encode(new int[] {12}, labels));
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--io", "int8", "--calib",
        dir.resolve("t10k-images-idx3-ubyte").toString(), "--samples", "8", "--method", "percentile", "--power-of-two", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(4, j.get("held_out").get("samples").asInt());
    assertTrue(j.get("held_out").has("quantized_accuracy"));
    assertTrue(j.has("without_power_of_two"));
    assertEquals(TensorType.INT8, Model.load(q).mainSubgraph().input(0).type());
  }

  @Test
  void badInputIsExitTwoAndWritesNothing(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("f.tflite"), q = dir.resolve("q.tflite");
    assertEquals(0, KompaktCliTest.run("generate", "fashion_mnist_cnn", "-o", f.toString()).code());
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--mode", "int4");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--mode"), r.err());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--calib", dir.resolve("nothing").toString());
    assertEquals(2, r.code());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--calib", dir.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no images"), r.err());
    // an already quantized model is not a float model
    Path q8 = dir.resolve("q8.tflite");
    assertEquals(0, KompaktCliTest.run("quantize", f.toString(), "-o", q8.toString(), "--io", "int8", "--samples", "2").code());
    r = KompaktCliTest.run("quantize", q8.toString(), "-o", q.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("not a float model") || r.err().contains("float32"), r.err());
    assertFalse(Files.exists(q));
  }
}
