package io.kompakt.engine.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The interpreter's API, planning and errors, with test kernels (the engine knows no real ones). */
class InterpreterTest {
  /** ADD of same-shaped float tensors, and NEG: enough to build chains. */
  static KernelRegistry registry() {
    KernelRegistry r = new KernelRegistry();
    r.register("ADD", ctx -> {
      RuntimeTensor a = ctx.input(0), b = ctx.input(1), o = ctx.output(0);
      ctx.require(java.util.Arrays.equals(a.shape, b.shape), "shapes differ");
      ctx.setOutputShape(0, a.shape);
      return () -> {
        for (int i = 0; i < o.size(); i++) o.f32[o.offset + i] = a.f32[a.offset + i] + b.f32[b.offset + i];
      };
    });
    r.register("NEG", ctx -> {
      RuntimeTensor a = ctx.input(0), o = ctx.output(0);
      ctx.setOutputShape(0, a.shape);
      return () -> {
        for (int i = 0; i < o.size(); i++) o.f32[o.offset + i] = -a.f32[a.offset + i];
      };
    });
    return r;
  }

  /** x -> NEG -> NEG -> ... (n times) -> ADD(const c) ; plus a constant-only ADD(c, c) that folds. */
  static Model chain(int n, int... shape) {
    EditableModel m = new EditableModel();
    EditableModel.Subgraph g = m.addSubgraph("main");
    EditableModel.Tensor x = g.add(new EditableModel.Tensor("x", TensorType.FLOAT32, shape));
    g.inputs.add(x);
    EditableModel.Tensor cur = x;
    for (int i = 0; i < n; i++) {
      EditableModel.Tensor y = g.add(new EditableModel.Tensor("neg" + i, TensorType.FLOAT32, shape));
      EditableModel.Operator op = new EditableModel.Operator(OpCode.builtin("NEG"));
      op.inputs.add(cur);
      op.outputs.add(y);
      g.add(op);
      cur = y;
    }
    int size = 1;
    for (int d : shape) size *= d;
    ByteBuffer b = ByteBuffer.allocate(4 * size).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < size; i++) b.putFloat(i);
    b.flip();
    EditableModel.Tensor c = g.add(new EditableModel.Tensor("c", TensorType.FLOAT32, shape));
    c.buffer = m.addBuffer(b);
    EditableModel.Tensor cc = g.add(new EditableModel.Tensor("c+c", TensorType.FLOAT32, shape));
    EditableModel.Operator fold = new EditableModel.Operator(OpCode.builtin("ADD"));
    fold.inputs.add(c);
    fold.inputs.add(c);
    fold.outputs.add(cc);
    g.add(fold);
    EditableModel.Tensor out = g.add(new EditableModel.Tensor("out", TensorType.FLOAT32, shape));
    EditableModel.Operator add = new EditableModel.Operator(OpCode.builtin("ADD"));
    add.inputs.add(cur);
    add.inputs.add(cc);
    add.outputs.add(out);
    g.add(add);
    g.outputs.add(out);
    return Model.from(ModelWriter.toBytes(m));
  }

  static Interpreter interpreter(Model m) { return new Interpreter(m, new Interpreter.Options().setRegistry(registry())); }

  @Test
  void runsAChainFoldsConstantsAndReusesMemory() {
    Model m = chain(5, 1, 4, 4, 2);
    try (Interpreter it = interpreter(m)) {
      float[][][][] in = new float[1][4][4][2];
      in[0][1][2][1] = 3f;
      float[][][][] out = new float[1][4][4][2];
      it.run(in, out);
      // odd number of negations: -x + 2c
      assertEquals(-3f + 2 * (1 * 8 + 2 * 2 + 1), out[0][1][2][1]);
      assertEquals(2 * 31f, out[0][3][3][1]);
      assertEquals(6, it.kernelCount(), "c + c was folded at prepare");
      // 7 float tensors of 32 elements flow through the chain; two slots plus input/output suffice
      assertTrue(it.arenaBytes() < 7 * 32 * 4, "arena " + it.arenaBytes() + " reuses memory");
      assertTrue(it.getLastInferenceDurationNanoseconds() >= 0);
    }
  }

  @Test
  void aRunLeavesItsInputsAsTheyWereSet() {
    // without keeping it, the input's memory would be reused by the chain after the first NEG has read it
    Model m = chain(5, 1, 4, 4, 2);
    try (Interpreter it = interpreter(m)) {
      it.allocateTensors();
      RuntimeTensor x = it.getInputTensor(0), out = it.getOutputTensor(0);
      for (int i = 0; i < 32; i++) x.f32[x.offset + i] = i + 0.5f;
      it.invoke();
      float[] first = java.util.Arrays.copyOfRange(out.f32, out.offset, out.offset + 32);
      for (int i = 0; i < 32; i++) assertEquals(i + 0.5f, x.f32[x.offset + i], "input element " + i + " after a run");
      it.invoke();
      assertEquals(java.util.Arrays.toString(first),
          java.util.Arrays.toString(java.util.Arrays.copyOfRange(out.f32, out.offset, out.offset + 32)), "a second run");
    }
  }

  @Test
  void acceptsFlatArraysByteBuffersAndFloatBuffers() {
    Model m = chain(2, 2, 3);
    try (Interpreter it = interpreter(m)) {
      float[] in = {1, 2, 3, 4, 5, 6};
      float[] a = new float[6];
      it.run(in, a);
      ByteBuffer bin = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
      bin.asFloatBuffer().put(in);
      ByteBuffer bout = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
      it.run(bin, bout);
      float[] b = new float[6];
      bout.asFloatBuffer().get(b);
      FloatBuffer fout = FloatBuffer.allocate(6);
      it.run(FloatBuffer.wrap(in), fout);
      assertArrayEquals(a, b);
      assertArrayEquals(a, fout.array());
      assertArrayEquals(new float[] {1, 4, 7, 10, 13, 16}, a); // x + 2c with c = 0..5
    }
  }

  @Test
  void wrongInputsAreClearErrors() {
    try (Interpreter it = interpreter(chain(1, 2, 3))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> it.run(new float[5], new float[6]));
      assertTrue(e.getMessage().contains("needs 6 elements"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> it.run(new int[6], new float[6]));
      assertTrue(e.getMessage().contains("float32"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> it.runForMultipleInputsOutputs(new Object[0], Map.of()));
      assertTrue(e.getMessage().contains("1 inputs"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> it.getOutputTensor(3));
    }
  }

  @Test
  void resizeInputPropagatesShapes() {
    EditableModel m = new EditableModel();
    EditableModel.Subgraph g = m.addSubgraph("main");
    EditableModel.Tensor x = g.add(new EditableModel.Tensor("x", TensorType.FLOAT32, 1, 2));
    EditableModel.Tensor y = g.add(new EditableModel.Tensor("y", TensorType.FLOAT32, 1, 2));
    EditableModel.Operator neg = new EditableModel.Operator(OpCode.builtin("NEG"));
    neg.inputs.add(x);
    neg.outputs.add(y);
    g.add(neg);
    g.inputs.add(x);
    g.outputs.add(y);
    try (Interpreter it = interpreter(Model.from(ModelWriter.toBytes(m)))) {
      it.resizeInput(0, new int[] {3, 5});
      float[] out = new float[15];
      float[] in = new float[15];
      in[14] = 2f;
      it.run(in, out);
      assertArrayEquals(new int[] {3, 5}, it.getOutputTensor(0).shape);
      assertEquals(-2f, out[14]);
      assertThrows(IllegalArgumentException.class, () -> it.resizeInput(0, new int[] {15}), "rank must stay");
    }
    // a constant operand fixes the shape: resizing the input then fails at prepare, naming the op
    try (Interpreter it = interpreter(chain(0, 1, 2))) {
      it.resizeInput(0, new int[] {1, 3});
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class, it::allocateTensors);
      assertTrue(e.getMessage().contains("ADD") && e.getMessage().contains("shapes differ"), e.getMessage());
    }
  }

  @Test
  void unknownOpIsRefusedAtPrepareNamingOpAndModel() {
    KernelRegistry onlyAdd = new KernelRegistry();
    onlyAdd.register("ADD", registry().lookup(OpCode.builtin("ADD")));
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
        () -> new Interpreter(chain(1, 2), new Interpreter.Options().setRegistry(onlyAdd)));
    assertTrue(e.getMessage().contains("operator #0 NEG") && e.getMessage().contains("no kernel"), e.getMessage());
  }

  @Test
  void closedInterpreterRefusesToRun() {
    Interpreter it = interpreter(chain(1, 2));
    it.close();
    assertThrows(IllegalStateException.class, () -> it.run(new float[2], new float[2]));
  }

  @Test
  void kernelsSettingComesFromTheSystemProperty() {
    String old = System.getProperty("kompakt.kernels");
    try {
      System.setProperty("kompakt.kernels", "reference");
      assertEquals(Interpreter.Kernels.REFERENCE, new Interpreter.Options().getKernels());
      System.setProperty("kompakt.kernels", "fastest");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Interpreter.Options::new);
      assertTrue(e.getMessage().contains("auto, reference, scalar or vector"));
    } finally {
      if (old == null) System.clearProperty("kompakt.kernels"); else System.setProperty("kompakt.kernels", old);
    }
  }

  @Test
  void observerSeesEveryRunOpWhileItsOutputHoldsItsValues() {
    Model m = chain(5, 2, 3);
    java.util.List<Integer> seen = new java.util.ArrayList<>();
    java.util.List<float[]> values = new java.util.ArrayList<>();
    Interpreter.Options o = new Interpreter.Options().setRegistry(registry()).setObserver((op, outs) -> {
      seen.add(op);
      assertEquals(1, outs.length);
      float[] v = new float[outs[0].size()];
      System.arraycopy(outs[0].f32, outs[0].offset, v, 0, v.length);
      values.add(v);
    });
    float[] x = {1, 2, 3, 4, 5, 6};
    float[] out = new float[6];
    try (Interpreter it = new Interpreter(m, o)) {
      it.run(x, out);
    }
    // NEG x5 (ops 0..4), the constant ADD (op 5) folded at prepare, the final ADD (op 6)
    assertEquals(java.util.List.of(0, 1, 2, 3, 4, 6), seen);
    for (int k = 0; k < 5; k++) {
      for (int i = 0; i < 6; i++) assertEquals(k % 2 == 0 ? -x[i] : x[i], values.get(k)[i], "op " + k + " element " + i);
    }
    assertArrayEquals(out, values.get(5));
    // without an observer the same outputs
    float[] plain = new float[6];
    try (Interpreter it = interpreter(m)) {
      it.run(x, plain);
    }
    assertArrayEquals(plain, out);
  }
}
