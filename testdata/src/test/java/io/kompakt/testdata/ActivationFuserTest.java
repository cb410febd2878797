package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.quant.ActivationFuser;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Standalone RELU / RELU6 / RELU_N1_TO_1 after conv, depthwise, dense and ADD fused into them; where they must stay. */
class ActivationFuserTest {
  /** The net and the names of the four activation outputs that fusing must keep. */
  record Net(EditableModel model, List<String> fusedOutputs) {}

  /** Four fusable patterns and three that must stay. */
  static Net net(long seed) {
    GraphBuilder b = new GraphBuilder("standalone activations", seed);
    Tensor x = b.input("image", 1, 8, 8, 3);
    Tensor c0 = b.unary("RELU", b.conv2d(x, 6, 3, 1, true, "NONE"));                 // fuses
    Tensor d1 = b.unary("RELU6", b.depthwise(c0, 3, 2, true, "NONE"));              // fuses
    Tensor a2 = b.unary("RELU", b.add(d1, b.constant("shift", 1, 6), "NONE"));      // fuses (ADD)
    // stays: the conv output is read by the RELU and by the ADD after it
    Tensor c3 = b.conv2d(a2, 6, 1, 1, true, "NONE");
    Tensor a3 = b.add(b.unary("RELU", c3), c3, "NONE");
    // stays: the conv already has a fused activation
    Tensor c4 = b.unary("RELU6", b.conv2d(a3, 5, 1, 1, true, "RELU"));
    Tensor flat = b.reshape(c4, 1, 4 * 4 * 5);
    Tensor dense = b.dense(flat, 8, "NONE");
    b.output(dense); // stays: the dense output is a graph output (read by the activation too)
    Tensor y = b.unary("RELU_N1_TO_1", dense);
    Tensor d2 = b.unary("RELU_N1_TO_1", b.dense(y, 4, "NONE"));                      // fuses (dense)
    b.output(b.softmax(d2));
    return new Net(b.model(), List.of(c0.name, d1.name, a2.name, d2.name));
  }

  static List<float[]> outputs(Model m, float[] input) throws Exception {
    try (var it = new io.kompakt.engine.run.Interpreter(m)) {
      var in = it.getInputTensor(0);
      System.arraycopy(input, 0, in.f32, in.offset, input.length);
      it.invoke();
      List<float[]> r = new ArrayList<>();
      for (int k = 0; k < it.getOutputTensorCount(); k++) {
        var o = it.getOutputTensor(k);
        r.add(java.util.Arrays.copyOfRange(o.f32, o.offset, o.offset + o.size()));
      }
      return r;
    }
  }

  @Test
  void fusedModelComputesTheSameAndKeepsTheActivationNames() throws Exception {
    Net net = net(4);
    EditableModel e = net.model();
    Model before = Model.from(ModelWriter.toBytes(e));
    ActivationFuser.Report r = ActivationFuser.fuse(e);
    assertEquals(4, r.count(), r.fused().toString());
    Model after = Model.from(ModelWriter.toBytes(e));
    assertEquals(before.mainSubgraph().operators().size() - 4, after.mainSubgraph().operators().size());
    // the ops that took an activation write the activation's tensor, by name
    List<String> standalone = new ArrayList<>(), fusedWriters = new ArrayList<>();
    for (Operator op : after.mainSubgraph().operators()) {
      if (op.name().startsWith("RELU")) standalone.add(op.name());
      String out = after.mainSubgraph().tensor(op.outputs()[0]).name();
      if (net.fusedOutputs().contains(out)) fusedWriters.add(op.name() + " " + op.options().getEnumName("fused_activation_function"));
    }
    assertEquals(List.of("CONV_2D RELU", "DEPTHWISE_CONV_2D RELU6", "ADD RELU", "FULLY_CONNECTED RELU_N1_TO_1"), fusedWriters);
    // left standalone: RELU read beside its conv's output, RELU6 after a RELU conv, RELU_N1_TO_1 of a graph output
    assertEquals(List.of("RELU", "RELU6", "RELU_N1_TO_1"), standalone);
    assertEquals(2, after.mainSubgraph().outputs().length);
    Random rnd = new Random(2);
    for (int k = 0; k < 4; k++) {
      float[] x = new float[8 * 8 * 3];
      for (int i = 0; i < x.length; i++) x[i] = (float) (2 * rnd.nextGaussian());
      List<float[]> want = outputs(before, x), got = outputs(after, x);
      for (int o = 0; o < want.size(); o++) {
        for (int i = 0; i < want.get(o).length; i++) assertEquals(want.get(o)[i], got.get(o)[i], 0f, "output " + o + "[" + i + "]");
      }
    }
    assertEquals(0, ActivationFuser.fuse(e).count(), "nothing left to fuse");
  }

  @Test
  void aSecondActivationAfterAFusedOneStays() {
    GraphBuilder b = new GraphBuilder("relu after relu", 1);
    Tensor x = b.input("image", 1, 6, 6, 2);
    Tensor y = b.unary("RELU6", b.unary("RELU", b.conv2d(x, 4, 3, 1, true, "NONE")));
    b.output(y);
    EditableModel e = b.model();
    ActivationFuser.Report r = ActivationFuser.fuse(e);
    assertEquals(1, r.count(), r.fused().toString());
    assertEquals(List.of("CONV_2D", "RELU6"), e.subgraphs.get(0).operators.stream().map(op -> op.opCode.name()).toList());
    assertEquals("RELU", e.subgraphs.get(0).operators.get(0).options.getEnumName("fused_activation_function"));
  }
}
