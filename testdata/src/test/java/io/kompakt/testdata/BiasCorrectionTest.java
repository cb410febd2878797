package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Empirical bias correction: the layer input means it rests on, and a bias shift that it removes. */
class BiasCorrectionTest {
  /**
   * The mean input patches: for layers without activation, the mean of output channel o over all positions and
   * samples is {@code b[o] + sum(W[o] * mean patch)} (padding as zeros, strides, dilation, depth multiplier).
   */
  @Test
  void layerInputMeansGiveTheMeanOutputOfEachLayer() throws Exception {
    GraphBuilder b = new GraphBuilder("means", 3);
    Tensor x = b.input("image", 1, 9, 7, 3);
    x = b.conv2d(x, 5, 3, 2, true, "NONE");     // stride 2, SAME: padded taps
    x = b.depthwise(x, 3, 1, false, "NONE");    // VALID
    x = b.conv2d(x, 4, 1, 1, true, "NONE");
    x = b.reshape(x, 1, 3 * 2 * 4);
    b.output(b.dense(x, 3, "NONE"));
    EditableModel e = b.model();
    // a depth multiplier of 2 and a dilation: one more depthwise op, written by hand
    Model m = Model.from(ModelWriter.toBytes(withDilatedMultiplier(e)));
    Calibrator.Source data = Calibrator.random(5, 7, 0, 1); // positive inputs: means far from 0
    Calibrator c = Calibrator.run(m, data, new Calibrator.Needs(false, false, true), 1, null);
    assertTrue(c.hasLayerInputMeans());
    // the mean of every layer's output, by running the model
    Subgraph g = m.mainSubgraph();
    double[][] sums = new double[g.tensors().size()][];
    long[] counts = new long[g.tensors().size()];
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setObserver((op, outs) -> {
      for (RuntimeTensor t : outs) {
        int ch = t.dim(-1);
        if (sums[t.index] == null) sums[t.index] = new double[ch];
        for (int i = 0; i < t.size(); i++) sums[t.index][i % ch] += t.f32[t.offset + i];
        counts[t.index] += t.size() / ch;
      }
    }))) {
      for (int n = 0; n < data.count(); n++) {
        data.fill(n, it);
        it.invoke();
      }
    }
    int checked = 0;
    for (Operator op : g.operators()) {
      double[] mean = c.layerInputMean(op.index());
      String type = op.name();
      if (!type.equals("CONV_2D") && !type.equals("DEPTHWISE_CONV_2D") && !type.equals("FULLY_CONNECTED")) {
        assertNull(mean, type);
        continue;
      }
      assertNotNull(mean, type);
      float[] w = floats(m, op.inputs()[1]), bias = floats(m, op.inputs()[2]);
      int[] shape = g.tensor(op.inputs()[1]).shape();
      int out = bias.length;
      for (int o = 0; o < out; o++) {
        double predicted = bias[o];
        if (type.equals("DEPTHWISE_CONV_2D")) {
          int taps = shape[1] * shape[2], in = mean.length / taps, mult = out / in;
          for (int t = 0; t < taps; t++) predicted += w[t * out + o] * mean[t * in + o / mult];
        } else {
          int per = w.length / out;
          for (int j = 0; j < per; j++) predicted += w[o * per + j] * mean[j];
        }
        double measured = sums[op.outputs()[0]][o] / counts[op.outputs()[0]];
        assertEquals(measured, predicted, 1e-4 * (1 + Math.abs(measured)), type + " #" + op.index() + " channel " + o);
      }
      checked++;
    }
    assertEquals(5, checked);
  }

  /** Appends a DEPTHWISE_CONV_2D with depth multiplier 2 and dilation 2 (SAME) before the graph's last op. */
  static EditableModel withDilatedMultiplier(EditableModel e) {
    EditableModel.Subgraph g = e.subgraphs.get(0);
    EditableModel.Operator conv = g.operators.get(0);
    Tensor y = conv.outputs.get(0); // [1, 5, 4, 5]
    Tensor w = g.add(new Tensor("dw2/weights", io.kompakt.engine.model.TensorType.FLOAT32, 1, 3, 3, 10));
    SplittableRandom r = new SplittableRandom(9);
    float[] wv = new float[90], bv = new float[10];
    for (int i = 0; i < wv.length; i++) wv[i] = (float) r.nextDouble(-0.5, 0.5);
    for (int i = 0; i < bv.length; i++) bv[i] = (float) r.nextDouble(-0.1, 0.1);
    w.buffer = e.addFloats(wv);
    Tensor bias = g.add(new Tensor("dw2/bias", io.kompakt.engine.model.TensorType.FLOAT32, 10));
    bias.buffer = e.addFloats(bv);
    Tensor out = g.add(new Tensor("dw2", io.kompakt.engine.model.TensorType.FLOAT32, 1, 5, 4, 10));
    EditableModel.Operator dw = new EditableModel.Operator(io.kompakt.engine.model.OpCode.builtin("DEPTHWISE_CONV_2D"));
    dw.inputs.addAll(List.of(y, w, bias));
    dw.outputs.add(out);
    dw.options = FlatTable.of("DepthwiseConv2DOptions").set("padding", "SAME").set("stride_w", 1).set("stride_h", 1)
        .set("depth_multiplier", 2).set("dilation_w_factor", 2).set("dilation_h_factor", 2).set("fused_activation_function", "NONE");
    g.operators.add(1, dw);
    g.outputs.add(out);
    return e;
  }

  static float[] floats(Model m, int tensor) {
    return EditableModel.from(m).subgraphs.get(0).tensors.get(tensor).floats();
  }

  /**
   * A conv whose per-tensor weights round with a bias: one channel has a weight of 1 (so the int8 step is 1/127), the
   * others only weights of 0.3 to 0.45 steps, which round to 0; with positive inputs every such channel's output falls
   * by about fan-in x 0.37 steps x mean input, far more than an activation step. Bias correction takes that back.
   */
  static EditableModel biasedNet() {
    GraphBuilder b = new GraphBuilder("rounding bias", 5);
    Tensor x = b.input("image", 1, 8, 8, 8);
    Tensor y = b.conv2d(x, 6, 3, 1, false, "NONE"); // VALID: every output sees all its taps (the means test has padding)
    b.output(y);
    EditableModel e = b.model();
    Tensor w = e.subgraphs.get(0).operators.get(0).inputs.get(1);
    SplittableRandom r = new SplittableRandom(2);
    float[] v = new float[w.floats().length];
    int per = v.length / 6;
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble(0.3, 0.45) / 127);
    for (int i = 0; i < per; i++) v[i] = 0;
    v[per / 2] = 1f; // channel 0: one large weight sets the per-tensor scale
    w.buffer = e.addFloats(v);
    e.removeUnusedBuffers();
    return e;
  }

  /** Mean over output elements of |mean over samples of (quantized - float)|. */
  static double meanBias(Model f, Model q, Calibrator.Source data) throws Exception {
    try (Interpreter fi = new Interpreter(f); Interpreter qi = new Interpreter(q)) {
      RuntimeTensor fo = fi.getOutputTensor(0), qo = qi.getOutputTensor(0);
      double[] d = new double[fo.size()];
      for (int n = 0; n < data.count(); n++) {
        data.fill(n, fi);
        fi.invoke();
        data.fill(n, qi);
        qi.invoke();
        for (int i = 0; i < d.length; i++) d[i] += qo.f32[qo.offset + i] - fo.f32[fo.offset + i];
      }
      double s = 0;
      for (double v : d) s += Math.abs(v / data.count());
      return s / d.length;
    }
  }

  @Test
  void correctionRemovesTheMeanErrorOfPerTensorWeights() throws Exception {
    Model f = Model.from(ModelWriter.toBytes(biasedNet()));
    for (FullIntegerQuantizer.Options base : List.of(new FullIntegerQuantizer.Options().perChannel(false),
        new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8).io(io.kompakt.engine.model.TensorType.FLOAT32))) {
      double[] bias = new double[2];
      for (int k = 0; k < 2; k++) {
        FullIntegerQuantizer.Options o = base.biasCorrection(k == 1);
        Calibrator c = Calibrator.run(f, Calibrator.random(16, 1, 0, 1), o.calibrationNeeds(), 1, null);
        FullIntegerQuantizer.Result r = FullIntegerQuantizer.quantizeWithNotes(f, c, o);
        assertEquals(k, r.notes().size(), r.notes().toString());
        bias[k] = meanBias(f, Model.from(ModelWriter.toBytes(r.model())), Calibrator.random(16, 2, 0, 1));
      }
      System.out.printf(java.util.Locale.ROOT, "%s weights: mean output error %.5f, with bias correction %.5f%n",
          base.scheme(), bias[0], bias[1]);
      assertTrue(bias[0] > 0.02, "the net should have a bias to correct: " + bias[0]);
      assertTrue(bias[1] < 0.25 * bias[0], base.scheme() + ": mean output error " + bias[0] + " -> " + bias[1]);
    }
  }

  @Test
  void correctionWithoutTheMeansIsAnError() throws Exception {
    Model f = Model.from(ModelWriter.toBytes(biasedNet()));
    Calibrator c = Calibrator.run(f, Calibrator.random(2, 1, 0, 1), false, 1, null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FullIntegerQuantizer.quantize(f, c, new FullIntegerQuantizer.Options().biasCorrection(true)));
    assertTrue(e.getMessage().contains("calibrationNeeds"), e.getMessage());
  }
}
