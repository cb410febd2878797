package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.compress.quant.BatchNormFolder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Unfused batch normalizations (MUL, ADD by per-channel constants) folded into conv, depthwise and dense layers. */
class BatchNormFolderTest {
  static EditableModel unfused(long seed) {
    GraphBuilder b = new GraphBuilder("unfused batch norm", seed);
    Tensor x = b.input("image", 1, 8, 8, 3);
    x = b.conv2d(x, 6, 3, 1, true, "NONE");
    x = b.mul(x, b.constant("bn0/scale", 2, 6));
    x = b.add(x, b.constant("bn0/shift", 1, 6), "RELU6");
    x = b.depthwise(x, 3, 2, true, "NONE");
    x = b.mul(b.constant("bn1/scale", 2, 1, 1, 1, 6), x); // constant first, 4-D
    x = b.conv2d(x, 5, 1, 1, true, "NONE");
    x = b.add(x, b.constant("bias_add", 1, 5), "RELU");     // a bias added after a conv
    x = b.reshape(x, 1, 4 * 4 * 5);
    x = b.dense(x, 4, "NONE");
    x = b.mul(x, b.constant("bn2/scale", 2, 4));
    b.output(b.softmax(x));
    return b.model();
  }

  static float[] run(Model m, float[] input) throws Exception {
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      RuntimeTensor in = it.getInputTensor(0), out = it.getOutputTensor(0);
      System.arraycopy(input, 0, in.f32, in.offset, input.length);
      it.invoke();
      return java.util.Arrays.copyOfRange(out.f32, out.offset, out.offset + out.size());
    }
  }

  @Test
  void foldedModelComputesTheSame() throws Exception {
    EditableModel e = unfused(3);
    Model before = Model.from(ModelWriter.toBytes(e));
    BatchNormFolder.Report r = BatchNormFolder.fold(e);
    assertEquals(4, r.count(), r.folded().toString());
    Model after = Model.from(ModelWriter.toBytes(e));
    for (Operator op : after.mainSubgraph().operators()) {
      assertTrue(!op.name().equals("MUL") && !op.name().equals("ADD"), "left: " + op.name());
    }
    assertEquals(before.mainSubgraph().operators().size() - 5, after.mainSubgraph().operators().size());
    Random rnd = new Random(1);
    for (int k = 0; k < 5; k++) {
      float[] x = new float[8 * 8 * 3];
      for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
      float[] want = run(before, x), got = run(after, x);
      for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5 + 1e-4 * Math.abs(want[i]), "output " + i);
    }
    assertEquals(0, BatchNormFolder.fold(e).count(), "nothing left to fold");
  }

  @Test
  void sharedOutputsAndActivatedLayersStay() {
    GraphBuilder b = new GraphBuilder("not foldable", 1);
    Tensor x = b.input("image", 1, 6, 6, 2);
    Tensor c = b.conv2d(x, 4, 3, 1, true, "NONE");
    Tensor m = b.mul(c, b.constant("scale", 1, 4));
    Tensor relu = b.conv2d(x, 4, 3, 1, true, "RELU");
    Tensor m2 = b.mul(relu, b.constant("scale2", 1, 4)); // after an activation: not a linear fold
    b.output(b.add(b.add(m, c, "NONE"), m2, "NONE")); // c is read twice
    EditableModel e = b.model();
    assertEquals(0, BatchNormFolder.fold(e).count());
  }
}
