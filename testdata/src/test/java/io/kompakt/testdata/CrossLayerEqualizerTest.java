package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.CrossLayerEqualizer;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.compress.quant.QuantReport;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Cross-layer equalisation: the float function stays (activations NONE and RELU between the layers), each pair's
 * per-channel weight ranges become more alike, RELU6 layers are left alone unless asked, and per-tensor (uint8)
 * quantization gets better.
 */
class CrossLayerEqualizerTest {
  /**
   * conv (NONE) -> depthwise (RELU) -> pointwise conv (RELU) -> reshape -> dense (RELU) -> dense: three pairs (the
   * reshape breaks the chain) whose channels are made unequal the way batch-norm folding leaves them: output channel
   * i of the first layer times f_i, the matching input channel of the second divided by f_i (the same function).
   */
  static EditableModel net(long seed, String firstActivation) {
    GraphBuilder b = new GraphBuilder("unequal channels", seed);
    Tensor x = b.input("image", 1, 8, 8, 3);
    x = b.conv2d(x, 8, 3, 1, true, firstActivation);
    x = b.depthwise(x, 3, 1, true, "RELU");
    x = b.conv2d(x, 6, 1, 1, true, "RELU");
    x = b.reshape(x, 1, 8 * 8 * 6);
    x = b.dense(x, 10, "RELU");
    b.output(b.dense(x, 4, "NONE"));
    EditableModel m = b.model();
    List<Operator> ops = m.subgraphs.get(0).operators;
    Random r = new Random(seed);
    unbalance(m, ops.get(0), ops.get(1), r);
    unbalance(m, ops.get(1), ops.get(2), r);
    unbalance(m, ops.get(4), ops.get(5), r);
    return m;
  }

  /** Output channel i of {@code a} times f_i, input channel i of {@code b} divided by it, f_i in [1/30, 30]. */
  static void unbalance(EditableModel m, Operator a, Operator b, Random r) {
    Tensor wa = a.inputs.get(1), ba = a.inputs.get(2), wb = b.inputs.get(1);
    boolean dwA = a.opCode.name().equals("DEPTHWISE_CONV_2D"), dwB = b.opCode.name().equals("DEPTHWISE_CONV_2D");
    int channels = dwA ? wa.shape[3] : wa.shape[0];
    double[] f = new double[channels];
    for (int i = 0; i < channels; i++) f[i] = Math.exp((2 * r.nextDouble() - 1) * Math.log(30));
    float[] va = wa.floats(), vb = wb.floats(), bias = ba.floats();
    for (int i = 0; i < va.length; i++) va[i] *= f[dwA ? i % channels : i / (va.length / channels)];
    for (int c = 0; c < channels; c++) bias[c] *= f[c];
    int last = wb.shape[wb.shape.length - 1];
    for (int i = 0; i < vb.length; i++) vb[i] /= f[dwB ? i % last : i % last % channels];
    wa.buffer = m.addFloats(va);
    ba.buffer = m.addFloats(bias);
    wb.buffer = m.addFloats(vb);
    m.removeUnusedBuffers();
  }

  /** Per output channel (first layer) or input channel (second layer) max |w|. */
  static double[] ranges(Operator op, boolean output, int channels) {
    Tensor w = op.inputs.get(1);
    float[] v = w.floats();
    String type = op.opCode.name();
    double[] r = new double[channels];
    int last = w.shape[w.shape.length - 1];
    for (int i = 0; i < v.length; i++) {
      int c;
      if (type.equals("DEPTHWISE_CONV_2D")) c = i % last;
      else if (output) c = i / (v.length / w.shape[0]);
      else c = i % last % channels;
      r[c] = Math.max(r[c], Math.abs(v[i]));
    }
    return r;
  }

  /** Mean over channels of range / largest range (1: all equal). */
  static double evenness(double[] r) {
    double max = 0, sum = 0;
    for (double v : r) max = Math.max(max, v);
    for (double v : r) sum += v / max;
    return sum / r.length;
  }

  static double[] pairEvenness(EditableModel m) {
    List<Operator> ops = m.subgraphs.get(0).operators;
    int[][] pairs = {{0, 1}, {1, 2}, {4, 5}};
    double[] e = new double[6];
    for (int p = 0; p < pairs.length; p++) {
      Operator a = ops.get(pairs[p][0]), b = ops.get(pairs[p][1]);
      int channels = a.opCode.name().equals("DEPTHWISE_CONV_2D") ? a.inputs.get(1).shape[3] : a.inputs.get(1).shape[0];
      e[2 * p] = evenness(ranges(a, true, channels));
      e[2 * p + 1] = evenness(ranges(b, false, channels));
    }
    return e;
  }

  static float[] run(Model m, float[] x) throws Exception { return BatchNormFolderTest.run(m, x); }

  @Test
  void floatOutputsStayAndChannelRangesEvenOut() throws Exception {
    for (String first : new String[] {"NONE", "RELU"}) {
      EditableModel e = net(11, first);
      Model before = Model.from(ModelWriter.toBytes(e));
      double[] evenBefore = pairEvenness(e);
      CrossLayerEqualizer.Report r = CrossLayerEqualizer.equalize(e, new CrossLayerEqualizer.Options());
      assertEquals(3, r.count(), r.pairs().toString());
      assertFalse(r.changesFloatModel());
      double[] evenAfter = pairEvenness(e);
      for (int i = 0; i < evenBefore.length; i++) {
        assertTrue(evenAfter[i] > evenBefore[i] + 0.1, first + ": ranges of layer " + i + " not more equal: " + evenBefore[i] + " -> " + evenAfter[i]);
      }
      // a pair that equalised last stays exactly balanced: the range of channel i equal in both layers
      List<Operator> ops = e.subgraphs.get(0).operators;
      double[] r1 = ranges(ops.get(4), true, 10), r2 = ranges(ops.get(5), false, 10);
      for (int c = 0; c < 10; c++) assertEquals(r1[c], r2[c], 1e-5 * r1[c], "dense pair channel " + c);
      Model after = Model.from(ModelWriter.toBytes(e));
      Random rnd = new Random(3);
      for (int k = 0; k < 4; k++) {
        float[] x = new float[8 * 8 * 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] want = run(before, x), got = run(after, x);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * scale, first + ": output " + i);
      }
    }
  }

  @Test
  void relu6LayersStayWithoutTheFlagAndBecomeReluWithIt() throws Exception {
    EditableModel e = net(5, "RELU6");
    Model before = Model.from(ModelWriter.toBytes(e));
    float[] weights0 = e.subgraphs.get(0).operators.get(0).inputs.get(1).floats();
    CrossLayerEqualizer.Report r = CrossLayerEqualizer.equalize(e, new CrossLayerEqualizer.Options());
    assertEquals(2, r.count(), "the conv (RELU6) -> depthwise pair is left out: " + r.pairs());
    Operator conv = e.subgraphs.get(0).operators.get(0);
    assertEquals("RELU6", conv.options.getEnumName("fused_activation_function"));
    assertArrayEquals(weights0, conv.inputs.get(1).floats(), "RELU6 layer's weights untouched");
    assertTrue(r.relu6Replaced().isEmpty());

    EditableModel e2 = net(5, "RELU6");
    CrossLayerEqualizer.Report r2 = CrossLayerEqualizer.equalize(e2, new CrossLayerEqualizer.Options().replaceRelu6(true));
    assertEquals(3, r2.count(), r2.pairs().toString());
    assertTrue(r2.changesFloatModel());
    assertEquals(1, r2.relu6Replaced().size());
    assertEquals("RELU", e2.subgraphs.get(0).operators.get(0).options.getEnumName("fused_activation_function"));
    // where the conv's outputs stay under 6 (small inputs) RELU and RELU6 agree: the function is the same there
    Model after = Model.from(ModelWriter.toBytes(e2));
    Random rnd = new Random(4);
    float[] x = new float[8 * 8 * 3];
    for (int i = 0; i < x.length; i++) x[i] = (float) (0.001 * rnd.nextGaussian());
    float[] want = run(before, x), got = run(after, x);
    for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-4 * (1 + Math.abs(want[i])), "output " + i);
  }

  /** What equalisation is for: per-tensor weights (uint8) of the unbalanced net quantize far better after it. */
  @Test
  void perTensorQuantizationImproves() throws Exception {
    double[] snr = new double[2];
    for (int k = 0; k < 2; k++) {
      EditableModel e = net(11, "RELU");
      if (k == 1) CrossLayerEqualizer.equalize(e, new CrossLayerEqualizer.Options());
      FullIntegerQuantizer.Options o = new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8);
      Model f = Model.from(ModelWriter.toBytes(e));
      Calibrator c = Calibrator.run(f, Calibrator.random(8, 1, -1, 1), false, 1, null);
      Model q = Model.from(ModelWriter.toBytes(FullIntegerQuantizer.quantize(f, c, o)));
      QuantReport.Result r = QuantReport.compare(f, q, Calibrator.random(8, 2, -1, 1), null, 1, null);
      List<String> layers = new ArrayList<>();
      for (QuantReport.Layer l : r.layers()) layers.add(String.format(java.util.Locale.ROOT, "%s %.1f", l.opName(), l.snrDb()));
      System.out.println((k == 1 ? "equalized" : "as built") + ": uint8 output SNR " + r.outputSnrDb() + " dB; " + layers);
      snr[k] = r.outputSnrDb();
    }
    assertTrue(snr[1] > snr[0] + 6, "equalisation: uint8 output SNR " + snr[0] + " -> " + snr[1] + " dB");
  }
}
