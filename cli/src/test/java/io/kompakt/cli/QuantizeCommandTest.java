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

  /** A conv with a standalone RELU, a conv with RELU6 feeding a dense layer: fusion, equalisation, bias correction, KL. */
  static Path standaloneActivations(Path dir) throws Exception {
    io.kompakt.testdata.GraphBuilder b = new io.kompakt.testdata.GraphBuilder("standalone relu", 3);
    var x = b.input("image", 1, 8, 8, 3);
    x = b.unary("RELU", b.conv2d(x, 6, 3, 2, true, "NONE"));
    x = b.conv2d(x, 4, 1, 1, true, "RELU6");
    x = b.reshape(x, 1, 4 * 4 * 4);
    x = b.dense(x, 8, "RELU");
    b.output(b.softmax(b.dense(x, 3, "NONE")));
    Path f = dir.resolve("standalone.tflite");
    Files.write(f, io.kompakt.engine.edit.ModelWriter.toBytes(b.model()));
    return f;
  }

  @Test
  void activationsFuseByDefaultAndTheNewOptionsRun(@TempDir Path dir) throws Exception {
    Path f = standaloneActivations(dir), q = dir.resolve("q.tflite"), q2 = dir.resolve("q2.tflite");
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--samples", "4", "--eval-samples", "2",
        "--equalize", "--bias-correction", "--method", "kl");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("fused       RELU after CONV_2D"), r.out());
    // pairs: conv (RELU, fused) -> conv (RELU6), and dense (RELU) -> dense; the RELU6 conv feeds a reshape
    assertTrue(r.out().contains("equalized   2 pairs"), r.out());
    assertTrue(r.out().contains("bias corr.  #0 CONV_2D"), r.out());
    assertFalse(r.out().contains("equalized float vs original"), "the float function did not change: " + r.out());
    for (var op : Model.load(q).mainSubgraph().operators()) assertFalse(op.name().equals("RELU"), "RELU left standalone");
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q2.toString(), "--samples", "4", "--eval-samples", "0", "--no-fuse-activations");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("fused"), r.out());
    assertTrue(Model.load(q2).mainSubgraph().operators().stream().anyMatch(op -> op.name().equals("RELU")));
  }

  @Test
  void equalizingRelu6ComparesWithTheOriginalModel(@TempDir Path dir) throws Exception {
    io.kompakt.testdata.GraphBuilder b = new io.kompakt.testdata.GraphBuilder("relu6 pair", 4);
    var x = b.input("image", 1, 8, 8, 3);
    x = b.conv2d(x, 6, 3, 1, true, "RELU6");
    x = b.depthwise(x, 3, 2, true, "RELU6");
    x = b.reshape(x, 1, 4 * 4 * 6);
    b.output(b.softmax(b.dense(x, 3, "NONE")));
    Path f = dir.resolve("relu6.tflite"), q = dir.resolve("q.tflite");
    Files.write(f, io.kompakt.engine.edit.ModelWriter.toBytes(b.model()));
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--samples", "4", "--eval-samples", "3",
        "--equalize", "--equalize-relu6", "--mode", "uint8", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(1, j.get("equalized").size(), r.out());
    assertEquals(1, j.get("relu6_replaced").size(), r.out());
    assertTrue(j.get("float_model_changed").asBoolean());
    assertEquals(3, j.get("equalized_float_vs_original").get("samples").asInt(), r.out());
    assertEquals(3, j.get("held_out").get("samples").asInt());
    // without --equalize-relu6 the RELU6 conv is no pair's first layer
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--samples", "4", "--eval-samples", "0", "--equalize");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("equalized   0 pairs") && r.out().contains("need --equalize-relu6"), r.out());
  }

  @Test
  void flagsThatDoNotGoTogetherAreExitTwo(@TempDir Path dir) throws Exception {
    Path f = standaloneActivations(dir), q = dir.resolve("q.tflite");
    KompaktCliTest.Run r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--equalize-relu6");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--equalize-relu6 needs --equalize"), r.err());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--mode", "dynamic", "--equalize", "--bias-correction");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--equalize, --bias-correction do not apply to --mode dynamic"), r.err());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--mode", "float16", "--method", "kl");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--method does not apply to --mode float16"), r.err());
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--method", "entropyish");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("kl"), r.err());
    assertFalse(Files.exists(q));
    // what dynamic range does take: the held-out report
    r = KompaktCliTest.run("quantize", f.toString(), "-o", q.toString(), "--mode", "dynamic", "--eval", "random", "--eval-samples", "2");
    assertEquals(0, r.code(), r.err());
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
