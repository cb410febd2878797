package io.kompakt.engine.edit;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.Sparsity;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model that can be changed and written ({@link ModelWriter}): buffers, subgraphs with tensors and
 * operators, metadata, signatures and associated files. Operators refer to tensor objects, not indices, so
 * tensors can be added and removed freely; the writer numbers them.
 *
 * <p>Made from a loaded {@link Model} ({@link #from(Model)}; constant data stay views into the original file
 * until written; operator options are copied, so editing them leaves the loaded model as it is) or built from
 * scratch ({@link #EditableModel()} and the {@code add...} methods).
 */
public final class EditableModel {

  /** A buffer of constant bytes. The model's first buffer is the empty sentinel that TFLite expects. */
  public static final class Buffer {
    private ByteBuffer data;

    public Buffer(ByteBuffer data) { setData(data); }

    /** The bytes (read-only little-endian view), or null if empty. */
    public ByteBuffer data() { return data == null ? null : data.duplicate().order(ByteOrder.LITTLE_ENDIAN); }

    public long size() { return data == null ? 0 : data.remaining(); }

    public void setData(ByteBuffer d) {
      this.data = d == null || !d.hasRemaining() ? null : d.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  /** A tensor. {@code buffer} is null for tensors computed at run time. */
  public static final class Tensor {
    public String name = "";
    public TensorType type = TensorType.FLOAT32;
    public int[] shape = new int[0];
    public int[] shapeSignature = new int[0];
    public Buffer buffer;
    public Quantization quantization = Quantization.NONE;
    public Sparsity sparsity;
    public boolean isVariable;

    public Tensor() {}

    public Tensor(String name, TensorType type, int... shape) {
      this.name = name;
      this.type = type;
      this.shape = shape.clone();
    }

    public long elementCount() { return io.kompakt.engine.model.Tensor.elementCount(shape); }

    /** The buffer's values as float32 (little-endian), one per element. */
    public float[] floats() {
      ByteBuffer d = buffer == null ? null : buffer.data();
      int n = (int) elementCount();
      if (d == null || d.remaining() < 4L * n) {
        throw new IllegalArgumentException("tensor " + this + " has " + (d == null ? 0 : d.remaining()) + " bytes for " + n + " floats");
      }
      float[] v = new float[n];
      d.asFloatBuffer().get(v);
      return v;
    }

    @Override
    public String toString() { return "'" + name + "' " + type.lowerName() + Arrays.toString(shape); }
  }

  /** An operator. A null input stands for an omitted optional input (index -1 in the file). */
  public static final class Operator {
    public OpCode opCode;
    public final List<Tensor> inputs = new ArrayList<>();
    public final List<Tensor> outputs = new ArrayList<>();
    public final List<Tensor> intermediates = new ArrayList<>();
    public FlatTable options;
    public FlatTable options2;
    public ByteBuffer customOptions;

    public Operator(OpCode opCode) { this.opCode = opCode; }

    @Override
    public String toString() { return opCode.toString(); }
  }

  /** A subgraph. */
  public static final class Subgraph {
    public String name;
    public final List<Tensor> tensors = new ArrayList<>();
    public final List<Operator> operators = new ArrayList<>();
    public final List<Tensor> inputs = new ArrayList<>();
    public final List<Tensor> outputs = new ArrayList<>();

    /** Adds a tensor to this subgraph and returns it. */
    public Tensor add(Tensor t) {
      tensors.add(t);
      return t;
    }

    /** Adds an operator, appended to the execution order. */
    public Operator add(Operator op) {
      operators.add(op);
      return op;
    }
  }

  /** A named metadata entry. */
  public static final class Metadata {
    public String name;
    public Buffer buffer;

    public Metadata(String name, Buffer buffer) {
      this.name = name;
      this.buffer = buffer;
    }
  }

  /** A signature: named inputs and outputs of a subgraph. */
  public static final class SignatureDef {
    public String key;
    public Subgraph subgraph;
    public final Map<String, Tensor> inputs = new LinkedHashMap<>();
    public final Map<String, Tensor> outputs = new LinkedHashMap<>();
  }

  public int version = Model.SCHEMA_VERSION;
  public String description;
  /** All buffers in file order; index 0 is the empty sentinel. */
  public final List<Buffer> buffers = new ArrayList<>();
  public final List<Subgraph> subgraphs = new ArrayList<>();
  public final List<Metadata> metadata = new ArrayList<>();
  public final List<SignatureDef> signatures = new ArrayList<>();
  /** The deprecated metadata_buffer list. */
  public final List<Buffer> metadataBuffers = new ArrayList<>();
  /** Files for the zip tail (TFLite Metadata's label files), name to bytes. */
  public final Map<String, byte[]> associatedFiles = new LinkedHashMap<>();

  /** An empty model with the sentinel buffer. */
  public EditableModel() {
    buffers.add(new Buffer(null));
  }

  private EditableModel(boolean noSentinel) {}

  /**
   * Makes this model the same as {@code other} (its parts are taken over, not copied): for a step that changes a
   * model in place but builds the result as a new model, e.g. full-integer quantization.
   */
  public void replaceWith(EditableModel other) {
    if (other == this) return;
    version = other.version;
    description = other.description;
    buffers.clear();
    buffers.addAll(other.buffers);
    subgraphs.clear();
    subgraphs.addAll(other.subgraphs);
    metadata.clear();
    metadata.addAll(other.metadata);
    signatures.clear();
    signatures.addAll(other.signatures);
    metadataBuffers.clear();
    metadataBuffers.addAll(other.metadataBuffers);
    associatedFiles.clear();
    associatedFiles.putAll(other.associatedFiles);
  }

  /** A new buffer holding {@code values} as float32 (little-endian), appended to the model's buffers. */
  public Buffer addFloats(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return addBuffer(b);
  }

  /** A new buffer holding {@code data}, appended to the model's buffers. */
  public Buffer addBuffer(ByteBuffer data) {
    Buffer b = new Buffer(data);
    buffers.add(b);
    return b;
  }

  /** Removes buffers that no tensor or metadata uses any more (keeps the sentinel), e.g. after weights were replaced. */
  public void removeUnusedBuffers() {
    java.util.Set<Buffer> used = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    used.add(buffers.get(0));
    for (Subgraph g : subgraphs) for (Tensor t : g.tensors) if (t.buffer != null) used.add(t.buffer);
    for (Metadata md : metadata) used.add(md.buffer);
    used.addAll(metadataBuffers);
    buffers.removeIf(b -> !used.contains(b));
  }

  /** A new subgraph, appended. */
  public Subgraph addSubgraph(String name) {
    Subgraph s = new Subgraph();
    s.name = name;
    subgraphs.add(s);
    return s;
  }

  /** An editable copy of a loaded model. Constant data are shared views of the loaded file. */
  public static EditableModel from(Model m) {
    EditableModel e = new EditableModel(true);
    e.version = m.version();
    e.description = m.description();
    for (Model.Buffer b : m.buffers()) e.buffers.add(new Buffer(b.data()));
    if (e.buffers.isEmpty()) e.buffers.add(new Buffer(null));
    Map<io.kompakt.engine.model.Subgraph, Subgraph> sgMap = new IdentityHashMap<>();
    for (io.kompakt.engine.model.Subgraph sg : m.subgraphs()) {
      Subgraph s = new Subgraph();
      s.name = sg.name();
      List<Tensor> ts = s.tensors;
      for (io.kompakt.engine.model.Tensor t : sg.tensors()) {
        Tensor n = new Tensor();
        n.name = t.name();
        n.type = t.type();
        n.shape = t.shape().clone();
        n.shapeSignature = t.shapeSignature().clone();
        n.buffer = t.buffer() == 0 && m.buffers().isEmpty() ? null : e.buffers.get(t.buffer());
        if (t.buffer() == 0 && n.buffer != null && n.buffer.data == null) n.buffer = null;
        n.quantization = t.quantization();
        n.sparsity = t.sparsity();
        n.isVariable = t.isVariable();
        ts.add(n);
      }
      for (int i : sg.inputs()) s.inputs.add(ts.get(i));
      for (int i : sg.outputs()) s.outputs.add(ts.get(i));
      for (io.kompakt.engine.model.Operator o : sg.operators()) {
        Operator op = new Operator(o.opCode());
        for (int i : o.inputs()) op.inputs.add(i < 0 ? null : ts.get(i));
        for (int i : o.outputs()) op.outputs.add(ts.get(i));
        for (int i : o.intermediates()) op.intermediates.add(ts.get(i));
        // copies: an edit of this model's options must not change the loaded model's operators
        op.options = o.options() == null ? null : o.options().copy();
        op.options2 = o.options2() == null ? null : o.options2().copy();
        op.customOptions = o.customOptions();
        s.operators.add(op);
      }
      e.subgraphs.add(s);
      sgMap.put(sg, s);
    }
    for (Model.Metadata md : m.metadata()) e.metadata.add(new Metadata(md.name(), e.buffers.get(md.buffer())));
    for (int i : m.metadataBufferIndices()) e.metadataBuffers.add(e.buffers.get(i));
    for (io.kompakt.engine.model.SignatureDef sd : m.signatures()) {
      SignatureDef d = new SignatureDef();
      d.key = sd.key();
      d.subgraph = sgMap.get(m.subgraphs().get(sd.subgraphIndex()));
      sd.inputs().forEach((k, v) -> d.inputs.put(k, d.subgraph.tensors.get(v)));
      sd.outputs().forEach((k, v) -> d.outputs.put(k, d.subgraph.tensors.get(v)));
      e.signatures.add(d);
    }
    e.associatedFiles.putAll(m.associatedFiles());
    return e;
  }
}
