package io.kompakt.engine.edit;

import com.google.flatbuffers.FlatBufferBuilder;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.Sparsity;
import io.kompakt.engine.model.ZipTail;
import io.kompakt.schema.tflite.Buffer;
import io.kompakt.schema.tflite.DimensionMetadata;
import io.kompakt.schema.tflite.Metadata;
import io.kompakt.schema.tflite.OperatorCode;
import io.kompakt.schema.tflite.QuantizationParameters;
import io.kompakt.schema.tflite.SignatureDef;
import io.kompakt.schema.tflite.SparsityParameters;
import io.kompakt.schema.tflite.SubGraph;
import io.kompakt.schema.tflite.TensorMap;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serializes an {@link EditableModel} as a TFLite file: buffer data 16-byte aligned, operator codes in order of
 * first use, the same bytes for the same model, associated files appended as a zip tail. Files are written to
 * a temporary file beside the target and moved into place, so a failure leaves no partial file.
 *
 * <p>Buffers go inside the FlatBuffer unless their total exceeds {@link #externalThreshold} (default 1.5 GB):
 * then every buffer is stored after it, by offset and size, as TFLite allows for models over 2 GB.
 */
public final class ModelWriter {
  /** Total buffer bytes above which buffers are stored outside the FlatBuffer. */
  private long externalThreshold = 3L << 29;

  public ModelWriter() {}

  /** Stores buffers by offset and size when their total exceeds {@code bytes} (0: always). */
  public ModelWriter externalThreshold(long bytes) {
    this.externalThreshold = bytes;
    return this;
  }

  /** The model as bytes (in memory; models over 2 GB need {@link #write(EditableModel, Path)}). */
  public static byte[] toBytes(EditableModel m) {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      new ModelWriter().writeTo(m, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the model to {@code path} through a temporary file, replacing any existing file only on success. */
  public void write(EditableModel m, Path path) throws IOException {
    io.kompakt.engine.AtomicFiles.write(path, out -> writeTo(m, out));
  }

  /** Writes the whole file to a stream. */
  public void writeTo(EditableModel m, OutputStream out) throws IOException {
    long total = 0;
    for (EditableModel.Buffer b : m.buffers) total += b.size();
    boolean external = total > externalThreshold;
    byte[] fb;
    long[] offsets = null;
    if (!external) {
      fb = build(m, null);
    } else {
      // Two passes: the FlatBuffer's size does not depend on the offsets' values (fixed-size fields).
      long[] placeholder = new long[m.buffers.size()];
      for (int i = 0; i < placeholder.length; i++) placeholder[i] = m.buffers.get(i).size() > 0 ? 2 : 0; // the fields the real pass writes
      int size = build(m, placeholder).length;
      offsets = new long[m.buffers.size()];
      long pos = align(size, 16);
      for (int i = 0; i < offsets.length; i++) {
        EditableModel.Buffer b = m.buffers.get(i);
        if (b.size() == 0) continue;
        offsets[i] = pos;
        pos = align(pos + b.size(), 16);
      }
      fb = build(m, offsets);
      if (fb.length != size) throw new IllegalStateException("FlatBuffer size changed between passes");
    }
    out.write(fb);
    long pos = fb.length;
    if (external) {
      WritableByteChannel ch = Channels.newChannel(out);
      for (int i = 0; i < offsets.length; i++) {
        if (offsets[i] == 0) continue;
        pos = pad(out, pos, offsets[i]);
        ByteBuffer d = m.buffers.get(i).data();
        pos += d.remaining();
        while (d.hasRemaining()) ch.write(d);
      }
    }
    if (!m.associatedFiles.isEmpty()) {
      pos = pad(out, pos, align(pos, 16));
      out.write(ZipTail.write(m.associatedFiles));
    }
    out.flush();
  }

  private static long align(long v, int a) { return (v + a - 1) / a * a; }

  private static long pad(OutputStream out, long pos, long target) throws IOException {
    while (pos < target) { out.write(0); pos++; }
    return pos;
  }

  /** Builds the FlatBuffer; {@code offsets} non-null: buffers stored outside at those offsets. */
  private static byte[] build(EditableModel m, long[] offsets) {
    FlatBufferBuilder b = new FlatBufferBuilder(1 << 16);
    Map<EditableModel.Buffer, Integer> bufIndex = new IdentityHashMap<>();
    for (int i = 0; i < m.buffers.size(); i++) {
      if (bufIndex.putIfAbsent(m.buffers.get(i), i) != null) throw new IllegalArgumentException("buffer " + i + " is listed twice");
    }
    if (m.buffers.isEmpty() || m.buffers.get(0).size() != 0) {
      throw new IllegalArgumentException("buffer 0 must be the empty sentinel");
    }
    // operator codes, in order of first use
    Map<String, Integer> codeIndex = new LinkedHashMap<>();
    List<io.kompakt.engine.model.OpCode> codes = new ArrayList<>();
    for (EditableModel.Subgraph s : m.subgraphs) {
      for (EditableModel.Operator op : s.operators) {
        Objects.requireNonNull(op.opCode, "operator without an op code");
        String key = op.opCode.builtinCode() + "/" + op.opCode.customCode() + "/" + op.opCode.version();
        if (!codeIndex.containsKey(key)) { codeIndex.put(key, codes.size()); codes.add(op.opCode); }
      }
    }

    // Buffers first (largest data, written at the end of the builder's space = front of the file's tail).
    int[] bufferOffs = new int[m.buffers.size()];
    for (int i = m.buffers.size() - 1; i >= 0; i--) {
      EditableModel.Buffer buf = m.buffers.get(i);
      int data = 0;
      if (offsets == null && buf.size() > 0) {
        ByteBuffer d = buf.data();
        b.prep(16, d.remaining()); // data 16-byte aligned, as TFLite's converter writes it
        data = b.createByteVector(d);
      }
      Buffer.startBuffer(b);
      if (data != 0) Buffer.addData(b, data);
      if (offsets != null && offsets[i] != 0) {
        Buffer.addOffset(b, offsets[i]);
        Buffer.addSize(b, buf.size());
      }
      bufferOffs[i] = Buffer.endBuffer(b);
    }
    int buffersVec = Model_createVector(b, bufferOffs);

    int[] codeOffs = new int[codes.size()];
    for (int i = 0; i < codes.size(); i++) {
      io.kompakt.engine.model.OpCode c = codes.get(i);
      int custom = c.customCode() == null ? 0 : b.createString(c.customCode());
      OperatorCode.startOperatorCode(b);
      OperatorCode.addDeprecatedBuiltinCode(b, (byte) Math.min(c.builtinCode(), 127));
      if (custom != 0) OperatorCode.addCustomCode(b, custom);
      OperatorCode.addVersion(b, c.version());
      OperatorCode.addBuiltinCode(b, c.builtinCode());
      codeOffs[i] = OperatorCode.endOperatorCode(b);
    }
    int codesVec = Model_createVector(b, codeOffs);

    Map<EditableModel.Subgraph, Integer> sgIndex = new IdentityHashMap<>();
    List<Map<EditableModel.Tensor, Integer>> tensorIndices = new ArrayList<>();
    int[] sgOffs = new int[m.subgraphs.size()];
    for (int s = 0; s < m.subgraphs.size(); s++) {
      EditableModel.Subgraph sg = m.subgraphs.get(s);
      sgIndex.put(sg, s);
      Map<EditableModel.Tensor, Integer> ti = new IdentityHashMap<>();
      for (int i = 0; i < sg.tensors.size(); i++) {
        if (ti.putIfAbsent(sg.tensors.get(i), i) != null) throw new IllegalArgumentException("subgraph " + s + ": tensor " + i + " is listed twice");
      }
      tensorIndices.add(ti);
      int[] tOffs = new int[sg.tensors.size()];
      for (int i = 0; i < tOffs.length; i++) tOffs[i] = writeTensor(b, sg.tensors.get(i), bufIndex, "subgraph " + s + ", tensor " + i);
      int tensorsVec = Model_createVector(b, tOffs);
      int[] oOffs = new int[sg.operators.size()];
      for (int i = 0; i < oOffs.length; i++) {
        EditableModel.Operator op = sg.operators.get(i);
        String where = "subgraph " + s + ", operator " + i + " (" + op.opCode.name() + ")";
        int in = intVector(b, indices(op.inputs, ti, true, where + " input"));
        int out = intVector(b, indices(op.outputs, ti, false, where + " output"));
        int mid = op.intermediates.isEmpty() ? 0 : intVector(b, indices(op.intermediates, ti, false, where + " intermediate"));
        int opts = op.options == null ? 0 : op.options.write(b);
        int opts2 = op.options2 == null ? 0 : op.options2.write(b);
        int custom = 0;
        if (op.customOptions != null) {
          ByteBuffer c = op.customOptions.duplicate();
          c.clear();
          custom = b.createByteVector(c);
        }
        io.kompakt.schema.tflite.Operator.startOperator(b);
        String key = op.opCode.builtinCode() + "/" + op.opCode.customCode() + "/" + op.opCode.version();
        io.kompakt.schema.tflite.Operator.addOpcodeIndex(b, codeIndex.get(key));
        io.kompakt.schema.tflite.Operator.addInputs(b, in);
        io.kompakt.schema.tflite.Operator.addOutputs(b, out);
        if (opts != 0) {
          io.kompakt.schema.tflite.Operator.addBuiltinOptionsType(b, unionIndex("BuiltinOptions", op.options));
          io.kompakt.schema.tflite.Operator.addBuiltinOptions(b, opts);
        }
        if (custom != 0) io.kompakt.schema.tflite.Operator.addCustomOptions(b, custom);
        if (mid != 0) io.kompakt.schema.tflite.Operator.addIntermediates(b, mid);
        if (opts2 != 0) {
          io.kompakt.schema.tflite.Operator.addBuiltinOptions2Type(b, unionIndex("BuiltinOptions2", op.options2));
          io.kompakt.schema.tflite.Operator.addBuiltinOptions2(b, opts2);
        }
        oOffs[i] = io.kompakt.schema.tflite.Operator.endOperator(b);
      }
      int opsVec = Model_createVector(b, oOffs);
      int inVec = intVector(b, indices(sg.inputs, ti, false, "subgraph " + s + " input"));
      int outVec = intVector(b, indices(sg.outputs, ti, false, "subgraph " + s + " output"));
      int name = sg.name == null ? 0 : b.createString(sg.name);
      SubGraph.startSubGraph(b);
      SubGraph.addTensors(b, tensorsVec);
      SubGraph.addInputs(b, inVec);
      SubGraph.addOutputs(b, outVec);
      SubGraph.addOperators(b, opsVec);
      if (name != 0) SubGraph.addName(b, name);
      sgOffs[s] = SubGraph.endSubGraph(b);
    }
    int sgVec = Model_createVector(b, sgOffs);

    int description = m.description == null ? 0 : b.createString(m.description);
    int[] mdOffs = new int[m.metadata.size()];
    for (int i = 0; i < mdOffs.length; i++) {
      EditableModel.Metadata md = m.metadata.get(i);
      int name = b.createString(md.name == null ? "" : md.name);
      mdOffs[i] = Metadata.createMetadata(b, name, bufferIndex(bufIndex, md.buffer, "metadata '" + md.name + "'"));
    }
    int mdVec = mdOffs.length == 0 ? 0 : Model_createVector(b, mdOffs);
    int mbVec = 0;
    if (!m.metadataBuffers.isEmpty()) {
      int[] mb = new int[m.metadataBuffers.size()];
      for (int i = 0; i < mb.length; i++) mb[i] = bufferIndex(bufIndex, m.metadataBuffers.get(i), "metadata_buffer " + i);
      mbVec = intVector(b, mb);
    }
    int[] sdOffs = new int[m.signatures.size()];
    for (int i = 0; i < sdOffs.length; i++) {
      EditableModel.SignatureDef sd = m.signatures.get(i);
      Integer sgi = sgIndex.get(sd.subgraph);
      if (sgi == null) throw new IllegalArgumentException("signature '" + sd.key + "' names a subgraph not in the model");
      Map<EditableModel.Tensor, Integer> ti = tensorIndices.get(sgi);
      int ins = tensorMaps(b, sd.inputs, ti, "signature '" + sd.key + "' input");
      int outs = tensorMaps(b, sd.outputs, ti, "signature '" + sd.key + "' output");
      int key = sd.key == null ? 0 : b.createString(sd.key);
      SignatureDef.startSignatureDef(b);
      SignatureDef.addInputs(b, ins);
      SignatureDef.addOutputs(b, outs);
      if (key != 0) SignatureDef.addSignatureKey(b, key);
      SignatureDef.addSubgraphIndex(b, sgi);
      sdOffs[i] = SignatureDef.endSignatureDef(b);
    }
    int sdVec = sdOffs.length == 0 ? 0 : Model_createVector(b, sdOffs);

    io.kompakt.schema.tflite.Model.startModel(b);
    io.kompakt.schema.tflite.Model.addVersion(b, m.version);
    io.kompakt.schema.tflite.Model.addOperatorCodes(b, codesVec);
    io.kompakt.schema.tflite.Model.addSubgraphs(b, sgVec);
    if (description != 0) io.kompakt.schema.tflite.Model.addDescription(b, description);
    io.kompakt.schema.tflite.Model.addBuffers(b, buffersVec);
    if (mbVec != 0) io.kompakt.schema.tflite.Model.addMetadataBuffer(b, mbVec);
    if (mdVec != 0) io.kompakt.schema.tflite.Model.addMetadata(b, mdVec);
    if (sdVec != 0) io.kompakt.schema.tflite.Model.addSignatureDefs(b, sdVec);
    int root = io.kompakt.schema.tflite.Model.endModel(b);
    io.kompakt.schema.tflite.Model.finishModelBuffer(b, root);
    return b.sizedByteArray();
  }

  private static int Model_createVector(FlatBufferBuilder b, int[] offs) {
    b.startVector(4, offs.length, 4);
    for (int i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
    return b.endVector();
  }

  private static int intVector(FlatBufferBuilder b, int[] v) {
    b.startVector(4, v.length, 4);
    for (int i = v.length - 1; i >= 0; i--) b.addInt(v[i]);
    return b.endVector();
  }

  private static byte unionIndex(String union, FlatTable t) {
    int idx = io.kompakt.schema.tflite.TfliteLayout.LAYOUT.union(union).indexOf(t.typeName());
    if (idx < 0) throw new IllegalArgumentException(t.typeName() + " is not a member of " + union);
    return (byte) idx;
  }

  private static int[] indices(List<EditableModel.Tensor> ts, Map<EditableModel.Tensor, Integer> ti, boolean optional, String where) {
    int[] r = new int[ts.size()];
    for (int i = 0; i < r.length; i++) {
      EditableModel.Tensor t = ts.get(i);
      if (t == null && optional) { r[i] = -1; continue; }
      Integer idx = t == null ? null : ti.get(t);
      if (idx == null) throw new IllegalArgumentException(where + " " + i + (t == null ? " is null" : " " + t + " is not a tensor of the subgraph"));
      r[i] = idx;
    }
    return r;
  }

  private static int bufferIndex(Map<EditableModel.Buffer, Integer> bufIndex, EditableModel.Buffer buf, String where) {
    if (buf == null) return 0;
    Integer i = bufIndex.get(buf);
    if (i == null) throw new IllegalArgumentException(where + " uses a buffer that is not in the model's buffer list");
    return i;
  }

  private static int tensorMaps(FlatBufferBuilder b, Map<String, EditableModel.Tensor> map, Map<EditableModel.Tensor, Integer> ti, String where) {
    int[] offs = new int[map.size()];
    int i = 0;
    for (Map.Entry<String, EditableModel.Tensor> e : map.entrySet()) {
      Integer idx = ti.get(e.getValue());
      if (idx == null) throw new IllegalArgumentException(where + " '" + e.getKey() + "' is not a tensor of its subgraph");
      offs[i++] = TensorMap.createTensorMap(b, b.createString(e.getKey()), idx);
    }
    return Model_createVector(b, offs);
  }

  private static int writeTensor(FlatBufferBuilder b, EditableModel.Tensor t, Map<EditableModel.Buffer, Integer> bufIndex, String where) {
    int shape = intVector(b, t.shape);
    int sig = t.shapeSignature.length == 0 ? 0 : intVector(b, t.shapeSignature);
    int name = b.createString(t.name == null ? "" : t.name);
    int quant = writeQuantization(b, t.quantization);
    int sparsity = t.sparsity == null ? 0 : writeSparsity(b, t.sparsity);
    io.kompakt.schema.tflite.Tensor.startTensor(b);
    io.kompakt.schema.tflite.Tensor.addShape(b, shape);
    io.kompakt.schema.tflite.Tensor.addType(b, (byte) t.type.code);
    io.kompakt.schema.tflite.Tensor.addBuffer(b, bufferIndex(bufIndex, t.buffer, where));
    io.kompakt.schema.tflite.Tensor.addName(b, name);
    if (quant != 0) io.kompakt.schema.tflite.Tensor.addQuantization(b, quant);
    if (t.isVariable) io.kompakt.schema.tflite.Tensor.addIsVariable(b, true);
    if (sparsity != 0) io.kompakt.schema.tflite.Tensor.addSparsity(b, sparsity);
    if (sig != 0) io.kompakt.schema.tflite.Tensor.addShapeSignature(b, sig);
    return io.kompakt.schema.tflite.Tensor.endTensor(b);
  }

  private static int writeQuantization(FlatBufferBuilder b, Quantization q) {
    if (q == null || q.isEmpty()) return 0;
    int min = q.min().length == 0 ? 0 : QuantizationParameters.createMinVector(b, q.min());
    int max = q.max().length == 0 ? 0 : QuantizationParameters.createMaxVector(b, q.max());
    int scale = q.scale().length == 0 ? 0 : QuantizationParameters.createScaleVector(b, q.scale());
    int zp = q.zeroPoint().length == 0 ? 0 : QuantizationParameters.createZeroPointVector(b, q.zeroPoint());
    int details = q.details() == null ? 0 : q.details().write(b);
    QuantizationParameters.startQuantizationParameters(b);
    if (min != 0) QuantizationParameters.addMin(b, min);
    if (max != 0) QuantizationParameters.addMax(b, max);
    if (scale != 0) QuantizationParameters.addScale(b, scale);
    if (zp != 0) QuantizationParameters.addZeroPoint(b, zp);
    if (details != 0) {
      QuantizationParameters.addDetailsType(b, unionIndex("QuantizationDetails", q.details()));
      QuantizationParameters.addDetails(b, details);
    }
    QuantizationParameters.addQuantizedDimension(b, q.quantizedDimension());
    return QuantizationParameters.endQuantizationParameters(b);
  }

  private static int writeSparsity(FlatBufferBuilder b, Sparsity s) {
    int order = intVector(b, s.traversalOrder());
    int blockMap = s.blockMap().length == 0 ? 0 : intVector(b, s.blockMap());
    int[] dims = new int[s.dimensions().size()];
    for (int i = 0; i < dims.length; i++) {
      Sparsity.Dimension d = s.dimensions().get(i);
      if (d.format() == Sparsity.Format.DENSE) {
        DimensionMetadata.startDimensionMetadata(b);
        DimensionMetadata.addFormat(b, (byte) 0);
        DimensionMetadata.addDenseSize(b, d.denseSize());
        dims[i] = DimensionMetadata.endDimensionMetadata(b);
      } else {
        String segType = d.segmentsType() != null ? d.segmentsType() : indexType(d.segments());
        String idxType = d.indicesType() != null ? d.indicesType() : indexType(d.indices());
        int seg = indexVector(b, segType, d.segments());
        int idx = indexVector(b, idxType, d.indices());
        DimensionMetadata.startDimensionMetadata(b);
        DimensionMetadata.addFormat(b, (byte) 1);
        DimensionMetadata.addDenseSize(b, d.denseSize());
        DimensionMetadata.addArraySegmentsType(b, (byte) io.kompakt.schema.tflite.TfliteLayout.LAYOUT.union("SparseIndexVector").indexOf(segType));
        DimensionMetadata.addArraySegments(b, seg);
        DimensionMetadata.addArrayIndicesType(b, (byte) io.kompakt.schema.tflite.TfliteLayout.LAYOUT.union("SparseIndexVector").indexOf(idxType));
        DimensionMetadata.addArrayIndices(b, idx);
        dims[i] = DimensionMetadata.endDimensionMetadata(b);
      }
    }
    int dimVec = Model_createVector(b, dims);
    SparsityParameters.startSparsityParameters(b);
    SparsityParameters.addTraversalOrder(b, order);
    if (blockMap != 0) SparsityParameters.addBlockMap(b, blockMap);
    SparsityParameters.addDimMetadata(b, dimVec);
    return SparsityParameters.endSparsityParameters(b);
  }

  /** The smallest index vector type that holds every value (as TFLite's converter chooses). */
  static String indexType(int[] values) {
    int max = 0;
    for (int v : values) max = Math.max(max, v);
    return max <= 0xFF ? "Uint8Vector" : max <= 0xFFFF ? "Uint16Vector" : "Int32Vector";
  }

  private static int indexVector(FlatBufferBuilder b, String type, int[] values) {
    FlatTable t = FlatTable.of(type);
    if (type.equals("Uint8Vector")) {
      byte[] v = new byte[values.length];
      for (int i = 0; i < v.length; i++) v[i] = (byte) values[i];
      t.set("values", v);
    } else {
      t.set("values", values);
    }
    return t.write(b);
  }
}
