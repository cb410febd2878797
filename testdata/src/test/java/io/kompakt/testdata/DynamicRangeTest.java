package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.compress.DynamicRangeQuantizer;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dynamic-range ("hybrid") models, made from Kompakt's own networks by {@link DynamicRangeQuantizer}, in Kompakt and
 * in real TensorFlow Lite (the oracle: tfjs-tflite's WebAssembly build, whose hybrid CONV_2D, DEPTHWISE_CONV_2D
 * and FULLY_CONNECTED are TFLite's builtin kernels with the portable tensor_utils).
 *
 * <p><b>One op at a time</b> Kompakt's hybrid kernels give TFLite's outputs bit for bit: per-channel and per-tensor
 * CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED with asymmetric and symmetric inputs, batches of several rows.
 *
 * <p><b>Whole networks</b> also carry float ops (the layers under the 1024-element threshold, pooling, MEAN, ADD,
 * SOFTMAX), which TFLite computes with other kernels than Kompakt's reference ones (other summation orders, another
 * exp). Their last-bit differences are all that differs, and they could in principle reach a hybrid op and move one of
 * its inputs across an int8 rounding boundary (one quantization step); no such step showed. Measured (inputs uniform
 * in [-1, 1), three seeds): logits, the softmax's input, bit-identical in 7 of 9 runs, else within 4.5e-8 (one or two
 * float ulps, under 1e-7 of their range); probabilities within 2.3e-8 (fashion_mnist_cnn) and 2.6e-9 (MobileNets),
 * at most 0.3% of the project's float bar, the softmax's own differences. Bars: top-1 equal, probabilities within the
 * float bar (1e-4 relative + 1e-5), logits within 1e-5 of their range (100 times the largest seen). A wrong kernel is
 * far outside: per-unit dense scales read as TFLite 0.0.1-alpha.10 reads them gave logits off by 6 times their range,
 * and probabilities by 0.025.
 */
class DynamicRangeTest {
  /** Differences between Kompakt's and TFLite's values of one output. */
  record Diff(int n, int differing, double maxAbs, double maxRelative, double range, double floatBar, int topKompakt, int topTflite) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d values, %d differ, max |diff| %.3g (%.3g of the output's range %.3g; "
          + "%.3g of the float bar), top-1 %d vs %d", n, differing, maxAbs, maxRelative, range, floatBar, topKompakt, topTflite);
    }
  }

  /** Writes {@code m}, runs it in TFLite on the oracle's random inputs of {@code seed} and in Kompakt; compares every output. */
  static Diff[] compare(EditableModel m, Path dir, String name, int seed) throws Exception {
    Path file = dir.resolve(name + ".tflite"), in = dir.resolve(name + "_in" + seed), out = dir.resolve(name + "_out" + seed);
    if (!Files.exists(file)) new ModelWriter().write(m, file);
    try (Interpreter it = new Interpreter(Model.load(file), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      Files.createDirectories(in);
      java.util.Random random = new java.util.Random(seed);
      for (int i = 0; i < it.getInputTensorCount(); i++) { // uniform in [-1, 1), as the oracle's own random inputs
        RuntimeTensor t = it.getInputTensor(i);
        ByteBuffer b = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < t.size(); k++) b.putFloat(random.nextFloat() * 2 - 1);
        Files.write(in.resolve("input_" + i + ".bin"), b.array());
        TensorFiles.read(in.resolve("input_" + i + ".bin"), t);
      }
      Oracle.Result r = Oracle.run(file, in, out);
      assertEquals(0, r.exitCode(), "TFLite refused or failed on " + name + ": " + r.output());
      it.invoke();
      Diff[] diffs = new Diff[it.getOutputTensorCount()];
      for (int o = 0; o < diffs.length; o++) {
        RuntimeTensor t = it.getOutputTensor(o);
        assertEquals(TensorType.FLOAT32, t.type);
        ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_" + o + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4 * t.size(), want.remaining(), name + " output " + o + " size");
        int differing = 0, topK = 0, topT = 0;
        double maxAbs = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, bar = 0;
        for (int i = 0; i < t.size(); i++) {
          float w = want.getFloat(4 * i), g = t.f32[t.offset + i];
          if (Float.floatToIntBits(w) != Float.floatToIntBits(g)) differing++;
          maxAbs = Math.max(maxAbs, Math.abs((double) w - g));
          bar = Math.max(bar, Math.abs((double) w - g) / (1e-4 * Math.abs(w) + 1e-5));
          lo = Math.min(lo, w);
          hi = Math.max(hi, w);
          if (g > t.f32[t.offset + topK]) topK = i;
          if (w > want.getFloat(4 * topT)) topT = i;
        }
        double range = hi - lo;
        diffs[o] = new Diff(t.size(), differing, maxAbs, range > 0 ? maxAbs / range : maxAbs, range, bar, topK, topT);
      }
      return diffs;
    }
  }

  record Case(String name, LongFunction<EditableModel> model, DynamicRangeQuantizer.Options options) {
    @Override
    public String toString() { return name; }
  }

  static List<Case> singleOps() {
    DynamicRangeQuantizer.Options d = DynamicRangeQuantizer.Options.defaults();
    return List.of(
        new Case("conv per channel, SAME stride 2, RELU6, batch 2", s -> single(s, g -> g.conv2d(g.input("x", 2, 13, 12, 16), 24, 3, 2, true, "RELU6")), d),
        new Case("conv per tensor, VALID, batch 2", s -> single(s, g -> g.conv2d(g.input("x", 2, 12, 12, 16), 24, 3, 1, false, "NONE")), d.withPerChannel(false)),
        new Case("conv 1x1 per channel", s -> single(s, g -> g.conv2d(g.input("x", 1, 7, 7, 64), 32, 1, 1, true, "RELU")), d),
        new Case("depthwise, SAME, batch 2", s -> single(s, g -> g.depthwise(g.input("x", 2, 9, 9, 128), 3, 1, true, "NONE")), d),
        new Case("depthwise, VALID stride 2, RELU6", s -> single(s, g -> g.depthwise(g.input("x", 1, 11, 10, 120), 3, 2, false, "RELU6")), d),
        new Case("dense per tensor, asymmetric inputs, 3 rows", s -> single(s, g -> g.dense(g.input("x", 3, 256), 40, "NONE")), d),
        new Case("dense per tensor, symmetric inputs, 3 rows", s -> single(s, g -> g.dense(g.input("x", 3, 256), 40, "RELU")),
            d.withAsymmetricInputs(false)));
  }

  static EditableModel single(long seed, java.util.function.Function<GraphBuilder, EditableModel.Tensor> layer) {
    GraphBuilder g = new GraphBuilder("hybrid op", seed);
    g.output(layer.apply(g));
    return g.model();
  }

  /** Each hybrid op alone: the file loads in TFLite, and Kompakt's outputs are TFLite's, bit for bit. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("singleOps")
  void singleOpsAreBitExact(Case c, @TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    EditableModel m = c.model().apply(3);
    assertEquals(1, DynamicRangeQuantizer.quantize(m, c.options()).quantized(), "the op's weights are quantized");
    Diff d = compare(m, dir, "op", 7)[0];
    System.out.println("hybrid " + c + ": " + d);
    assertEquals(0, d.differing(), c + ": " + d);
  }

  /**
   * Per-unit dense scales, as the latest converter writes them: Kompakt computes the per-channel product (as current
   * TFLite does). The oracle's TFLite either agrees bit for bit or, predating per-channel hybrid FULLY_CONNECTED,
   * outputs the bias alone (its kernel multiplies by the tensor's single scale, which TFLite leaves 0 for per-channel
   * tensors); the test says which.
   */
  @Test
  void perChannelDenseLayers(@TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    EditableModel m = single(3, g -> g.dense(g.input("x", 3, 256), 40, "NONE"));
    DynamicRangeQuantizer.quantize(m, DynamicRangeQuantizer.Options.latestConverter());
    EditableModel.Tensor w = m.subgraphs.get(0).operators.get(0).inputs.get(1);
    assertEquals(40, w.quantization.scale().length);
    Diff d = compare(m, dir, "dense_per_channel", 7)[0];
    if (d.differing() == 0) {
      System.out.println("per-channel dense: TFLite agrees bit for bit");
      return;
    }
    // the bias alone, as this TFLite computes it
    EditableModel.Tensor bias = m.subgraphs.get(0).operators.get(0).inputs.get(2);
    java.nio.FloatBuffer b = bias.buffer.data().asFloatBuffer();
    ByteBuffer got = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("dense_per_channel_out7/output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 3 * 40; i++) assertEquals(b.get(i % 40), got.getFloat(4 * i), "TFLite's output " + i + " is neither Kompakt's nor the bias");
    System.out.println("per-channel dense: this TFLite outputs the bias alone (no per-channel hybrid FULLY_CONNECTED); Kompakt: " + d);
  }

  static List<String> networks() {
    return List.of("fashion_mnist_cnn", "mobilenet_v1_0.25_96", "mobilenet_v2_0.35_96");
  }

  /**
   * Whole networks, quantized with Kompakt's defaults: TFLite loads the file, top-1 agrees, probabilities and logits
   * (the softmax's input, made a second output) agree within the tolerance explained in the class comment.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void networksAgreeWithTflite(String network, @TempDir Path dir) throws Exception {
    assumeTrue(Oracle.available(), "node or the tflite-oracle tool not found: test skipped");
    EditableModel m = Networks.byName(network, 11);
    addLogitsOutput(m);
    DynamicRangeQuantizer.Report report = DynamicRangeQuantizer.quantize(m);
    assertTrue(report.quantized() > 0, network + ": " + report);
    System.out.println("hybrid " + network + ": " + report);
    for (int seed : new int[] {5, 6, 7}) {
      Diff[] d = compare(m, dir, network, seed);
      System.out.println("hybrid " + network + " seed " + seed + " probabilities: " + d[0]);
      System.out.println("hybrid " + network + " seed " + seed + " logits:        " + d[1]);
      assertEquals(d[0].topTflite(), d[0].topKompakt(), network + " top-1");
      assertTrue(d[0].floatBar() <= 1, network + " probabilities: " + d[0]);
      assertTrue(d[1].maxRelative() <= 1e-5, network + " logits: " + d[1]);
    }
  }

  /** After prepare, a hybrid network's runs allocate nothing (the quantized rows live in kernel scratch). */
  @Test
  void hybridRunsAllocateNothing() {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "this JVM does not count allocated bytes per thread");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    EditableModel e = Networks.byName("mobilenet_v2_0.35_96", 1);
    DynamicRangeQuantizer.quantize(e);
    try (Interpreter it = new Interpreter(Model.from(ModelWriter.toBytes(e)), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      for (int i = 0; i < 3; i++) it.invoke();
      long id = Thread.currentThread().getId(), least = Long.MAX_VALUE;
      for (int attempt = 0; attempt < 3 && least > 0; attempt++) {
        long before = mx.getThreadAllocatedBytes(id);
        for (int i = 0; i < 3; i++) it.invoke();
        least = Math.min(least, mx.getThreadAllocatedBytes(id) - before);
      }
      assertEquals(0, least, "bytes allocated by three runs");
    }
  }

  /** Makes the softmax's input a graph output too. */
  static void addLogitsOutput(EditableModel m) {
    EditableModel.Subgraph g = m.subgraphs.get(0);
    for (EditableModel.Operator op : g.operators) {
      if (op.opCode.name().equals("SOFTMAX")) {
        g.outputs.add(op.inputs.get(0));
        return;
      }
    }
    throw new IllegalArgumentException("no SOFTMAX");
  }
}
