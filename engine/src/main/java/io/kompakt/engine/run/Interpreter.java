package io.kompakt.engine.run;

import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelFormatException;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.Tensor;
import io.kompakt.engine.model.TensorType;
import java.lang.reflect.Array;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link Model}, as {@code org.tensorflow.lite.Interpreter} does, in pure Java.
 *
 * <p>The data path: model → prepare (every op resolved to a kernel once, shapes and types checked, ops whose
 * inputs are all constant computed once) → arena plan (intermediate tensors share memory by lifetime) → runs.
 * A run copies the inputs in, runs the kernels in order and copies the outputs out; it allocates nothing.
 *
 * <p>An interpreter is <b>not thread-safe</b>: use one per thread. Many interpreters may share one
 * {@code Model}: its weights are read-only.
 */
public final class Interpreter implements AutoCloseable {

  /** Which kernels to use: the plain reference kernels, or the fast ones (scalar Java or the Vector API). */
  public enum Kernels {
    AUTO, REFERENCE, SCALAR, VECTOR;

    /** The default: {@code -Dkompakt.kernels=auto|reference|scalar|vector}, else AUTO. */
    public static Kernels fromSystemProperty() {
      String p = System.getProperty("kompakt.kernels", "auto").trim().toUpperCase(Locale.ROOT);
      try {
        return valueOf(p);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("kompakt.kernels must be auto, reference, scalar or vector, not '" + p.toLowerCase(Locale.ROOT) + "'");
      }
    }
  }

  /** Interpreter settings. */
  public static final class Options {
    private int numThreads = 1;
    private Kernels kernels = Kernels.fromSystemProperty();
    private KernelRegistry registry;
    private OpObserver observer;

    public Options setNumThreads(int n) {
      if (n < 1) throw new IllegalArgumentException("threads must be at least 1, not " + n);
      numThreads = n;
      return this;
    }

    public int getNumThreads() { return numThreads; }

    public Options setKernels(Kernels k) {
      kernels = java.util.Objects.requireNonNull(k);
      return this;
    }

    public Kernels getKernels() { return kernels; }

    /** Kernels to use instead of the defaults found on the class path. */
    public Options setRegistry(KernelRegistry r) {
      registry = r;
      return this;
    }

    public KernelRegistry getRegistry() { return registry != null ? registry : KernelRegistry.defaults(); }

    /**
     * Called after every kernel of a run, while its outputs still hold their values (before the arena reuses their
     * memory): what calibration and per-layer error reports need. Null (the default) costs nothing.
     */
    public Options setObserver(OpObserver o) {
      observer = o;
      return this;
    }

    public OpObserver getObserver() { return observer; }
  }

  /**
   * Sees each operator's outputs right after it ran ({@link Options#setObserver}). Ops folded at prepare (all inputs
   * constant) are not run, so not observed: their outputs are constants ({@link #tensor}).
   */
  @FunctionalInterface
  public interface OpObserver {
    /** @param operator the operator's index in the subgraph; {@code outputs} its output tensors, valid during the call */
    void afterOp(int operator, RuntimeTensor[] outputs);
  }

  private final Model model;
  private final Options options;
  private final Subgraph graph;
  private final RuntimeTensor[] tensors;
  private final int[][] resized;
  private Kernel[] kernels = new Kernel[0];
  private int[] kernelOps = new int[0];
  private RuntimeTensor[][] kernelOutputs = new RuntimeTensor[0][];
  private final Map<RuntimeTensor.Storage, Long> arenaElements = new EnumMap<>(RuntimeTensor.Storage.class);
  private long arenaBytes;
  private long lastRunNanos = -1;
  private boolean allocated;
  private boolean closed;
  private final Parallel parallel;
  private SharedScratch scratch = new SharedScratch();

  public Interpreter(Model model) { this(model, new Options()); }

  /**
   * Prepares the model's first subgraph.
   *
   * @throws UnsupportedOpException if an operator has no kernel or uses a type or option Kompakt cannot run
   */
  public Interpreter(Model model, Options options) {
    this.model = model;
    this.options = options;
    this.graph = model.mainSubgraph();
    this.tensors = new RuntimeTensor[graph.tensors().size()];
    this.resized = new int[graph.inputs().length][];
    this.parallel = new Parallel(options.getNumThreads());
    try {
      allocateTensors();
    } catch (RuntimeException e) {
      parallel.close();
      throw e;
    }
  }

  public Model model() { return model; }

  public Options options() { return options; }

  public int getInputTensorCount() { return graph.inputs().length; }

  public int getOutputTensorCount() { return graph.outputs().length; }

  /** Input {@code i}: shape, type and quantization (after {@link #allocateTensors}). */
  public RuntimeTensor getInputTensor(int i) {
    checkIndex(i, graph.inputs().length, "input");
    return tensors[graph.inputs()[i]];
  }

  /** Output {@code i}: shape, type, quantization, and after a run its values. */
  public RuntimeTensor getOutputTensor(int i) {
    checkIndex(i, graph.outputs().length, "output");
    return tensors[graph.outputs()[i]];
  }

  /** Any tensor of the subgraph by index (intermediates hold values only until their memory is reused). */
  public RuntimeTensor tensor(int index) {
    checkIndex(index, tensors.length, "tensor");
    return tensors[index];
  }

  public int getInputIndex(String name) { return indexOf(graph.inputs(), name, "input"); }

  public int getOutputIndex(String name) { return indexOf(graph.outputs(), name, "output"); }

  private int indexOf(int[] list, String name, String what) {
    for (int i = 0; i < list.length; i++) if (graph.tensor(list[i]).name().equals(name)) return i;
    List<String> names = new ArrayList<>();
    for (int t : list) names.add(graph.tensor(t).name());
    throw new IllegalArgumentException("no " + what + " named '" + name + "'; " + what + "s: " + names);
  }

  private static void checkIndex(int i, int n, String what) {
    if (i < 0 || i >= n) throw new IllegalArgumentException(what + " index " + i + " is out of range: the model has " + n + " " + what + "s");
  }

  /** Changes an input's shape; takes effect at the next {@link #allocateTensors} or run. */
  public void resizeInput(int i, int[] shape) {
    checkIndex(i, resized.length, "input");
    for (int d : shape) if (d < 1) throw new IllegalArgumentException("input " + i + ": dimensions must be positive: " + Arrays.toString(shape));
    if (shape.length != graph.input(i).shape().length) {
      throw new IllegalArgumentException("input " + i + " has rank " + graph.input(i).shape().length + "; cannot resize to " + Arrays.toString(shape));
    }
    resized[i] = shape.clone();
    allocated = false;
  }

  /** Bytes of the arena holding the intermediate tensors. */
  public long arenaBytes() { return arenaBytes; }

  /** Bytes of the scratch arrays the kernels share (e.g. float copies of integer tensors for the exact float kernels). */
  public long scratchBytes() { return scratch.bytes(); }

  /** Wall time of the last run in nanoseconds, or -1 before the first. */
  public long getLastInferenceDurationNanoseconds() { return lastRunNanos; }

  /** Number of kernels a run executes (ops folded at prepare are not counted). */
  public int kernelCount() { return kernels.length; }

  /** Prepares every operator, folds constants and plans the arena. */
  public void allocateTensors() {
    checkOpen();
    if (allocated) return;
    KernelRegistry registry = options.getRegistry();
    String name = model.source();
    scratch = new SharedScratch();
    for (int i = 0; i < tensors.length; i++) tensors[i] = load(graph.tensor(i));
    for (int i = 0; i < resized.length; i++) if (resized[i] != null) tensors[graph.inputs()[i]].shape = resized[i].clone();
    for (int i : graph.inputs()) {
      if (RuntimeTensor.storage(tensors[i].type) == RuntimeTensor.Storage.NONE) {
        throw new UnsupportedOpException("model '" + name + "': input " + tensors[i] + " has a type Kompakt cannot run");
      }
    }
    List<Kernel> run = new ArrayList<>();
    List<Integer> runOps = new ArrayList<>();
    for (Operator op : graph.operators()) {
      KernelFactory f = registry.lookup(op.opCode());
      String where = "operator #" + op.index() + " " + op.opCode() + " of model '" + name + "'";
      if (f == null) {
        throw new UnsupportedOpException(where + ": Kompakt has no kernel for " + (op.opCode().isCustom() ? "custom op '" : "op '")
            + op.name() + "'");
      }
      RuntimeTensor[] in = new RuntimeTensor[op.inputs().length];
      for (int k = 0; k < in.length; k++) in[k] = op.inputs()[k] < 0 ? null : tensors[op.inputs()[k]];
      RuntimeTensor[] out = new RuntimeTensor[op.outputs().length];
      for (int k = 0; k < out.length; k++) {
        out[k] = tensors[op.outputs()[k]];
        if (out[k].constant) throw new ModelFormatException(where + ": output " + out[k] + " is a constant tensor");
        if (RuntimeTensor.storage(out[k].type) == RuntimeTensor.Storage.NONE) {
          throw new UnsupportedOpException(where + ": output " + out[k] + " has type " + out[k].type.lowerName() + ", which Kompakt cannot run");
        }
      }
      Kernel k;
      try {
        k = f.prepare(new OpContext(op, in, out, options, name, parallel, scratch));
      } catch (UnsupportedOpException | ModelFormatException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new UnsupportedOpException(where + ": cannot prepare: " + e);
      }
      boolean foldable = true;
      for (RuntimeTensor t : in) if (t != null && !t.constant) foldable = false;
      if (op.name().equals("SHAPE")) foldable = true; // depends on the input's shape only
      if (foldable && in.length > 0) {
        for (RuntimeTensor t : out) {
          t.allocateOwn();
          t.constant = true;
        }
        scratch.advance();
        k.run();
      } else {
        run.add(k);
        runOps.add(op.index());
      }
    }
    kernels = run.toArray(new Kernel[0]);
    kernelOps = runOps.stream().mapToInt(Integer::intValue).toArray();
    kernelOutputs = new RuntimeTensor[kernelOps.length][];
    for (int k = 0; k < kernelOps.length; k++) {
      int[] outs = graph.operators().get(kernelOps[k]).outputs();
      kernelOutputs[k] = new RuntimeTensor[outs.length];
      for (int j = 0; j < outs.length; j++) kernelOutputs[k][j] = tensors[outs[j]];
    }
    planArena();
    allocated = true;
  }

  private void planArena() {
    // lifetimes over the run list: graph inputs from the start to the end (as in TFLite, a run leaves its inputs as
    // they were set: a second invoke() sees the same input), graph outputs to the end
    int n = kernels.length;
    int[] first = new int[tensors.length], last = new int[tensors.length];
    Arrays.fill(first, Integer.MAX_VALUE);
    Arrays.fill(last, -1);
    for (int i : graph.inputs()) { first[i] = -1; last[i] = n; }
    Map<Integer, Integer> opPos = new HashMap<>();
    for (int p = 0; p < n; p++) opPos.put(kernelOps[p], p);
    for (Operator op : graph.operators()) {
      Integer p = opPos.get(op.index());
      if (p == null) continue;
      for (int t : op.inputs()) if (t >= 0) { first[t] = Math.min(first[t], p); last[t] = Math.max(last[t], p); }
      for (int t : op.outputs()) { first[t] = Math.min(first[t], p); last[t] = Math.max(last[t], p); }
    }
    for (int i : graph.outputs()) { last[i] = n; if (first[i] == Integer.MAX_VALUE) first[i] = -1; }
    Map<RuntimeTensor.Storage, List<ArenaPlanner.Request>> byStorage = new EnumMap<>(RuntimeTensor.Storage.class);
    for (int i = 0; i < tensors.length; i++) {
      RuntimeTensor t = tensors[i];
      if (t.constant || last[i] < -1 || first[i] == Integer.MAX_VALUE) continue;
      RuntimeTensor.Storage s = RuntimeTensor.storage(t.type);
      if (s == RuntimeTensor.Storage.NONE) continue;
      byStorage.computeIfAbsent(s, x -> new ArrayList<>()).add(new ArenaPlanner.Request(t, t.size(), first[i], last[i]));
    }
    arenaBytes = 0;
    arenaElements.clear();
    for (Map.Entry<RuntimeTensor.Storage, List<ArenaPlanner.Request>> e : byStorage.entrySet()) {
      long size = ArenaPlanner.plan(e.getValue(), 16);
      if (size > Integer.MAX_VALUE - 16) throw new UnsupportedOpException("model '" + model.source() + "': arena of " + size + " elements is over 2^31");
      arenaElements.put(e.getKey(), size);
      int len = (int) size;
      float[] f = null; byte[] b = null; short[] s = null; int[] in = null; long[] l = null;
      switch (e.getKey()) {
        case F32: f = new float[len]; arenaBytes += 4L * len; break;
        case I8: b = new byte[len]; arenaBytes += len; break;
        case I16: s = new short[len]; arenaBytes += 2L * len; break;
        case I32: in = new int[len]; arenaBytes += 4L * len; break;
        case I64: l = new long[len]; arenaBytes += 8L * len; break;
        default: break;
      }
      for (ArenaPlanner.Request r : e.getValue()) {
        RuntimeTensor t = (RuntimeTensor) r.key;
        t.offset = (int) r.offset;
        t.f32 = f; t.i8 = b; t.i16 = s; t.i32 = in; t.i64 = l;
      }
    }
  }

  /** A runtime tensor for a model tensor: constants get their values now. */
  private RuntimeTensor load(Tensor t) {
    RuntimeTensor r = new RuntimeTensor(t.index(), t.name(), t.type(), t.shape(), t.quantization());
    if (!t.isConstant()) return r;
    String where = "model '" + model.source() + "', tensor " + t.index() + " '" + t.name() + "'";
    if (RuntimeTensor.storage(t.type()) == RuntimeTensor.Storage.NONE) {
      throw new UnsupportedOpException(where + ": constant of type " + t.type().lowerName() + " is not supported");
    }
    r.allocateOwn();
    r.constant = true;
    ByteBuffer d = t.sparsity() == null ? t.dataView().order(ByteOrder.LITTLE_ENDIAN)
        : ByteBuffer.wrap(io.kompakt.engine.model.Densifier.densify(where, t.type(), t.shape(), t.sparsity(), t.dataView()))
            .order(ByteOrder.LITTLE_ENDIAN);
    int n = r.size();
    switch (t.type()) {
      case FLOAT32: d.asFloatBuffer().get(r.f32, 0, n); break;
      case FLOAT16: for (int i = 0; i < n; i++) r.f32[i] = Float16.toFloat(d.getShort(2 * i)); break;
      case INT8: case UINT8: case BOOL: d.get(r.i8, 0, n); break;
      case INT16: d.asShortBuffer().get(r.i16, 0, n); break;
      case INT32: d.asIntBuffer().get(r.i32, 0, n); break;
      case INT64: d.asLongBuffer().get(r.i64, 0, n); break;
      default: throw new UnsupportedOpException(where + ": constant of type " + t.type().lowerName() + " is not supported");
    }
    return r;
  }

  /** Runs with one input and one output (arrays of the tensor's shape, flat arrays, ByteBuffer or FloatBuffer). */
  public void run(Object input, Object output) {
    runForMultipleInputsOutputs(new Object[] {input}, Map.of(0, output));
  }

  /** Runs with every input (by position) and the outputs wanted (by output index). */
  public void runForMultipleInputsOutputs(Object[] inputs, Map<Integer, Object> outputs) {
    checkOpen();
    if (inputs == null || inputs.length != graph.inputs().length) {
      throw new IllegalArgumentException("the model has " + graph.inputs().length + " inputs; got " + (inputs == null ? 0 : inputs.length));
    }
    if (!allocated) allocateTensors();
    for (int i = 0; i < inputs.length; i++) copyIn(i, inputs[i]);
    long t0 = System.nanoTime();
    runKernels();
    lastRunNanos = System.nanoTime() - t0;
    for (Map.Entry<Integer, Object> e : outputs.entrySet()) {
      checkIndex(e.getKey(), graph.outputs().length, "output");
      copyOut(getOutputTensor(e.getKey()), e.getValue(), "output " + e.getKey());
    }
  }

  private void runKernels() {
    OpObserver o = options.observer;
    final SharedScratch scratch = this.scratch;
    if (o == null) {
      for (Kernel k : kernels) {
        scratch.advance();
        k.run();
      }
      return;
    }
    for (int k = 0; k < kernels.length; k++) {
      scratch.advance();
      kernels[k].run();
      o.afterOp(kernelOps[k], kernelOutputs[k]);
    }
  }

  /** Runs on inputs already written into the input tensors ({@link #getInputTensor}). */
  public void invoke() {
    checkOpen();
    if (!allocated) allocateTensors();
    long t0 = System.nanoTime();
    runKernels();
    lastRunNanos = System.nanoTime() - t0;
  }

  /**
   * Runs once on the inputs in place, adding each kernel's wall time to {@code nanos[k]} (k in run order; see
   * {@link #kernelOperator}). For per-op profiles; allocates nothing.
   */
  public void invokeProfiled(long[] nanos) {
    checkOpen();
    if (!allocated) allocateTensors();
    if (nanos.length < kernels.length) throw new IllegalArgumentException("need " + kernels.length + " slots, got " + nanos.length);
    long t0 = System.nanoTime(), last = t0;
    for (int k = 0; k < kernels.length; k++) {
      scratch.advance();
      kernels[k].run();
      long now = System.nanoTime();
      nanos[k] += now - last;
      last = now;
    }
    lastRunNanos = last - t0;
  }

  /** The operator that kernel {@code k} (in run order) runs. */
  public Operator kernelOperator(int k) {
    if (k < 0 || k >= kernelOps.length) throw new IllegalArgumentException("kernel " + k + " of " + kernelOps.length);
    return graph.operators().get(kernelOps[k]);
  }

  private void copyIn(int i, Object src) {
    RuntimeTensor t = getInputTensor(i);
    String what = "input " + i + " " + t;
    if (src == null) throw new IllegalArgumentException(what + ": no data given");
    int n = t.size();
    if (src instanceof ByteBuffer) {
      ByteBuffer b = ((ByteBuffer) src).duplicate().order(((ByteBuffer) src).order());
      b.rewind();
      long need = t.type.bytesFor(n);
      if (b.remaining() != need) throw new IllegalArgumentException(what + " needs " + need + " bytes; the ByteBuffer has " + b.remaining());
      t.readFrom(b);
      return;
    }
    if (src instanceof FloatBuffer) {
      requireStorage(t, RuntimeTensor.Storage.F32, what, "a FloatBuffer");
      FloatBuffer f = ((FloatBuffer) src).duplicate();
      ((Buffer) f).rewind();
      if (f.remaining() != n) throw new IllegalArgumentException(what + " needs " + n + " floats; the FloatBuffer has " + f.remaining());
      f.get(t.f32, t.offset, n);
      return;
    }
    int[] pos = {0};
    copyArray(src, t, true, pos, what);
    if (pos[0] != n) throw new IllegalArgumentException(what + " needs " + n + " elements; the array has " + pos[0]);
  }

  private static void copyOut(RuntimeTensor t, Object dst, String what) {
    int n = t.size();
    if (dst instanceof ByteBuffer) {
      ByteBuffer b = ((ByteBuffer) dst).duplicate().order(((ByteBuffer) dst).order());
      b.rewind();
      long need = t.type.bytesFor(n);
      if (b.remaining() < need) throw new IllegalArgumentException(what + " " + t + " needs " + need + " bytes; the ByteBuffer has " + b.remaining());
      t.writeTo(b);
      return;
    }
    if (dst instanceof FloatBuffer) {
      requireStorage(t, RuntimeTensor.Storage.F32, what, "a FloatBuffer");
      FloatBuffer f = ((FloatBuffer) dst).duplicate();
      ((Buffer) f).rewind();
      if (f.remaining() < n) throw new IllegalArgumentException(what + " " + t + " needs " + n + " floats; the FloatBuffer has " + f.remaining());
      f.put(t.f32, t.offset, n);
      return;
    }
    int[] pos = {0};
    copyArray(dst, t, false, pos, what + " " + t);
    if (pos[0] != n) throw new IllegalArgumentException(what + " " + t + " has " + n + " elements; the array holds " + pos[0]);
  }

  private static void requireStorage(RuntimeTensor t, RuntimeTensor.Storage s, String what, String given) {
    if (RuntimeTensor.storage(t.type) != s) throw new IllegalArgumentException(what + " is " + t.type.lowerName() + "; got " + given);
  }

  /** Copies between a (possibly nested) Java array and the tensor, in row-major order. */
  private static void copyArray(Object arr, RuntimeTensor t, boolean in, int[] pos, String what) {
    if (arr == null || !arr.getClass().isArray()) {
      throw new IllegalArgumentException(what + ": expected an array, ByteBuffer or FloatBuffer, got " + (arr == null ? "null" : arr.getClass().getSimpleName()));
    }
    Class<?> c = arr.getClass().getComponentType();
    if (c.isArray()) {
      int len = Array.getLength(arr);
      for (int i = 0; i < len; i++) copyArray(Array.get(arr, i), t, in, pos, what);
      return;
    }
    int len = Array.getLength(arr);
    int n = t.size();
    if (pos[0] + len > n) throw new IllegalArgumentException(what + " has " + n + " elements; the array holds more");
    RuntimeTensor.Storage s = RuntimeTensor.storage(t.type);
    int o = t.offset + pos[0];
    if (c == float.class && s == RuntimeTensor.Storage.F32) {
      if (in) System.arraycopy(arr, 0, t.f32, o, len); else System.arraycopy(t.f32, o, arr, 0, len);
    } else if (c == byte.class && s == RuntimeTensor.Storage.I8) {
      if (in) System.arraycopy(arr, 0, t.i8, o, len); else System.arraycopy(t.i8, o, arr, 0, len);
    } else if (c == short.class && s == RuntimeTensor.Storage.I16) {
      if (in) System.arraycopy(arr, 0, t.i16, o, len); else System.arraycopy(t.i16, o, arr, 0, len);
    } else if (c == int.class && s == RuntimeTensor.Storage.I32) {
      if (in) System.arraycopy(arr, 0, t.i32, o, len); else System.arraycopy(t.i32, o, arr, 0, len);
    } else if (c == long.class && s == RuntimeTensor.Storage.I64) {
      if (in) System.arraycopy(arr, 0, t.i64, o, len); else System.arraycopy(t.i64, o, arr, 0, len);
    } else if (c == boolean.class && t.type == TensorType.BOOL) {
      boolean[] b = (boolean[]) arr;
      for (int i = 0; i < len; i++) { if (in) t.i8[o + i] = (byte) (b[i] ? 1 : 0); else b[i] = t.i8[o + i] != 0; }
    } else {
      throw new IllegalArgumentException(what + " is " + t.type.lowerName() + "; cannot copy " + (in ? "from" : "to") + " a " + c + " array");
    }
    pos[0] += len;
  }

  private void checkOpen() {
    if (closed) throw new IllegalStateException("interpreter is closed");
  }

  @Override
  public void close() {
    closed = true;
    parallel.close();
    kernels = new Kernel[0];
    for (RuntimeTensor t : tensors) {
      if (t != null) { t.f32 = null; t.i8 = null; t.i16 = null; t.i32 = null; t.i64 = null; }
    }
  }
}
