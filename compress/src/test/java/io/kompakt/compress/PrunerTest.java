package io.kompakt.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link Pruner}: achieved sparsity, N:M and block patterns, smallest magnitudes, selection, quantized weights, schedule. */
class PrunerTest {
  static EditableModel model(long seed) { return DynamicRangeQuantizerTest.model(8, 16, 12, seed); }

  static float[] floats(EditableModel.Tensor t) { return DynamicRangeQuantizerTest.floats(t); }

  @Property(tries = 40)
  void perLayerSparsityIsTheTargetWithinRounding(@ForAll @DoubleRange(min = 0, max = 1) double target, @ForAll long seed) {
    EditableModel m = model(seed);
    float[][] before = new float[3][];
    for (int i = 0; i < 3; i++) before[i] = floats(DynamicRangeQuantizerTest.weights(m, i));
    Pruner.Report r = Pruner.prune(m, new Pruner.Options().sparsity(target));
    assertEquals(3, r.layers().size());
    for (int i = 0; i < 3; i++) {
      float[] after = floats(DynamicRangeQuantizerTest.weights(m, i));
      int n = after.length, zeros = 0;
      for (float v : after) if (v == 0) zeros++;
      assertEquals(Math.round(target * n), zeros, "layer " + i);
      assertEquals((double) zeros / n, r.layers().get(i).after(), 1e-12);
      // every pruned weight is no larger than every kept one, kept weights unchanged
      float maxPruned = 0, minKept = Float.MAX_VALUE;
      for (int k = 0; k < n; k++) {
        if (after[k] == 0) maxPruned = Math.max(maxPruned, Math.abs(before[i][k]));
        else { minKept = Math.min(minKept, Math.abs(before[i][k])); assertEquals(before[i][k], after[k]); }
      }
      assertTrue(maxPruned <= minKept, "layer " + i + ": pruned " + maxPruned + " > kept " + minKept);
    }
  }

  @Property(tries = 30)
  void globalScopeUsesOneThreshold(@ForAll @DoubleRange(min = 0.05, max = 0.95) double target, @ForAll long seed) {
    EditableModel m = model(seed);
    float[][] before = new float[3][];
    for (int i = 0; i < 3; i++) before[i] = floats(DynamicRangeQuantizerTest.weights(m, i));
    Pruner.Report r = Pruner.prune(m, new Pruner.Options().sparsity(target).scope(Pruner.Scope.GLOBAL));
    long zeros = 0, total = 0;
    float maxPruned = 0, minKept = Float.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      float[] after = floats(DynamicRangeQuantizerTest.weights(m, i));
      for (int k = 0; k < after.length; k++) {
        total++;
        if (after[k] == 0) { zeros++; maxPruned = Math.max(maxPruned, Math.abs(before[i][k])); } else minKept = Math.min(minKept, Math.abs(before[i][k]));
      }
    }
    assertEquals(Math.round(target * total), zeros);
    assertEquals((double) zeros / total, r.after(), 1e-12);
    assertTrue(maxPruned <= minKept);
  }

  @Property(tries = 30)
  void nOfMHoldsInEveryGroup(@ForAll @IntRange(min = 1, max = 4) int m, @ForAll @IntRange(min = 0, max = 4) int n, @ForAll long seed) {
    if (n > m || 16 % m != 0) return;
    EditableModel model = model(seed);
    float[] before = floats(DynamicRangeQuantizerTest.weights(model, 0));
    Pruner.prune(model, new Pruner.Options().structure(Pruner.Structure.nOfM(n, m)));
    for (int op = 0; op < 3; op++) {
      EditableModel.Tensor w = DynamicRangeQuantizerTest.weights(model, op);
      int last = w.shape[w.shape.length - 1];
      if (last % m != 0) continue;
      float[] after = floats(w);
      for (int g = 0; g < after.length; g += m) {
        int nonZero = 0;
        for (int k = 0; k < m; k++) if (after[g + k] != 0) nonZero++;
        assertEquals(n, nonZero, "op " + op + " group " + g);
      }
    }
    // in the conv weight, the kept ones are the largest of their group
    float[] after = floats(DynamicRangeQuantizerTest.weights(model, 0));
    for (int g = 0; g < after.length; g += m) {
      for (int a = 0; a < m; a++) for (int b = 0; b < m; b++) {
        if (after[g + a] == 0 && after[g + b] != 0) assertTrue(Math.abs(before[g + a]) <= Math.abs(before[g + b]));
      }
    }
  }

  @Test
  void blocksArePrunedWhole() {
    for (Pruner.Structure s : List.of(Pruner.Structure.BLOCK_1X4, Pruner.Structure.BLOCK_4X1, Pruner.Structure.parse("block2x2"))) {
      EditableModel m = model(3);
      Pruner.prune(m, new Pruner.Options().sparsity(0.75).structure(s).ops(Set.of("FULLY_CONNECTED")));
      EditableModel.Tensor w = DynamicRangeQuantizerTest.weights(m, 2); // [12, 1024]
      float[] v = floats(w);
      int cols = w.shape[1], zeros = 0;
      for (int r = 0; r < w.shape[0]; r += s.blockFirst()) {
        for (int c = 0; c < cols; c += s.blockLast()) {
          int z = 0;
          for (int a = 0; a < s.blockFirst(); a++) for (int b = 0; b < s.blockLast(); b++) if (v[(r + a) * cols + c + b] == 0) z++;
          assertTrue(z == 0 || z == s.blockFirst() * s.blockLast(), s + " block at " + r + "," + c);
          zeros += z;
        }
      }
      assertEquals(0.75, (double) zeros / v.length, 1e-9);
      // only the dense layer was touched
      assertTrue(floats(DynamicRangeQuantizerTest.weights(m, 0))[0] != 0 || floats(DynamicRangeQuantizerTest.weights(m, 0))[1] != 0);
    }
  }

  @Test
  void aPartialLastBlockAlongTheOutputsIsPrunedWhole() {
    EditableModel m = model(3);
    Pruner.prune(m, new Pruner.Options().sparsity(0.5).structure(Pruner.Structure.parse("block8x1")).ops(Set.of("FULLY_CONNECTED")));
    EditableModel.Tensor w = DynamicRangeQuantizerTest.weights(m, 2); // [12, 1024]: blocks of rows 0-7 and 8-11
    float[] v = floats(w);
    int cols = w.shape[1], prunedBlocks = 0;
    for (int c = 0; c < cols; c++) {
      for (int[] rows : new int[][] {{0, 8}, {8, 12}}) {
        int z = 0;
        for (int r = rows[0]; r < rows[1]; r++) if (v[r * cols + c] == 0) z++;
        assertTrue(z == 0 || z == rows[1] - rows[0], "block rows " + rows[0] + "-" + rows[1] + " column " + c + ": " + z + " zeros");
        if (z > 0) prunedBlocks++;
      }
    }
    assertEquals(1024, prunedBlocks); // half of the 2048 blocks
  }

  @Test
  void blockPatternsParse() {
    assertEquals(Pruner.Structure.BLOCK_4X1, Pruner.Structure.parse("block4x1"));
    Pruner.Structure b = Pruner.Structure.parse(" Block8x1 ");
    assertEquals(8, b.blockFirst());
    assertEquals(1, b.blockLast());
    assertEquals("block8x1", b.name());
    for (String bad : new String[] {"block0x4", "block1x1", "block65x1", "block8x", "blocks"}) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Pruner.Structure.parse(bad), bad);
      assertTrue(e.getMessage().contains("block"), e.getMessage());
    }
  }

  @Test
  void selectionByRegexAndSkipList() {
    EditableModel m = model(4);
    Pruner.Report r = Pruner.prune(m, new Pruner.Options().sparsity(0.5).include("w$").skip(Set.of("dw_w")));
    assertEquals(List.of("conv_w", "fc_w"), r.layers().stream().map(Pruner.Layer::name).toList());
    r = Pruner.prune(model(4), new Pruner.Options().sparsity(0.5).include("^d$"));
    assertEquals(List.of("dw_w"), r.layers().stream().map(Pruner.Layer::name).toList()); // by the op's output name
  }

  @Test
  void quantizedWeightsPruneToTheirChannelZeroPoint() {
    EditableModel m = model(5);
    EditableModel.Tensor w = DynamicRangeQuantizerTest.weights(m, 1); // depthwise [1, 3, 3, 16], per channel on dim 3
    int n = (int) w.elementCount();
    float[] scales = new float[16];
    long[] zps = new long[16];
    Random r = new Random(5);
    ByteBuffer b = ByteBuffer.allocate(n);
    for (int c = 0; c < 16; c++) { scales[c] = (float) Math.pow(10, -2 * r.nextDouble()); zps[c] = 120 + c; }
    for (int i = 0; i < n; i++) b.put((byte) (r.nextInt(200) - 100));
    b.flip();
    w.type = TensorType.UINT8;
    w.buffer = m.addBuffer(b);
    w.quantization = Quantization.perChannel(scales, zps, 3);
    byte[] before = new byte[n];
    w.buffer.data().get(before);
    Pruner.prune(m, new Pruner.Options().sparsity(0.5).ops(Set.of("DEPTHWISE_CONV_2D")));
    byte[] after = new byte[n];
    w.buffer.data().get(after);
    double maxPruned = 0, minKept = Double.MAX_VALUE;
    int pruned = 0;
    for (int i = 0; i < n; i++) {
      int c = i % 16;
      double real = Math.abs(((before[i] & 0xFF) - zps[c]) * (double) scales[c]);
      if ((after[i] & 0xFF) == zps[c] && before[i] != after[i] || real == 0) { pruned++; maxPruned = Math.max(maxPruned, real); }
      else { minKept = Math.min(minKept, real); assertEquals(before[i], after[i]); }
    }
    assertEquals(Math.round(0.5 * n), pruned);
    assertTrue(maxPruned <= minKept);
  }

  @Test
  void prunedModelStoredSparseRunsLikeTheDenseOne() throws Exception {
    EditableModel m = model(6);
    Pruner.prune(m, new Pruner.Options().sparsity(0.8));
    byte[] dense = ModelWriter.toBytes(m);
    SparseEncoder.Report rep = SparseEncoder.encode(m, new SparseEncoder.Options());
    assertEquals(3, rep.encoded().size());
    assertEquals(3, rep.densifyOps());
    byte[] sparse = ModelWriter.toBytes(m);
    assertTrue(sparse.length < dense.length, sparse.length + " vs " + dense.length);
    Model sm = Model.from(sparse);
    assertEquals("DENSIFY", sm.subgraphs().get(0).operators().get(0).opCode().name());
    float[] in = new float[8 * 8 * 8];
    Random r = new Random(1);
    for (int i = 0; i < in.length; i++) in[i] = (float) r.nextGaussian();
    float[] a = run(Model.from(dense), in), b = run(sm, in);
    assertArrayEquals(a, b);
    SizeReport s = SizeReport.of(EditableModel.from(Model.from(dense)));
    assertEquals(dense.length, s.raw());
    assertEquals(sparse.length, s.sparse());
    assertTrue(s.gzip() < s.raw());
  }

  static float[] run(Model model, float[] in) {
    try (Interpreter it = new Interpreter(model)) {
      float[] out = new float[12];
      ByteBuffer ib = ByteBuffer.allocate(4 * in.length).order(ByteOrder.nativeOrder());
      for (float v : in) ib.putFloat(v);
      ib.flip();
      it.getInputTensor(0).readFrom(ib);
      it.invoke();
      for (int i = 0; i < 12; i++) out[i] = (float) it.getOutputTensor(0).get(i);
      return out;
    }
  }

  @Test
  void polynomialDecayAsTfModelOptimization() {
    Pruner.PolynomialDecay d = new Pruner.PolynomialDecay(0.1, 0.9, 100, 1100);
    assertEquals(0.1, d.sparsity(0), 1e-12);
    assertEquals(0.1, d.sparsity(100), 1e-12);
    assertEquals(0.9 + (0.1 - 0.9) * Math.pow(0.5, 3), d.sparsity(600), 1e-12);
    assertEquals(0.9, d.sparsity(1100), 1e-12);
    assertEquals(0.9, d.sparsity(5000), 1e-12);
    assertTrue(d.shouldPrune(100) && d.shouldPrune(200) && !d.shouldPrune(150) && !d.shouldPrune(0) && !d.shouldPrune(1200));
  }
}
