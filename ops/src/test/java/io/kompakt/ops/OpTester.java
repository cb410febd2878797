package io.kompakt.ops;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one operator end to end, as a model would: builds a one-op model with the editable model, writes it,
 * reads it back (verified), prepares an interpreter and runs it. Inputs are runtime inputs or constants.
 *
 * <pre>
 * float[] y = OpTester.op("ADD").options(FlatTable.of("AddOptions"))
 *     .input(TensorType.FLOAT32, new int[] {2, 3}, x)           // a graph input
 *     .constant(TensorType.FLOAT32, new int[] {3}, bias)        // a constant
 *     .output(TensorType.FLOAT32)
 *     .runFloat();
 * </pre>
 */
public final class OpTester {
  private final EditableModel model = new EditableModel();
  private final EditableModel.Subgraph graph = model.addSubgraph("main");
  private final EditableModel.Operator op;
  private final List<Object> inputValues = new ArrayList<>();
  private Interpreter.Kernels kernels = Interpreter.Kernels.REFERENCE;
  private int threads = 1;
  private Interpreter last;

  private OpTester(OpCode code) {
    op = new EditableModel.Operator(code);
    graph.add(op);
  }

  public static OpTester op(String builtinName) { return new OpTester(OpCode.builtin(builtinName)); }

  public static OpTester custom(String name) { return new OpTester(OpCode.custom(name)); }

  public OpTester options(FlatTable options) {
    op.options = options;
    return this;
  }

  public OpTester customOptions(byte[] bytes) {
    op.customOptions = ByteBuffer.wrap(bytes);
    return this;
  }

  public OpTester kernels(Interpreter.Kernels k) {
    kernels = k;
    return this;
  }

  public OpTester threads(int n) {
    threads = n;
    return this;
  }

  /** A runtime input with values: float[], byte[], short[], int[] or long[] matching the type's storage. */
  public OpTester input(TensorType type, int[] shape, Object values) { return input(type, shape, values, Quantization.NONE); }

  public OpTester input(TensorType type, int[] shape, Object values, Quantization q) {
    EditableModel.Tensor t = graph.add(new EditableModel.Tensor("in" + graph.tensors.size(), type, shape));
    t.quantization = q;
    graph.inputs.add(t);
    op.inputs.add(t);
    inputValues.add(values);
    return this;
  }

  /** An omitted optional input (index -1). */
  public OpTester noInput() {
    op.inputs.add(null);
    return this;
  }

  /** A constant input. */
  public OpTester constant(TensorType type, int[] shape, Object values) { return constant(type, shape, values, Quantization.NONE); }

  public OpTester constant(TensorType type, int[] shape, Object values, Quantization q) {
    EditableModel.Tensor t = graph.add(new EditableModel.Tensor("const" + graph.tensors.size(), type, shape));
    t.quantization = q;
    t.buffer = model.addBuffer(bytes(type, values));
    op.inputs.add(t);
    return this;
  }

  /** An output; its shape is computed by the kernel (the model declares it unknown: []). */
  public OpTester output(TensorType type) { return output(type, new int[0], Quantization.NONE); }

  public OpTester output(TensorType type, int[] declaredShape, Quantization q) {
    EditableModel.Tensor t = graph.add(new EditableModel.Tensor("out" + graph.tensors.size(), type, declaredShape));
    t.quantization = q;
    graph.outputs.add(t);
    op.outputs.add(t);
    return this;
  }

  /** The written model's bytes (for checking with real TFLite). */
  public byte[] modelBytes() { return ModelWriter.toBytes(model); }

  /** Prepares and runs; returns the interpreter (outputs via getOutputTensor). */
  public Interpreter run() {
    Model m = Model.from(modelBytes());
    Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(kernels).setNumThreads(threads));
    for (int i = 0; i < inputValues.size(); i++) {
      RuntimeTensor t = it.getInputTensor(i);
      Object v = inputValues.get(i);
      int n = t.size();
      switch (RuntimeTensor.storage(t.type)) {
        case F32: System.arraycopy(v, 0, t.f32, t.offset, n); break;
        case I8: System.arraycopy(v, 0, t.i8, t.offset, n); break;
        case I16: System.arraycopy(v, 0, t.i16, t.offset, n); break;
        case I32: System.arraycopy(v, 0, t.i32, t.offset, n); break;
        case I64: System.arraycopy(v, 0, t.i64, t.offset, n); break;
        default: throw new IllegalArgumentException(t.type.toString());
      }
    }
    it.invoke();
    last = it;
    return it;
  }

  /** Runs and returns output 0 as floats. */
  public float[] runFloat() { return floats(run().getOutputTensor(0)); }

  /** Output {@code i} of the last run. */
  public RuntimeTensor outputTensor(int i) { return last.getOutputTensor(i); }

  public static float[] floats(RuntimeTensor t) {
    float[] r = new float[t.size()];
    System.arraycopy(t.f32, t.offset, r, 0, r.length);
    return r;
  }

  public static byte[] bytesOf(RuntimeTensor t) {
    byte[] r = new byte[t.size()];
    System.arraycopy(t.i8, t.offset, r, 0, r.length);
    return r;
  }

  public static int[] ints(RuntimeTensor t) {
    int[] r = new int[t.size()];
    for (int i = 0; i < r.length; i++) r[i] = (int) t.getLong(i);
    return r;
  }

  static ByteBuffer bytes(TensorType type, Object v) {
    ByteBuffer b;
    if (v instanceof float[]) {
      float[] a = (float[]) v;
      if (type == TensorType.FLOAT16) {
        b = ByteBuffer.allocate(2 * a.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : a) b.putShort(io.kompakt.engine.run.Float16.fromFloat(x));
      } else {
        b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : a) b.putFloat(x);
      }
    } else if (v instanceof byte[]) {
      b = ByteBuffer.wrap(((byte[]) v).clone());
      b.position(b.limit());
    } else if (v instanceof short[]) {
      short[] a = (short[]) v;
      b = ByteBuffer.allocate(2 * a.length).order(ByteOrder.LITTLE_ENDIAN);
      for (short x : a) b.putShort(x);
    } else if (v instanceof int[]) {
      int[] a = (int[]) v;
      b = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
      for (int x : a) b.putInt(x);
    } else if (v instanceof long[]) {
      long[] a = (long[]) v;
      b = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
      for (long x : a) b.putLong(x);
    } else {
      throw new IllegalArgumentException("values must be a primitive array, not " + v);
    }
    b.flip();
    return b;
  }
}
