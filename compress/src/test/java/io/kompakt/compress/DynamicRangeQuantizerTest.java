package io.kompakt.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@link DynamicRangeQuantizer}: which weights, which axes, the values, the FULLY_CONNECTED option, shared weights. */
class DynamicRangeQuantizerTest {
  /** conv [outC, 3, 3, inC] on a 1x8x8xinC input, then depthwise 3x3, then a dense layer of {@code units}. */
  static EditableModel model(int inC, int outC, int units, long seed) {
    Random r = new Random(seed);
    EditableModel m = new EditableModel();
    EditableModel.Subgraph g = m.addSubgraph("main");
    EditableModel.Tensor x = g.add(new EditableModel.Tensor("x", TensorType.FLOAT32, 1, 8, 8, inC));
    g.inputs.add(x);
    EditableModel.Tensor c = g.add(new EditableModel.Tensor("c", TensorType.FLOAT32, 1, 8, 8, outC));
    op(g, "CONV_2D", FlatTable.of("Conv2DOptions").set("padding", "SAME").set("stride_w", 1).set("stride_h", 1), c,
        x, constant(m, g, "conv_w", r, outC, 3, 3, inC), constant(m, g, "conv_b", r, outC));
    EditableModel.Tensor d = g.add(new EditableModel.Tensor("d", TensorType.FLOAT32, 1, 8, 8, outC));
    op(g, "DEPTHWISE_CONV_2D", FlatTable.of("DepthwiseConv2DOptions").set("padding", "SAME").set("stride_w", 1).set("stride_h", 1)
        .set("depth_multiplier", 1), d, c, constant(m, g, "dw_w", r, 1, 3, 3, outC), constant(m, g, "dw_b", r, outC));
    EditableModel.Tensor y = g.add(new EditableModel.Tensor("y", TensorType.FLOAT32, 1, units));
    op(g, "FULLY_CONNECTED", FlatTable.of("FullyConnectedOptions"), y, d, constant(m, g, "fc_w", r, units, 64 * outC),
        constant(m, g, "fc_b", r, units));
    g.outputs.add(y);
    return m;
  }

  static EditableModel.Tensor constant(EditableModel m, EditableModel.Subgraph g, String name, Random r, int... shape) {
    EditableModel.Tensor t = new EditableModel.Tensor(name, TensorType.FLOAT32, shape);
    int n = (int) t.elementCount();
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    double channelScale = Math.pow(10, 2 * r.nextDouble() - 1);
    for (int i = 0; i < n; i++) b.putFloat((float) (r.nextGaussian() * channelScale * (1 + i % 3)));
    b.flip();
    t.buffer = m.addBuffer(b);
    return g.add(t);
  }

  static void op(EditableModel.Subgraph g, String code, FlatTable options, EditableModel.Tensor out, EditableModel.Tensor... in) {
    EditableModel.Operator op = new EditableModel.Operator(OpCode.builtin(code));
    op.options = options;
    for (EditableModel.Tensor t : in) op.inputs.add(t);
    op.outputs.add(out);
    g.add(op);
  }

  static EditableModel.Tensor weights(EditableModel m, int op) { return m.subgraphs.get(0).operators.get(op).inputs.get(1); }

  static float[] floats(EditableModel.Tensor t) {
    float[] v = new float[(int) t.elementCount()];
    t.buffer.data().asFloatBuffer().get(v);
    return v;
  }

  @Test
  void quantizesTheThreeOpsWithTheirAxes() {
    EditableModel m = model(8, 16, 10, 1); // conv 1152, depthwise 144 (< 1024), dense 10240 elements
    DynamicRangeQuantizer.Report r = DynamicRangeQuantizer.quantize(m);
    assertEquals(2, r.quantized());
    assertEquals(1, r.skippedSmall());
    assertEquals(4L * (1152 + 10240), r.floatBytes());
    assertEquals(1152 + 10240, r.int8Bytes());
    EditableModel.Tensor conv = weights(m, 0), dw = weights(m, 1), fc = weights(m, 2);
    assertEquals(TensorType.INT8, conv.type);
    assertEquals(16, conv.quantization.scale().length);
    assertEquals(0, conv.quantization.quantizedDimension());
    assertEquals(TensorType.FLOAT32, dw.type);
    assertEquals(TensorType.INT8, fc.type);
    assertEquals(1, fc.quantization.scale().length);
    assertTrue(m.subgraphs.get(0).operators.get(2).options.getBool("asymmetric_quantize_inputs"));
    assertEquals(Quantization.NONE, m.subgraphs.get(0).operators.get(0).inputs.get(2).quantization, "biases stay float");

    EditableModel big = model(8, 128, 10, 2); // depthwise 1152 elements
    DynamicRangeQuantizer.quantize(big, DynamicRangeQuantizer.Options.latestConverter());
    assertEquals(3, weights(big, 1).quantization.quantizedDimension());
    assertEquals(128, weights(big, 1).quantization.scale().length);
    assertEquals(10, weights(big, 2).quantization.scale().length);
    assertEquals(0, weights(big, 2).quantization.quantizedDimension());
  }

  @Test
  void thresholdIsInclusive() {
    EditableModel m = model(8, 16, 10, 3);
    DynamicRangeQuantizer.quantize(m, DynamicRangeQuantizer.Options.defaults().withMinElements(1152));
    assertEquals(TensorType.INT8, weights(m, 0).type);
    m = model(8, 16, 10, 3);
    DynamicRangeQuantizer.quantize(m, DynamicRangeQuantizer.Options.defaults().withMinElements(1153));
    assertEquals(TensorType.FLOAT32, weights(m, 0).type);
  }

  /** The converter's values: per channel, scale max|w| / 127 (float of the double), q = round(w / scale). */
  @Property(tries = 200)
  void valuesAreSymmetricNarrowRange(@ForAll @IntRange(min = 1, max = 6) int channels, @ForAll @IntRange(min = 1, max = 40) int inner,
                                     @ForAll boolean perChannel, @ForAll long seed) {
    Random r = new Random(seed);
    float[] w = new float[channels * inner];
    for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2));
    if (channels > 1 && r.nextBoolean()) java.util.Arrays.fill(w, 0, inner, 0f); // an all-zero channel
    DynamicRangeQuantizer.QuantizedWeights q = DynamicRangeQuantizer.quantizeWeights(w, new int[] {channels, inner}, perChannel ? 0 : -1);
    float[] scales = q.quantization().scale();
    assertEquals(perChannel ? channels : 1, scales.length);
    assertArrayEquals(new long[scales.length], q.quantization().zeroPoint());
    for (int c = 0; c < scales.length; c++) {
      double max = 0;
      int from = perChannel ? c * inner : 0, to = perChannel ? from + inner : w.length;
      for (int i = from; i < to; i++) max = Math.max(max, Math.abs(w[i]));
      double scale = max * 2 > 1e-6 ? max / 127 : 1e-6 / 254;
      assertEquals((float) scale, scales[c], Math.ulp((float) scale));
      int largest = 0;
      for (int i = from; i < to; i++) {
        int v = q.values()[i];
        assertTrue(v >= -127 && v <= 127);
        assertTrue(Math.abs(v * (double) scales[c] - w[i]) <= scales[c] * 0.5000001 + 1e-12, w[i] + " -> " + v);
        largest = Math.max(largest, Math.abs(v));
      }
      assertEquals(max * 2 > 1e-6 ? 127 : 0, largest, "the largest magnitude maps to 127");
    }
  }

  @Test
  void sharedWeightsKeepTheirFloatUse() {
    EditableModel m = model(8, 16, 10, 4);
    EditableModel.Subgraph g = m.subgraphs.get(0);
    EditableModel.Tensor fcWeights = weights(m, 2);
    g.outputs.add(g.operators.get(0).inputs.get(1)); // the conv weights are also a graph output: not quantized
    EditableModel.Tensor extra = g.add(new EditableModel.Tensor("z", TensorType.FLOAT32, 10, 1024));
    op(g, "ADD", FlatTable.of("AddOptions"), extra, fcWeights, fcWeights); // the dense weights also feed an ADD
    DynamicRangeQuantizer.quantize(m);
    assertEquals(TensorType.FLOAT32, weights(m, 0).type);
    EditableModel.Tensor quantized = weights(m, 2);
    assertNotSame(fcWeights, quantized);
    assertEquals(TensorType.INT8, quantized.type);
    assertSame(fcWeights, g.operators.get(3).inputs.get(0));
    assertEquals(TensorType.FLOAT32, fcWeights.type);
    assertTrue(g.tensors.contains(fcWeights) && g.tensors.contains(quantized));
  }

  /** The quantized model writes, loads and runs; its output is near the float model's. */
  @Test
  void quantizedModelRunsNearTheFloatOne() {
    EditableModel f = model(8, 128, 10, 5), q = model(8, 128, 10, 5);
    DynamicRangeQuantizer.Report r = DynamicRangeQuantizer.quantize(q);
    assertEquals(3, r.quantized());
    byte[] fb = ModelWriter.toBytes(f), qb = ModelWriter.toBytes(q);
    assertTrue(qb.length < fb.length * 0.3, qb.length + " vs " + fb.length);
    float[] x = new float[8 * 8 * 8];
    Random rnd = new Random(6);
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    float[] yf = run(fb, x), yq = run(qb, x);
    double norm = 0, err = 0;
    for (int i = 0; i < yf.length; i++) {
      norm += yf[i] * (double) yf[i];
      err += (yf[i] - yq[i]) * (double) (yf[i] - yq[i]);
    }
    assertTrue(Math.sqrt(err / norm) < 0.05, "relative error " + Math.sqrt(err / norm));
  }

  static float[] run(byte[] model, float[] x) {
    try (Interpreter it = new Interpreter(Model.from(model), new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      System.arraycopy(x, 0, it.getInputTensor(0).f32, it.getInputTensor(0).offset, x.length);
      it.invoke();
      float[] y = new float[it.getOutputTensor(0).size()];
      System.arraycopy(it.getOutputTensor(0).f32, it.getOutputTensor(0).offset, y, 0, y.length);
      return y;
    }
  }
}
