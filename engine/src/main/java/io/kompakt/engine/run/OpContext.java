package io.kompakt.engine.run;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.TensorType;
import java.util.Arrays;

/** What a {@link KernelFactory} sees of one operator at prepare: its options, tensors and the interpreter's settings. */
public final class OpContext {
  private final Operator op;
  private final RuntimeTensor[] inputs;
  private final RuntimeTensor[] outputs;
  private final Interpreter.Options settings;
  private final String modelName;
  private final Parallel parallel;
  private final SharedScratch scratch;

  OpContext(Operator op, RuntimeTensor[] inputs, RuntimeTensor[] outputs, Interpreter.Options settings, String modelName,
            Parallel parallel, SharedScratch scratch) {
    this.parallel = parallel;
    this.scratch = scratch;
    this.op = op;
    this.inputs = inputs;
    this.outputs = outputs;
    this.settings = settings;
    this.modelName = modelName;
  }

  /** The operator as the model describes it. */
  public Operator operator() { return op; }

  /** Builtin options (e.g. Conv2DOptions), or an empty table of {@code type} if the model has none. */
  public FlatTable options(String type) {
    FlatTable o = op.options();
    if (o == null) return FlatTable.of(type);
    if (!o.typeName().equals(type)) throw unsupported("options are " + o.typeName() + ", expected " + type);
    return o;
  }

  public int inputCount() { return inputs.length; }

  public int outputCount() { return outputs.length; }

  /** Input {@code i}, or null where the model omits an optional input (or has fewer inputs). */
  public RuntimeTensor input(int i) { return i < inputs.length ? inputs[i] : null; }

  public RuntimeTensor output(int i) { return outputs[i]; }

  /** Kernel variant requested for this interpreter. */
  public Interpreter.Kernels kernels() { return settings.getKernels(); }

  public int threads() { return settings.getNumThreads(); }

  /** The interpreter's threads, for kernels that split their work (results must not depend on the count). */
  public Parallel parallel() { return parallel; }

  /** Scratch arrays shared by the interpreter's kernels (which run one at a time). */
  public SharedScratch scratch() { return scratch; }

  /** "operator #3 CONV_2D of model 'x.tflite'". */
  public String where() { return "operator #" + op.index() + " " + op.opCode() + " of model '" + modelName + "'"; }

  /** An exception naming this op and what is unsupported. */
  public UnsupportedOpException unsupported(String what) { return new UnsupportedOpException(where() + ": " + what); }

  /** Throws {@link #unsupported} unless the condition holds. */
  public void require(boolean condition, String what) {
    if (!condition) throw unsupported(what);
  }

  /** Requires at least {@code n} inputs and exactly {@code m} outputs. */
  public void requireArity(int minInputs, int outputs) {
    require(inputs.length >= minInputs, "needs " + minInputs + " inputs, has " + inputs.length);
    require(this.outputs.length == outputs, "needs " + outputs + " outputs, has " + this.outputs.length);
    for (int i = 0; i < minInputs; i++) require(inputs[i] != null, "input " + i + " is missing");
  }

  /** Requires a tensor to be of one of the types. */
  public void requireType(RuntimeTensor t, TensorType... types) {
    for (TensorType ty : types) if (t.type == ty) return;
    throw unsupported("tensor " + t + " has type " + t.type.lowerName() + "; supported: " + Arrays.toString(types));
  }

  /** Sets an output's shape (the interpreter plans memory from it). */
  public void setOutputShape(int i, int... shape) {
    RuntimeTensor out = outputs[i];
    for (int d : shape) require(d >= 0, "computed a negative dimension for output " + i + ": " + Arrays.toString(shape));
    out.shape = shape.clone();
  }
}
