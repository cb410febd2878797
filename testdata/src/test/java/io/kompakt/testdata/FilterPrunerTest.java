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

  /**
   * conv A and conv B joined by ADD form one channel group: both lose the same channels (ranked by the L2 norm of each
   * channel's filters in A and B together), B's input columns and C's input columns go with them.
   */
  @Test
  void layersJoinedByAddLoseTheSameChannels(@TempDir Path dir) throws Exception {
    EditableModel pruned = residual(5);
    FilterPruner.Report r = FilterPruner.prune(pruned, new FilterPruner.Options().factor(0.5).norm(FilterPruner.Norm.L2));
    System.out.print(FilterPruner.describe(r));
    Map<String, FilterPruner.Layer> byName = r.layers().stream().collect(Collectors.toMap(FilterPruner.Layer::name, Function.identity()));
    assertEquals(4, byName.get("conv_0/weights").after());
    assertEquals(4, byName.get("conv_1/weights").after());
    assertEquals(3, byName.get("conv_3/weights").after());
    assertEquals(1, r.groups().size());
    assertEquals(List.of("conv_0/weights", "conv_1/weights"), r.groups().get(0).layers());
    assertEquals(List.of("ADD"), r.groups().get(0).tiedBy());
    assertArrayEquals(new int[] {4, 3, 3, 4}, tensor(pruned, "conv_0/weights").shape);
    assertArrayEquals(new int[] {4, 1, 1, 4}, tensor(pruned, "conv_1/weights").shape);
    assertArrayEquals(new int[] {3, 1, 1, 4}, tensor(pruned, "conv_3/weights").shape);
    assertArrayEquals(new int[] {1, 8, 8, 4}, tensor(pruned, "add_2").shape);
    assertArrayEquals(new int[] {4, 3}, tensor(pruned, "dense_8/weights").shape);
    EditableModel ref = residual(5);
    zeroRemovedL2(ref, List.of("conv_0/weights", "conv_1/weights"), 0.5, new Consumer("conv_1/weights", 3, 1),
        new Consumer("conv_3/weights", 3, 1));
    zeroRemovedL2(ref, List.of("conv_3/weights"), 0.5, new Consumer("dense_8/weights", 1, 1));
    compare(pruned, ref, dir, "residual");
  }

  /** A group with an operand that cannot lose channels (a graph input, a per-channel constant) is skipped whole, with the reason. */
  @Test
  void groupsThatCannotBeRewiredAreSkippedWithTheirReason(@TempDir Path dir) throws Exception {
    GraphBuilder g = new GraphBuilder("unprunable", 6);
    var in = g.input("input", 1, 8, 8, 4);
    var a = g.conv2d(in, 4, 3, 1, true, "RELU");            // conv_0: ADD with the graph input
    var s = g.add(a, in, "NONE");
    var b = g.conv2d(s, 6, 1, 1, true, "RELU");             // conv_2: ADD with a per-channel constant
    var c = g.add(b, g.constant("per_channel", 0.1, 6), "NONE");
    var d = g.conv2d(c, 6, 1, 1, true, "RELU6");            // conv_4: prunable
    var m = g.globalAveragePool(d);
    g.output(g.softmax(g.dense(g.reshape(m, 1, 6), 3, "NONE")));
    EditableModel pruned = g.model();
    FilterPruner.Report r = FilterPruner.prune(pruned, new FilterPruner.Options().factor(0.5));
    System.out.print(FilterPruner.describe(r));
    Map<String, FilterPruner.Layer> byName = r.layers().stream().collect(Collectors.toMap(FilterPruner.Layer::name, Function.identity()));
    assertTrue(byName.get("conv_0/weights").skipped().contains("operand 'input' does not come from a prunable layer"), byName.toString());
    assertTrue(byName.get("conv_2/weights").skipped().contains("per-channel constant 'per_channel'"), byName.toString());
    assertEquals(3, byName.get("conv_4/weights").after());
    Path file = dir.resolve("unprunable.tflite");
    new ModelWriter().write(pruned, file);
    checkOracle(file, dir, "unprunable");
  }

  @Test
  void generatedMobileNetV2PrunesItsResidualChainsRunsAndLoadsInTflite(@TempDir Path dir) throws Exception {
    EditableModel m = Networks.byName("mobilenet_v2_0.35_96", 4);
    FilterPruner.Report r = FilterPruner.prune(m, new FilterPruner.Options().factor(0.25));
    System.out.print(FilterPruner.describe(r));
    // every CONV_2D is pruned now, the projections of the residual blocks too; only the classifier (SOFTMAX) stays
    assertEquals(1, r.skipped().size(), FilterPruner.describe(r));
    assertEquals("FULLY_CONNECTED", r.skipped().get(0).op());
    assertTrue(r.skipped().get(0).skipped().contains("SOFTMAX"), r.skipped().toString());
    assertTrue(r.pruned().size() >= 35, "all 35 CONV_2D: " + r.pruned().size());
    assertTrue(r.groups().size() >= 5, "the residual chains: " + r.groups());
    int projections = 0;
    for (FilterPruner.Group gr : r.groups()) {
      assertNull(gr.skipped(), gr.toString());
      assertEquals(List.of("ADD"), gr.tiedBy());
      assertTrue(gr.after() < gr.before(), gr.toString());
      for (String w : gr.layers()) {
        assertEquals(gr.after(), tensor(m, w).shape[0], w);
        projections++;
      }
    }
    assertTrue(projections >= 12, "projection convs in residual groups: " + projections);
    assertTrue(r.paramsAfter() < 0.8 * r.paramsBefore(), r.paramsAfter() + " of " + r.paramsBefore());
    Path file = dir.resolve("v2.tflite");
    new ModelWriter().write(m, file);
    float[] kompakt = PruningTest.run(file, dir)[0];
    assertTrue(Float.isFinite(kompakt[0]));
    checkOracle(file, dir, "mobilenet_v2_0.35_96");
  }

  /**
   * The correctness check of the rewiring: channels made dead on purpose (their filters zero in every producer of their
   * group, their biases zero, and those of the depthwise convs they pass) are the ones removed, and removing them does
   * not change the function: the logits of the pruned model equal the unpruned ones within float rounding. A live
   * channel removed instead would change them (checked on the model without dead channels).
   */
  @Test
  void deadChannelsOfResidualGroupsGoWithoutChangingTheOutputs(@TempDir Path dir) throws Exception {
    deadChannelsGoWithoutChangingTheOutputs(dir, "mobilenet_v2_0.35_96", withLogits(Networks.byName("mobilenet_v2_0.35_96", 7)), 0.25);
  }

  /**
   * CONCATENATION along the channels: each producer owns a range of the concatenation's channels; a concatenation of a
   * concatenation, a residual group inside one, a layer read by two concatenations and channels no layer makes (a pool of
   * the input) all keep their places.
   */
  static EditableModel concatNet(long seed) {
    GraphBuilder g = new GraphBuilder("concat", seed);
    var in = g.input("input", 1, 8, 8, 3);
    var a = g.conv2d(in, 8, 3, 1, true, "RELU");                 // conv_0
    var b = g.conv2d(in, 6, 1, 1, true, "RELU6");                // conv_1
    var p = g.pool("MAX_POOL_2D", in, 3, 1, true);               // 3 channels of the input: they stay
    var c = g.concatChannels(a, b, p);                           // 8 + 6 + 3
    var d = g.depthwise(c, 3, 1, true, "RELU6");
    var e = g.conv2d(d, 10, 1, 1, true, "RELU");
    var s = g.add(g.conv2d(c, 4, 1, 1, true, "NONE"), g.conv2d(d, 4, 1, 1, true, "NONE"), "RELU");  // a group of two
    var f = g.concatChannels(e, s, a, g.unary("RELU", c));     // 10 + 4 + 8 + 17
    var h = g.conv2d(f, 12, 1, 2, true, "RELU6");
    var m = g.globalAveragePool(g.concatChannels(h, g.pool("MAX_POOL_2D", f, 2, 2, true)));
    g.output(g.softmax(g.dense(g.reshape(m, 1, m.shape[3]), 5, "NONE")));
    return g.model();
  }

  @Test
  void concatenatedChannelsArePrunedAndRewired(@TempDir Path dir) throws Exception {
    EditableModel m = concatNet(8);
    FilterPruner.Report r = FilterPruner.prune(m, new FilterPruner.Options().factor(0.25));
    System.out.print(FilterPruner.describe(r));
    assertEquals(1, r.skipped().size(), "only the classifier: " + FilterPruner.describe(r));
    Map<String, FilterPruner.Layer> byName = r.layers().stream().collect(Collectors.toMap(FilterPruner.Layer::name, Function.identity()));
    assertEquals(6, byName.get("conv_0/weights").after());
    assertEquals(4, byName.get("conv_1/weights").after());
    int cat = 6 + 4 + 3;
    assertEquals(cat, tensor(m, "concat_3").shape[3]);
    assertArrayEquals(new int[] {1, 3, 3, cat}, tensor(m, "depthwise_4/weights").shape);
    assertEquals(cat, tensor(m, "conv_5/weights").shape[3]);
    assertEquals(3, byName.get("conv_6/weights").after());
    assertEquals(3, byName.get("conv_7/weights").after());
    assertEquals(List.of("conv_6/weights", "conv_7/weights"), r.groups().get(0).layers());
    int f = 7 + 3 + 6 + cat;
    assertEquals(f, tensor(m, "concat_10").shape[3]);
    assertEquals(f, tensor(m, "conv_11/weights").shape[3]);
    assertEquals(9, byName.get("conv_11/weights").after());
    assertArrayEquals(new int[] {5, 9 + f}, tensor(m, "dense_18/weights").shape);
    Path file = dir.resolve("concat.tflite");
    new ModelWriter().write(m, file);
    checkOracle(file, dir, "concat");
  }

  @Test
  void deadChannelsThroughConcatenationsGoWithoutChangingTheOutputs(@TempDir Path dir) throws Exception {
    deadChannelsGoWithoutChangingTheOutputs(dir, "concat", withLogits(concatNet(9)), 0.25);
  }

  /** conv -> PAD (spatial) -> depthwise (VALID) -> conv -> RESIZE_BILINEAR -> conv -> mean -> SQUEEZE -> dense -> softmax. */
  static EditableModel padResizeNet(long seed) {
    GraphBuilder g = new GraphBuilder("pad_resize", seed);
    var in = g.input("input", 1, 8, 8, 3);
    var a = g.conv2d(in, 8, 3, 1, true, "RELU");
    var p = manual(g, "PAD", null, new int[] {1, 10, 10, 8}, a, g.constantInts("paddings", new int[] {0, 0, 1, 1, 1, 1, 0, 0}, 4, 2));
    var d = g.depthwise(p, 3, 1, false, "RELU6");
    var b = g.conv2d(d, 6, 1, 1, true, "RELU");
    var r = manual(g, "RESIZE_BILINEAR", io.kompakt.engine.model.FlatTable.of("ResizeBilinearOptions"), new int[] {1, 16, 16, 6}, b,
        g.constantInts("size", new int[] {16, 16}, 2));
    var c = g.conv2d(r, 10, 3, 2, true, "RELU6");
    var sq = manual(g, "SQUEEZE", io.kompakt.engine.model.FlatTable.of("SqueezeOptions").set("squeeze_dims", new int[] {1, 2}),
        new int[] {1, 10}, g.globalAveragePool(c));
    g.output(g.softmax(g.dense(sq, 4, "NONE")));
    return g.model();
  }

  private static EditableModel.Tensor manual(GraphBuilder g, String code, io.kompakt.engine.model.FlatTable options, int[] shape,
                                             EditableModel.Tensor... in) {
    EditableModel.Subgraph sg = g.model().subgraphs.get(0);
    EditableModel.Tensor y = sg.add(new EditableModel.Tensor(code.toLowerCase(java.util.Locale.ROOT), io.kompakt.engine.model.TensorType.FLOAT32, shape));
    EditableModel.Operator op = new EditableModel.Operator(io.kompakt.engine.model.OpCode.builtin(code));
    op.inputs.addAll(List.of(in));
    op.outputs.add(y);
    op.options = options;
    sg.add(op);
    return y;
  }

  @Test
  void channelsFollowedThroughPadResizeAndSqueeze(@TempDir Path dir) throws Exception {
    EditableModel m = padResizeNet(12);
    FilterPruner.Report r = FilterPruner.prune(m, new FilterPruner.Options().factor(0.25));
    System.out.print(FilterPruner.describe(r));
    assertEquals(3, r.pruned().size(), FilterPruner.describe(r));
    assertArrayEquals(new int[] {1, 10, 10, 6}, tensor(m, "pad").shape);
    assertArrayEquals(new int[] {1, 16, 16, 4}, tensor(m, "resize_bilinear").shape);
    assertArrayEquals(new int[] {1, 7}, tensor(m, "squeeze").shape);
    deadChannelsGoWithoutChangingTheOutputs(dir, "pad_resize", withLogits(padResizeNet(13)), 0.25);
  }

  /** MobileNet V3 small: squeeze-and-excite MUL ties the expansion and the excitation conv into one group. */
  @Test
  void deadChannelsOfSqueezeExciteGroupsGoWithoutChangingTheOutputs(@TempDir Path dir) throws Exception {
    deadChannelsGoWithoutChangingTheOutputs(dir, "mobilenet_v3_small_224", withLogits(Networks.byName("mobilenet_v3_small_224", 5)), 0.25);
  }

  @Test
  void deadChannelsOfInceptionBlocksGoWithoutChangingTheOutputs(@TempDir Path dir) throws Exception {
    deadChannelsGoWithoutChangingTheOutputs(dir, "inception_v3_blocks_75", withLogits(Networks.byName("inception_v3_blocks_75", 3)), 0.25);
  }

  /**
   * The int8 MobileNet V2 (per-channel weights, per-tensor activations, int8 ADD): the residual groups lose channels
   * with their scales and zero points; dead channels go with the outputs byte for byte the same; TFLite runs the file.
   */
  @Test
  void quantizedMobileNetV2PrunesItsResidualGroupsExactly(@TempDir Path dir) throws Exception {
    EditableModel dead = withLogits(Networks.byName("mobilenet_v2_0.35_96", 11));
    int deadened = makeDead(dead, 0.25, new Random(11));
    Model f = Model.from(ModelWriter.toBytes(dead));
    io.kompakt.compress.quant.Calibrator c = io.kompakt.compress.quant.Calibrator.run(f,
        io.kompakt.compress.quant.Calibrator.random(8, 1, -1, 1), false, 1, null);
    EditableModel q = io.kompakt.compress.quant.FullIntegerQuantizer.quantize(f, c, new io.kompakt.compress.quant.FullIntegerQuantizer.Options());
    byte[] unpruned = ModelWriter.toBytes(q);
    FilterPruner.Report r = FilterPruner.prune(q, new FilterPruner.Options().factor(0.25));
    System.out.print(FilterPruner.describe(r));
    assertTrue(r.groups().size() >= 5 && r.groups().stream().allMatch(g -> g.skipped() == null), r.groups().toString());
    assertEquals(deadened, r.pruned().stream().mapToInt(l -> l.before() - l.after()).sum(), "exactly the dead channels removed");
    for (EditableModel.Operator op : q.subgraphs.get(0).operators) {
      String type = op.opCode.name();
      if (!type.equals("CONV_2D") && !type.equals("DEPTHWISE_CONV_2D")) continue;
      EditableModel.Tensor w = op.inputs.get(1);
      int axis = type.equals("CONV_2D") ? 0 : 3;
      assertEquals(w.shape[axis], w.quantization.scale().length, w + ": one scale per remaining channel");
      assertEquals(w.shape[axis], w.quantization.zeroPoint().length, w + ": one zero point per remaining channel");
      assertEquals(w.shape[axis], op.inputs.get(2).shape[0], "bias per remaining channel");
      assertEquals(w.shape[axis], op.inputs.get(2).quantization.scale().length, "bias scale per remaining channel");
    }
    Path file = dir.resolve("v2q.tflite");
    new ModelWriter().write(q, file);
    Model p = Model.load(file), u = Model.from(unpruned);
    for (float[] x : randomInputs(p, 3, 5)) {
      float[][] a = outputs(p, x), b = outputs(u, x);
      for (int o = 0; o < a.length; o++) assertArrayEquals(b[o], a[o], 0f, "int8 output " + o + " after removing dead channels");
    }
    if (!Oracle.available()) {
      System.out.println("node or the tflite-oracle tool not found: TFLite comparison of the pruned int8 MobileNet V2 skipped");
      return;
    }
    Path in = dir.resolve("in"), out = dir.resolve("out");
    assertEquals(0, Oracle.call("random", file.toString(), "3", in.toString()).exitCode());
    Oracle.Result o = Oracle.run(file, in, out);
    assertEquals(0, o.exitCode(), o.output());
    // TFLite too: the same bytes with the dead channels and without
    Path unprunedFile = dir.resolve("v2q-unpruned.tflite"), outU = dir.resolve("out-unpruned");
    Files.write(unprunedFile, unpruned);
    Oracle.Result ou = Oracle.run(unprunedFile, in, outU);
    assertEquals(0, ou.exitCode(), ou.output());
    for (int k = 0; k < 2; k++) {
      assertArrayEquals(Files.readAllBytes(outU.resolve("output_" + k + ".bin")), Files.readAllBytes(out.resolve("output_" + k + ".bin")),
          "TFLite's output " + k + " with and without the dead channels");
    }
    try (Interpreter it = new Interpreter(p)) {
      io.kompakt.data.TensorFiles.read(in.resolve("input_0.bin"), it.getInputTensor(0));
      it.invoke();
      // the outputs are float: the softmax (steps of 1/256) and the logits (steps of their int8 tensor's scale)
      float[] step = {1f / 256, logitScale(q)};
      for (int k = 0; k < 2; k++) {
        RuntimeTensor mine = it.getOutputTensor(k);
        ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_" + k + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        int differ = 0;
        double worst = 0;
        for (int i = 0; i < mine.size(); i++) {
          double d = Math.abs(want.getFloat(4 * i) - mine.get(i));
          if (d != 0) differ++;
          worst = Math.max(worst, d / step[k]);
          assertTrue(d <= 2 * step[k] + 1e-6, "output " + k + "[" + i + "]: " + mine.get(i) + " vs TFLite " + want.getFloat(4 * i));
        }
        System.out.println("pruned int8 MobileNet V2, output " + k + ": " + differ + " of " + mine.size()
            + " values differ from TFLite's, by at most " + worst + " steps");
      }
    }
  }

  /** The scale of the int8 logits (the tensor the second output is dequantized from). */
  private static float logitScale(EditableModel q) {
    EditableModel.Subgraph g = q.subgraphs.get(0);
    EditableModel.Tensor logits = g.outputs.get(1);
    for (EditableModel.Operator op : g.operators) {
      if (op.outputs.get(0) == logits && op.opCode.name().equals("DEQUANTIZE")) return op.inputs.get(0).quantization.scale()[0];
    }
    return logits.quantization.scale().length > 0 ? logits.quantization.scale()[0] : 1f;
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
    zero(m, List.of(weight), factor, false, consumers);
  }

  static void zeroRemovedL2(EditableModel m, List<String> weights, double factor, Consumer... consumers) {
    zero(m, weights, factor, true, consumers);
  }

  /** Ranks the filters of {@code weights} together (the L1 / L2 norm of each channel's filters in all of them). */
  private static void zero(EditableModel m, List<String> weights, double factor, boolean l2, Consumer... consumers) {
    int n = tensor(m, weights.get(0)).shape[0], remove = (int) Math.round(factor * n);
    double[] norm = new double[n];
    for (String weight : weights) {
      float[] v = floats(tensor(m, weight));
      int per = v.length / n;
      for (int f = 0; f < n; f++) for (int i = 0; i < per; i++) norm[f] += l2 ? v[f * per + i] * v[f * per + i] : Math.abs(v[f * per + i]);
    }
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

  // ----------------------------------------------------------------------------------------------- dead channels

  /** The model with the input of its SOFTMAX (the logits) as a second output: a softmax over 1001 classes hides differences. */
  static EditableModel withLogits(EditableModel m) {
    EditableModel.Subgraph g = m.subgraphs.get(0);
    for (EditableModel.Operator op : g.operators) if (op.opCode.name().equals("SOFTMAX")) g.outputs.add(op.inputs.get(0));
    return m;
  }

  /**
   * The test's own view of the channels, independent of the pruner: tensors joined by ADD and channel-preserving ops
   * (groups of the producers' outputs), and single channels joined also through CONCATENATION (where a channel goes).
   */
  private static final class Channels {
    final EditableModel.Subgraph g;
    final Map<EditableModel.Tensor, EditableModel.Tensor> parent = new java.util.IdentityHashMap<>();
    final Map<EditableModel.Tensor, Integer> base = new java.util.IdentityHashMap<>();
    int[] up = new int[0];

    Channels(EditableModel m) {
      g = m.subgraphs.get(0);
      for (EditableModel.Tensor t : g.tensors) {
        if (t.shape.length == 0 || t.buffer != null) continue;
        base.put(t, up.length);
        up = Arrays.copyOf(up, up.length + t.shape[t.shape.length - 1]);
      }
      for (int i = 0; i < up.length; i++) up[i] = i;
      for (EditableModel.Operator op : g.operators) {
        EditableModel.Tensor y = op.outputs.get(0);
        switch (op.opCode.name()) {
          case "ADD": case "MUL":
            for (EditableModel.Tensor x : op.inputs) if (base.containsKey(x) && last(x) == last(y)) join(x, y, 0);
            break;
          case "DEPTHWISE_CONV_2D": case "RELU": case "RELU6": case "HARD_SWISH": case "AVERAGE_POOL_2D": case "MAX_POOL_2D": case "MEAN":
            join(op.inputs.get(0), y, 0);
            break;
          case "RESHAPE": case "SQUEEZE": case "PAD": case "RESIZE_BILINEAR":
            if (last(op.inputs.get(0)) == last(y)) join(op.inputs.get(0), y, 0);
            break;
          case "CONCATENATION": {
            int at = 0;
            for (EditableModel.Tensor x : op.inputs) {
              for (int c = 0; c < last(x); c++) unite(base.get(x) + c, base.get(y) + at + c);
              at += last(x);
            }
            break;
          }
          default:
        }
      }
    }

    static int last(EditableModel.Tensor t) { return t.shape.length == 0 ? 1 : t.shape[t.shape.length - 1]; }

    EditableModel.Tensor root(EditableModel.Tensor t) {
      while (parent.containsKey(t)) t = parent.get(t);
      return t;
    }

    int find(int i) { return up[i] == i ? i : (up[i] = find(up[i])); }

    void unite(int a, int b) { up[find(a)] = find(b); }

    /** Same channels: the tensors (groups) and each channel. */
    void join(EditableModel.Tensor x, EditableModel.Tensor y, int offset) {
      EditableModel.Tensor a = root(x), b = root(y);
      if (a != b) parent.put(a, b);
      for (int c = 0; c < last(x); c++) unite(base.get(x) + c, base.get(y) + offset + c);
    }

    int channel(EditableModel.Tensor t, int c) { return find(base.get(t) + c); }
  }

  /**
   * Makes {@code round(factor * C)} random channels of every channel group dead (the pruner's count): zero filters and
   * biases in every producer of the group and zero biases in the depthwise convs those channels pass. Groups that reach
   * an output or SOFTMAX (the classifier) are left alone. Returns the filters made dead (channels x producers).
   */
  static int makeDead(EditableModel m, double factor, Random random) {
    Channels ch = new Channels(m);
    Map<EditableModel.Tensor, List<EditableModel.Operator>> groups = new java.util.LinkedHashMap<>();
    java.util.Set<EditableModel.Tensor> leftAlone = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (EditableModel.Tensor t : ch.g.outputs) leftAlone.add(ch.root(t));
    for (EditableModel.Operator op : ch.g.operators) {
      String type = op.opCode.name();
      if (type.equals("SOFTMAX")) leftAlone.add(ch.root(op.inputs.get(0)));
      if (type.equals("CONV_2D") || type.equals("FULLY_CONNECTED")) {
        groups.computeIfAbsent(ch.root(op.outputs.get(0)), k -> new ArrayList<>()).add(op);
      }
    }
    java.util.Set<Integer> dead = new java.util.HashSet<>();
    int filters = 0;
    for (Map.Entry<EditableModel.Tensor, List<EditableModel.Operator>> e : groups.entrySet()) {
      if (leftAlone.contains(e.getKey())) continue;
      int n = Channels.last(e.getValue().get(0).outputs.get(0)), k = (int) Math.min(n - 1, Math.round(factor * n));
      List<Integer> order = new ArrayList<>();
      for (int c = 0; c < n; c++) order.add(c);
      java.util.Collections.shuffle(order, random);
      boolean[] gone = new boolean[n];
      for (int c : order.subList(0, k)) gone[c] = true;
      for (EditableModel.Operator p : e.getValue()) {
        zeroChannels(m, p.inputs.get(1), 0, gone);
        if (p.inputs.size() > 2 && p.inputs.get(2) != null) zeroChannels(m, p.inputs.get(2), 0, gone);
        for (int c = 0; c < n; c++) if (gone[c]) dead.add(ch.channel(p.outputs.get(0), c));
        filters += k;
      }
    }
    for (EditableModel.Operator op : ch.g.operators) {
      if (!op.opCode.name().equals("DEPTHWISE_CONV_2D")) continue;
      EditableModel.Tensor in = op.inputs.get(0);
      boolean[] gone = new boolean[Channels.last(in)];
      for (int c = 0; c < gone.length; c++) gone[c] = dead.contains(ch.channel(in, c));
      zeroChannels(m, op.inputs.get(2), 0, gone);
    }
    return filters;
  }

  /** Zeroes the indices {@code gone} of {@code axis} of a float constant. */
  static void zeroChannels(EditableModel m, EditableModel.Tensor t, int axis, boolean[] gone) {
    float[] v = floats(t);
    int inner = 1;
    for (int i = axis + 1; i < t.shape.length; i++) inner *= t.shape[i];
    for (int i = 0; i < v.length; i++) if (gone[(i / inner) % t.shape[axis]]) v[i] = 0f;
    setFloats(m, t, v);
  }

  /**
   * Dead channels made on purpose are what {@code factor} removes, and the pruned model computes the same function
   * (every output within float rounding); pruning the same model without dead channels changes the logits (the check
   * would see a wrong channel); real TFLite loads the pruned file and agrees with Kompakt.
   */
  static void deadChannelsGoWithoutChangingTheOutputs(Path dir, String what, EditableModel model, double factor) throws Exception {
    byte[] original = ModelWriter.toBytes(model);
    EditableModel dead = EditableModel.from(Model.from(original));
    int deadened = makeDead(dead, factor, new Random(1));
    byte[] unpruned = ModelWriter.toBytes(dead);
    EditableModel pruned = EditableModel.from(Model.from(unpruned));
    FilterPruner.Report r = FilterPruner.prune(pruned, new FilterPruner.Options().factor(factor));
    System.out.print(FilterPruner.describe(r));
    assertEquals(deadened, r.pruned().stream().mapToInt(l -> l.before() - l.after()).sum(), "the dead filters are the ones removed");
    Model p = Model.from(ModelWriter.toBytes(pruned)), u = Model.from(unpruned);
    double worst = 0;
    for (float[] x : randomInputs(p, 3, 2)) {
      float[][] a = outputs(p, x), b = outputs(u, x);
      for (int o = 0; o < a.length; o++) {
        for (int i = 0; i < a[o].length; i++) {
          worst = Math.max(worst, Math.abs(a[o][i] - b[o][i]));
          assertTrue(Math.abs(a[o][i] - b[o][i]) <= 1e-4 * Math.abs(b[o][i]) + 1e-5,
              what + " output " + o + "[" + i + "]: pruned " + a[o][i] + ", unpruned " + b[o][i]);
        }
      }
    }
    System.out.println(what + ": removing " + deadened + " dead filters changed the outputs by at most " + worst);
    // the same pruning of live channels changes the logits: the comparison above would see a wrong channel removed
    EditableModel live = EditableModel.from(Model.from(original));
    FilterPruner.prune(live, new FilterPruner.Options().factor(factor));
    float[] x = randomInputs(p, 1, 3)[0];
    float[] a = outputs(Model.from(ModelWriter.toBytes(live)), x)[1], b = outputs(Model.from(original), x)[1];
    double change = 0;
    for (int i = 0; i < a.length; i++) change = Math.max(change, Math.abs(a[i] - b[i]));
    assertTrue(change > 1e-3, what + ": pruning live channels changes the logits by only " + change);
    Path file = dir.resolve(what + "-dead.tflite");
    new ModelWriter().write(pruned, file);
    checkOracle(file, dir, what + "-dead");
  }

  static float[][] outputs(Model m, float[] input) {
    try (Interpreter it = new Interpreter(m)) {
      RuntimeTensor in = it.getInputTensor(0);
      System.arraycopy(input, 0, in.f32, in.offset, input.length);
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
