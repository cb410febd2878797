package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.FilterPruner;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Structured pruning ({@link FilterPruner}) on small generated nets: shapes shrink, the pruned model gives the outputs of
 * a hand-rewired reference (the original model with the removed channels' input columns zeroed in their consumers,
 * chosen by its own L1 ranking), ADD-fed layers are skipped and reported, and real TFLite loads the pruned files with
 * Kompakt's outputs.
 */
class FilterPrunerTest {
  /** conv A -> depthwise -> conv B -> max pool -> flatten -> dense C -> dense D -> softmax. */
  static EditableModel chain(long seed) {
    GraphBuilder g = new GraphBuilder("chain", seed);
    var x = g.input("input", 1, 10, 10, 3);
    x = g.conv2d(x, 12, 3, 1, true, "RELU6");        // conv_0
    x = g.depthwise(x, 3, 1, true, "RELU6");         // depthwise_1
    x = g.conv2d(x, 10, 1, 1, true, "RELU6");        // conv_2
    x = g.pool("MAX_POOL_2D", x, 2, 2, false);       // 10x10 -> 5x5
    x = g.reshape(x, 1, 5 * 5 * 10);
    x = g.dense(x, 16, "RELU");                      // dense
    x = g.dense(x, 5, "NONE");
    g.output(g.softmax(x));
    return g.model();
  }

  /** conv A, conv B, ADD(A, B), conv C -> mean -> reshape -> dense -> softmax. */
  static EditableModel residual(long seed) {
    GraphBuilder g = new GraphBuilder("residual", seed);
    var in = g.input("input", 1, 8, 8, 4);
    var a = g.conv2d(in, 8, 3, 1, true, "RELU");
    var b = g.conv2d(a, 8, 1, 1, true, "NONE");
    var s = g.add(a, b, "NONE");
    var c = g.conv2d(s, 6, 1, 1, true, "RELU6");
    var m = g.globalAveragePool(c);
    var r = g.reshape(m, 1, 6);
    g.output(g.softmax(g.dense(r, 4, "NONE")));
    return g.model();
  }

  /** A consumer of a pruned layer's channels: the weight (by name) and its input-channel axis, repeated along it. */
  record Consumer(String weight, int axis, int repeat) {}

  @Test
  void chainShrinksAndMatchesTheHandRewiredReference(@TempDir Path dir) throws Exception {
    EditableModel original = chain(3);
    EditableModel pruned = chain(3);
    FilterPruner.Report r = FilterPruner.prune(pruned, new FilterPruner.Options().factor(0.5));
    System.out.print(FilterPruner.describe(r));
    Map<String, FilterPruner.Layer> byName = r.layers().stream().collect(Collectors.toMap(FilterPruner.Layer::name, Function.identity()));
    assertEquals(12, byName.get("conv_0/weights").before());
    assertEquals(6, byName.get("conv_0/weights").after());
    assertEquals(5, byName.get("conv_2/weights").after());
    assertEquals(8, byName.get("dense_6/weights").after());
    assertNotNull(byName.get("dense_7/weights").skipped(), "the classifier feeds SOFTMAX");
    assertTrue(r.paramsAfter() < r.paramsBefore() / 2, r.paramsAfter() + " of " + r.paramsBefore());
    assertArrayEquals(new int[] {6, 3, 3, 3}, tensor(pruned, "conv_0/weights").shape);
    assertArrayEquals(new int[] {1, 3, 3, 6}, tensor(pruned, "depthwise_1/weights").shape);
    assertArrayEquals(new int[] {5, 1, 1, 6}, tensor(pruned, "conv_2/weights").shape);
    assertArrayEquals(new int[] {8, 125}, tensor(pruned, "dense_6/weights").shape);
    assertArrayEquals(new int[] {5, 8}, tensor(pruned, "dense_7/weights").shape);
    assertArrayEquals(new int[] {1, 125}, tensor(pruned, "reshape_5").shape);

    // the reference: layers in graph order, each ranked by its L1 norms in the reference as it stands, 0.5 of its filters
    // removed by zeroing the columns its consumers read them through
    EditableModel ref = chain(3);
    zeroRemoved(ref, "conv_0/weights", 0.5, new Consumer("conv_2/weights", 3, 1));
    zeroRemoved(ref, "conv_2/weights", 0.5, new Consumer("dense_6/weights", 1, 25));
    zeroRemoved(ref, "dense_6/weights", 0.5, new Consumer("dense_7/weights", 1, 1));
    compare(pruned, ref, dir, "chain");
  }

  @Test
  void layersFeedingAddAreSkippedAndReported(@TempDir Path dir) throws Exception {
    EditableModel pruned = residual(5);
    FilterPruner.Report r = FilterPruner.prune(pruned, new FilterPruner.Options().factor(0.5).norm(FilterPruner.Norm.L2));
    System.out.print(FilterPruner.describe(r));
    List<String> skipped = r.skipped().stream().map(FilterPruner.Layer::name).toList();
    assertTrue(skipped.containsAll(List.of("conv_0/weights", "conv_1/weights")), skipped.toString());
    for (FilterPruner.Layer l : r.skipped()) {
      if (l.name().startsWith("conv_")) assertTrue(l.skipped().contains("ADD"), l.toString());
    }
    FilterPruner.Layer c = r.pruned().get(0);
    assertEquals("conv_3/weights", c.name());
    assertEquals(3, c.after());
    assertArrayEquals(new int[] {4, 3}, tensor(pruned, "dense_8/weights").shape);
    EditableModel ref = residual(5);
    zeroRemovedL2(ref, "conv_3/weights", 0.5, new Consumer("dense_8/weights", 1, 1));
    compare(pruned, ref, dir, "residual");
  }

  @Test
  void generatedMobileNetV2PrunesRunsAndLoadsInTflite(@TempDir Path dir) throws Exception {
    EditableModel m = Networks.byName("mobilenet_v2_0.35_96", 4);
    FilterPruner.Report r = FilterPruner.prune(m, new FilterPruner.Options().factor(0.3));
    assertTrue(r.pruned().size() >= 16, "expansion convs and the head are prunable: " + r.pruned().size());
    assertTrue(r.skipped().stream().anyMatch(l -> l.skipped().contains("ADD")), "projections feeding residual ADDs are skipped");
    assertTrue(r.paramsAfter() < 0.85 * r.paramsBefore(), r.paramsAfter() + " of " + r.paramsBefore());
    Path file = dir.resolve("v2.tflite");
    new ModelWriter().write(m, file);
    float[] kompakt = PruningTest.run(file, dir)[0];
    assertTrue(Float.isFinite(kompakt[0]));
    checkOracle(file, dir, "mobilenet_v2_0.35_96");
  }

  /**
   * An int8 model (per-channel weights): pruned filters take their scales and zero points with them, the model runs,
   * and real TFLite gives the same outputs within two output steps.
   */
  @Test
  void quantizedModelPrunesWithItsPerChannelParameters(@TempDir Path dir) throws Exception {
    Model f = Model.from(ModelWriter.toBytes(Networks.byName("fashion_mnist_cnn", 2)));
    io.kompakt.compress.quant.Calibrator c = io.kompakt.compress.quant.Calibrator.run(f,
        io.kompakt.compress.quant.Calibrator.random(8, 1, -1, 1), false, 1, null);
    EditableModel q = io.kompakt.compress.quant.FullIntegerQuantizer.quantize(f, c, new io.kompakt.compress.quant.FullIntegerQuantizer.Options());
    FilterPruner.Report r = FilterPruner.prune(q, new FilterPruner.Options().factor(0.25));
    assertTrue(!r.pruned().isEmpty(), "some layer pruned");
    for (EditableModel.Operator op : q.subgraphs.get(0).operators) {
      if (!op.opCode.name().equals("CONV_2D")) continue;
      EditableModel.Tensor w = op.inputs.get(1);
      assertEquals(w.shape[0], w.quantization.scale().length, w + ": one scale per remaining filter");
      assertEquals(w.shape[0], w.quantization.zeroPoint().length, w + ": one zero point per remaining filter");
      assertEquals(w.shape[0], op.inputs.get(2).shape[0], "bias per remaining filter");
    }
    Path file = dir.resolve("q.tflite");
    new ModelWriter().write(q, file);
    float[] kompakt = PruningTest.run(file, dir)[0];
    assertTrue(Float.isFinite(kompakt[0]));
    if (!Oracle.available()) {
      System.out.println("node or the tflite-oracle tool not found: TFLite comparison of the pruned int8 model skipped");
      return;
    }
    Path in = dir.resolve("in"), out = dir.resolve("out");
    assertEquals(0, Oracle.call("random", file.toString(), "3", in.toString()).exitCode());
    float[] mine = runWith(file, in);
    Oracle.Result o = Oracle.run(file, in, out);
    assertEquals(0, o.exitCode(), o.output());
    ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < mine.length; i++) assertEquals(want.getFloat(4 * i), mine[i], 2.0 / 256 + 1e-6, "output " + i);
  }

  @Test
  void pruneToFloorKeepsTheLargestFactorAboveTheFloor() {
    EditableModel original = chain(9);
    Model base = Model.from(ModelWriter.toBytes(original));
    float[][] inputs = randomInputs(base, 24, 1);
    int[] top = top1(base, inputs);
    java.util.function.ToDoubleFunction<Model> agreement = m -> {
      int[] t = top1(m, inputs);
      int same = 0;
      for (int i = 0; i < t.length; i++) if (t[i] == top[i]) same++;
      return (double) same / t.length;
    };
    FilterPruner.FloorResult fr = FilterPruner.pruneToFloor(original, new FilterPruner.Options(), agreement, 0.75, 0.1, 0.9);
    System.out.println("floor search: " + fr.steps());
    assertFalse(fr.steps().isEmpty());
    for (FilterPruner.Step s : fr.steps()) {
      if (s.factor() <= fr.factor() + 1e-9) assertTrue(s.score() >= 0.75, s.toString());
    }
    FilterPruner.Step last = fr.steps().get(fr.steps().size() - 1);
    assertTrue(last.factor() >= 0.9 - 1e-9 || last.score() < 0.75, "the search stops at the first factor below the floor: " + last);
    if (fr.factor() > 0) assertEquals(fr.factor() == 0 ? 1.0 : agreement.applyAsDouble(Model.from(ModelWriter.toBytes(fr.model()))),
        fr.steps().stream().filter(s -> Math.abs(s.factor() - fr.factor()) < 1e-9).findFirst().orElseThrow().score());
    assertEquals(FilterPruner.params(original), FilterPruner.params(chain(9)), "the original is not changed");
  }

  private static void assertFalse(boolean b) { assertTrue(!b); }

  // ----------------------------------------------------------------------------------------------- reference

  static void zeroRemoved(EditableModel m, String weight, double factor, Consumer... consumers) {
    zero(m, weight, factor, false, consumers);
  }

  static void zeroRemovedL2(EditableModel m, String weight, double factor, Consumer... consumers) {
    zero(m, weight, factor, true, consumers);
  }

  private static void zero(EditableModel m, String weight, double factor, boolean l2, Consumer... consumers) {
    EditableModel.Tensor w = tensor(m, weight);
    float[] v = floats(w);
    int n = w.shape[0], per = v.length / n, remove = (int) Math.round(factor * n);
    double[] norm = new double[n];
    for (int f = 0; f < n; f++) for (int i = 0; i < per; i++) norm[f] += l2 ? v[f * per + i] * v[f * per + i] : Math.abs(v[f * per + i]);
    List<Integer> order = new ArrayList<>();
    for (int f = 0; f < n; f++) order.add(f);
    order.sort((a, b) -> norm[a] != norm[b] ? Double.compare(norm[a], norm[b]) : Integer.compare(b, a));
    boolean[] gone = new boolean[n];
    for (int i = 0; i < remove; i++) gone[order.get(i)] = true;
    for (Consumer c : consumers) {
      EditableModel.Tensor cw = tensor(m, c.weight());
      float[] cv = floats(cw);
      int inner = 1;
      for (int i = c.axis() + 1; i < cw.shape.length; i++) inner *= cw.shape[i];
      int len = cw.shape[c.axis()];
      for (int i = 0; i < cv.length; i++) if (gone[(i / inner) % len % n]) cv[i] = 0f;
      setFloats(m, cw, cv);
    }
  }

  static EditableModel.Tensor tensor(EditableModel m, String name) {
    return m.subgraphs.get(0).tensors.stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow(() -> new AssertionError(name));
  }

  static float[] floats(EditableModel.Tensor t) {
    ByteBuffer b = t.buffer.data();
    float[] v = new float[(int) t.elementCount()];
    for (int i = 0; i < v.length; i++) v[i] = b.getFloat(4 * i);
    return v;
  }

  static void setFloats(EditableModel m, EditableModel.Tensor t, float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) b.putFloat(x);
    b.flip();
    t.buffer = m.addBuffer(b);
  }

  // ----------------------------------------------------------------------------------------------- running

  static float[][] randomInputs(Model m, int count, long seed) {
    int size = 1;
    for (int d : m.mainSubgraph().input(0).shape()) size *= d;
    Random r = new Random(seed);
    float[][] in = new float[count][size];
    for (float[] x : in) for (int i = 0; i < size; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return in;
  }

  static float[] output(Model m, float[] input) {
    try (Interpreter it = new Interpreter(m)) {
      RuntimeTensor in = it.getInputTensor(0);
      System.arraycopy(input, 0, in.f32, in.offset, input.length);
      it.invoke();
      RuntimeTensor out = it.getOutputTensor(0);
      return Arrays.copyOfRange(out.f32, out.offset, out.offset + out.size());
    }
  }

  static int[] top1(Model m, float[][] inputs) {
    int[] r = new int[inputs.length];
    for (int k = 0; k < inputs.length; k++) {
      float[] o = output(m, inputs[k]);
      int best = 0;
      for (int i = 1; i < o.length; i++) if (o[i] > o[best]) best = i;
      r[k] = best;
    }
    return r;
  }

  private static void compare(EditableModel pruned, EditableModel ref, Path dir, String what) throws Exception {
    Model p = Model.from(ModelWriter.toBytes(pruned)), q = Model.from(ModelWriter.toBytes(ref));
    for (float[] x : randomInputs(p, 5, 2)) {
      float[] a = output(p, x), b = output(q, x);
      assertEquals(b.length, a.length);
      for (int i = 0; i < a.length; i++) {
        assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 * Math.abs(b[i]) + 1e-6, what + " output " + i + ": pruned " + a[i] + ", reference " + b[i]);
      }
    }
    Path file = dir.resolve(what + ".tflite");
    new ModelWriter().write(pruned, file);
    checkOracle(file, dir, what);
  }

  /** Real TFLite loads the file and its outputs for the oracle's random input match Kompakt's. */
  static void checkOracle(Path file, Path dir, String what) throws Exception {
    if (!Oracle.available()) {
      System.out.println("node or the tflite-oracle tool not found: TFLite comparison of " + what + " skipped");
      return;
    }
    Path in = dir.resolve(what + "-in"), out = dir.resolve(what + "-out");
    assertEquals(0, Oracle.call("random", file.toString(), "3", in.toString()).exitCode());
    float[] kompakt = runWith(file, in);
    Oracle.Result r = Oracle.run(file, in, out);
    assertEquals(0, r.exitCode(), r.output());
    ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(4L * kompakt.length, want.remaining());
    for (int i = 0; i < kompakt.length; i++) {
      double w = want.getFloat(4 * i);
      assertTrue(Math.abs(kompakt[i] - w) <= 1e-4 * Math.abs(w) + 1e-5, what + " output " + i + ": " + kompakt[i] + " vs TFLite " + w);
    }
  }

  static float[] runWith(Path file, Path inDir) throws Exception {
    try (Interpreter it = new Interpreter(Model.load(file))) {
      io.kompakt.data.TensorFiles.read(inDir.resolve("input_0.bin"), it.getInputTensor(0));
      it.invoke();
      RuntimeTensor out = it.getOutputTensor(0);
      return Arrays.copyOfRange(out.f32, out.offset, out.offset + out.size());
    }
  }
}
