package io.kompakt.engine.model;

import io.kompakt.schema.tflite.DimensionMetadata;
import io.kompakt.schema.tflite.OperatorCode;
import io.kompakt.schema.tflite.QuantizationParameters;
import io.kompakt.schema.tflite.SparsityParameters;
import io.kompakt.schema.tflite.SubGraph;
import io.kompakt.schema.tflite.TensorMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Verifies a model's bytes and builds its read-only views, checking every index and size against the file. */
final class ModelReader {
  /** Reads a range of the file (for buffers stored by offset and for the zip tail). */
  interface Ranges {
    ByteBuffer read(long offset, long length) throws IOException;
  }

  private final String source;
  private final long fileSize;
  private final ByteBuffer bb;
  private final Ranges ranges;
  private Model model;
  /** What the reader may copy out of the file: shared vectors must not multiply memory (see {@link FlatTable.Budget}). */
  private final FlatTable.Budget budget;

  ModelReader(String source, long fileSize, ByteBuffer bytes, Ranges ranges) {
    this.source = source;
    this.fileSize = fileSize;
    this.bb = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.bb.clear();
    this.ranges = ranges;
    this.budget = new FlatTable.Budget(Math.max(1L << 22, 2 * fileSize), "model '" + source + "'");
  }

  private ModelFormatException fail(String where, String what) {
    return new ModelFormatException("model '" + source + "'" + (where.isEmpty() ? "" : ", " + where) + ": " + what);
  }

  Model read() throws IOException {
    try {
      FlatVerifier.verify(bb, Model.LAYOUT, "model", true);
    } catch (ModelFormatException e) {
      throw new ModelFormatException("model '" + source + "': " + e.getMessage(), e);
    }
    bb.position(0);
    io.kompakt.schema.tflite.Model m = io.kompakt.schema.tflite.Model.getRootAsModel(bb);
    model = new Model(source, fileSize, bb.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    model.version = (int) m.version();
    if (model.version != Model.SCHEMA_VERSION) {
      model.warnings.add("schema version " + model.version + " (TFLite expects " + Model.SCHEMA_VERSION + ")");
    }
    model.description = m.description();
    model.buffers = readBuffers(m);
    model.opCodes = readOpCodes(m);
    List<io.kompakt.engine.model.Subgraph> subgraphs = new ArrayList<>();
    for (int s = 0; s < m.subgraphsLength(); s++) subgraphs.add(readSubgraph(s, m.subgraphs(s)));
    model.subgraphs = Collections.unmodifiableList(subgraphs);
    model.metadata = readMetadata(m);
    model.signatures = readSignatures(m, subgraphs);
    int[] mb = new int[m.metadataBufferLength()];
    for (int i = 0; i < mb.length; i++) {
      mb[i] = m.metadataBuffer(i);
      if (mb[i] < 0 || mb[i] >= model.buffers.size()) {
        throw fail("metadata_buffer[" + i + "]", "buffer index " + mb[i] + " is outside the " + model.buffers.size() + " buffers");
      }
    }
    model.metadataBufferIndices = mb;
    model.associatedFiles = ZipTail.read(fileSize, ranges, model.warnings);
    model.tfliteMetadata = readTfliteMetadata();
    return model;
  }

  private List<Model.Buffer> readBuffers(io.kompakt.schema.tflite.Model m) throws IOException {
    int n = m.buffersLength();
    List<Model.Buffer> list = new ArrayList<>(n);
    io.kompakt.schema.tflite.Buffer b = new io.kompakt.schema.tflite.Buffer();
    for (int i = 0; i < n; i++) {
      m.buffers(b, i);
      long offset = b.offset(), size = b.size();
      ByteBuffer data = null;
      boolean external = false;
      if (offset > 1) { // TFLite: data stored outside the FlatBuffer, at an offset from the file's start
        if (size < 0 || offset + size > fileSize || offset + size < 0) {
          throw fail("buffer " + i, "offset " + offset + " + size " + Long.toUnsignedString(size) + " lies beyond the end of the file (" + fileSize + " bytes)");
        }
        if (size > Integer.MAX_VALUE) throw fail("buffer " + i, "size " + size + " is over 2 GB, more than one buffer can hold");
        if (size > 0) data = ranges.read(offset, size);
        external = true;
      } else if (b.dataLength() > 0) {
        ByteBuffer v = b.dataAsByteBuffer();
        data = v.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
      }
      list.add(new Model.Buffer(i, data, external));
    }
    return Collections.unmodifiableList(list);
  }

  private List<OpCode> readOpCodes(io.kompakt.schema.tflite.Model m) {
    List<OpCode> list = new ArrayList<>();
    OperatorCode c = new OperatorCode();
    for (int i = 0; i < m.operatorCodesLength(); i++) {
      m.operatorCodes(c, i);
      int code = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
      if (code < 0) throw fail("operator code " + i, "builtin code " + code + " is negative");
      String custom = code == OpCode.CUSTOM ? c.customCode() : null;
      list.add(new OpCode(code, custom, c.version()));
    }
    return Collections.unmodifiableList(list);
  }

  private io.kompakt.engine.model.Subgraph readSubgraph(int s, SubGraph g) throws IOException {
    String where = "subgraph " + s;
    int nt = g.tensorsLength();
    List<Tensor> tensors = new ArrayList<>(nt);
    io.kompakt.schema.tflite.Tensor t = new io.kompakt.schema.tflite.Tensor();
    for (int i = 0; i < nt; i++) tensors.add(readTensor(where, i, g.tensors(t, i)));
    int[] inputs = indices(where + " inputs", g.inputsVector() == null ? 0 : g.inputsLength(), g::inputs, nt, false);
    int[] outputs = indices(where + " outputs", g.outputsVector() == null ? 0 : g.outputsLength(), g::outputs, nt, false);
    List<Operator> ops = new ArrayList<>(g.operatorsLength());
    io.kompakt.schema.tflite.Operator o = new io.kompakt.schema.tflite.Operator();
    for (int i = 0; i < g.operatorsLength(); i++) ops.add(readOperator(where, i, g.operators(o, i), nt));
    return new io.kompakt.engine.model.Subgraph(s, g.name(), Collections.unmodifiableList(tensors),
        Collections.unmodifiableList(ops), inputs, outputs);
  }

  private int[] indices(String where, int n, java.util.function.IntUnaryOperator get, int count, boolean optional) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) {
      r[i] = get.applyAsInt(i);
      if ((r[i] < 0 && !(optional && r[i] == -1)) || r[i] >= count) {
        throw fail(where + "[" + i + "]", "tensor index " + r[i] + " is outside the " + count + " tensors");
      }
    }
    return r;
  }

  private Tensor readTensor(String sg, int i, io.kompakt.schema.tflite.Tensor t) {
    String name = t.name() == null ? "" : t.name();
    String where = sg + ", tensor " + i + " '" + name + "'";
    TensorType type = TensorType.ofCode(t.type());
    if (type == null) throw fail(where, "unknown tensor type " + t.type());
    budget.take(t.shapeLength() + (long) t.shapeSignatureLength() + name.length());
    int[] shape = new int[t.shapeLength()];
    long elements = 1;
    for (int d = 0; d < shape.length; d++) {
      shape[d] = t.shape(d);
      if (shape[d] < 0) throw fail(where, "shape dimension " + d + " is " + shape[d] + " (negative)");
      if (shape[d] != 0 && elements > (1L << 40) / shape[d]) throw fail(where, "shape has more than 2^40 elements: " + java.util.Arrays.toString(java.util.Arrays.copyOf(shape, d + 1)) + "...");
      elements *= shape[d];
    }
    int[] signature = new int[t.shapeSignatureLength()];
    for (int d = 0; d < signature.length; d++) {
      signature[d] = t.shapeSignature(d);
      if (signature[d] < -1) throw fail(where, "shape_signature dimension " + d + " is " + signature[d]);
    }
    long bufIndex = t.buffer();
    if (bufIndex >= model.buffers.size() && !(bufIndex == 0)) {
      throw fail(where, "buffer index " + bufIndex + " is outside the " + model.buffers.size() + " buffers");
    }
    ByteBuffer data = bufIndex == 0 || model.buffers.isEmpty() ? null : model.buffers.get((int) bufIndex).data();
    if (bufIndex == 0 && !model.buffers.isEmpty() && model.buffers.get(0).data() != null) {
      model.warnings.add(where + " uses buffer 0, which should be the empty sentinel; it holds " + model.buffers.get(0).size() + " bytes");
      data = model.buffers.get(0).data();
    }
    Sparsity sparsity = t.sparsity() == null ? null : readSparsity(where, t.sparsity(), shape.length);
    Quantization q = readQuantization(where, t.quantization(), shape);
    if (data != null && sparsity == null && type.hasFixedSize()) {
      long need = type.bytesFor(elements);
      boolean packedAlt = (type == TensorType.INT4 || type == TensorType.UINT4 || type == TensorType.INT2) && data.remaining() == elements;
      if (data.remaining() != need && !packedAlt) {
        throw fail(where, "buffer " + bufIndex + " holds " + data.remaining() + " bytes but shape " + java.util.Arrays.toString(shape)
            + " of " + type.lowerName() + " needs " + need);
      }
    }
    return new Tensor(i, name, type, shape, signature, (int) bufIndex, data, q, sparsity, t.isVariable());
  }

  private Quantization readQuantization(String where, QuantizationParameters qp, int[] shape) {
    if (qp == null) return Quantization.NONE;
    budget.take((long) qp.scaleLength() + qp.zeroPointLength() + qp.minLength() + qp.maxLength());
    float[] scale = new float[qp.scaleLength()];
    for (int i = 0; i < scale.length; i++) scale[i] = qp.scale(i);
    long[] zp = new long[qp.zeroPointLength()];
    for (int i = 0; i < zp.length; i++) zp[i] = qp.zeroPoint(i);
    float[] min = new float[qp.minLength()];
    for (int i = 0; i < min.length; i++) min[i] = qp.min(i);
    float[] max = new float[qp.maxLength()];
    for (int i = 0; i < max.length; i++) max[i] = qp.max(i);
    int qd = qp.quantizedDimension();
    FlatTable details = null;
    if (qp.detailsType() != 0) {
      String member = Model.LAYOUT.union("QuantizationDetails").member(Byte.toUnsignedInt(qp.detailsType()));
      TablePos raw = member == null ? null : (TablePos) qp.details(new TablePos()); // unknown members stay unread
      if (raw != null) details = FlatTable.read(bb, raw.position(), Model.LAYOUT, member, budget);
    }
    if (scale.length > 0 && zp.length > 0) {
      if (zp.length != scale.length) {
        throw fail(where, "quantization has " + scale.length + " scales but " + zp.length + " zero points");
      }
      if (qd < 0) throw fail(where, "quantized_dimension " + qd + " is negative");
      if (qd >= shape.length && shape.length > 0) {
        boolean perTensor = scale.length == 1;
        boolean oneDimPerElement = shape.length == 1 && scale.length == shape[0];
        if (!perTensor && !oneDimPerElement) {
          throw fail(where, "quantized_dimension " + qd + " is beyond the tensor's rank " + shape.length
              + " with " + scale.length + " scales");
        }
        model.warnings.add(where + ": quantized_dimension " + qd + " is beyond rank " + shape.length + "; read as "
            + (perTensor ? "per-tensor" : "per-element along dimension 0") + " (TFLite refuses this file; TFLite-Micro runs it)");
        qd = perTensor ? qd : 0;
      } else if (scale.length > 1 && shape.length > 0 && scale.length != shape[qd]) {
        throw fail(where, scale.length + " scales along dimension " + qd + " of size " + shape[qd]);
      }
    }
    return new Quantization(scale, zp, min, max, qp.quantizedDimension(), details);
  }

  private Sparsity readSparsity(String where, SparsityParameters sp, int rank) {
    budget.take((long) sp.traversalOrderLength() + sp.blockMapLength() + sp.dimMetadataLength());
    int[] order = new int[sp.traversalOrderLength()];
    for (int i = 0; i < order.length; i++) order[i] = sp.traversalOrder(i);
    int[] blockMap = new int[sp.blockMapLength()];
    for (int i = 0; i < blockMap.length; i++) blockMap[i] = sp.blockMap(i);
    if (order.length != rank + blockMap.length) {
      throw fail(where, "sparsity traversal_order has " + order.length + " dimensions; rank " + rank + " + "
          + blockMap.length + " block dimensions expected");
    }
    boolean[] seen = new boolean[order.length];
    for (int o : order) {
      if (o < 0 || o >= order.length || seen[o]) throw fail(where, "sparsity traversal_order " + java.util.Arrays.toString(order) + " is not a permutation");
      seen[o] = true;
    }
    for (int b : blockMap) if (b < 0 || b >= rank) throw fail(where, "sparsity block_map entry " + b + " is not a dimension of rank " + rank);
    if (sp.dimMetadataLength() != order.length) {
      throw fail(where, "sparsity has " + sp.dimMetadataLength() + " dim_metadata for " + order.length + " traversed dimensions");
    }
    List<Sparsity.Dimension> dims = new ArrayList<>();
    DimensionMetadata dm = new DimensionMetadata();
    for (int i = 0; i < sp.dimMetadataLength(); i++) {
      sp.dimMetadata(dm, i);
      if (dm.format() == 0) {
        if (dm.denseSize() < 0) throw fail(where, "sparsity dimension " + i + " has dense_size " + dm.denseSize());
        dims.add(new Sparsity.Dimension(Sparsity.Format.DENSE, dm.denseSize(), new int[0], new int[0], null, null));
      } else if (dm.format() == 1) {
        String segType = Model.LAYOUT.union("SparseIndexVector").member(Byte.toUnsignedInt(dm.arraySegmentsType()));
        String idxType = Model.LAYOUT.union("SparseIndexVector").member(Byte.toUnsignedInt(dm.arrayIndicesType()));
        if (segType == null || idxType == null) throw fail(where, "sparsity dimension " + i + " is CSR without segment and index vectors");
        int[] seg = sparseIndices(segType, (TablePos) dm.arraySegments(new TablePos()));
        int[] idx = sparseIndices(idxType, (TablePos) dm.arrayIndices(new TablePos()));
        dims.add(new Sparsity.Dimension(Sparsity.Format.SPARSE_CSR, dm.denseSize(), seg, idx, segType, idxType));
      } else {
        throw fail(where, "sparsity dimension " + i + " has unknown format " + dm.format());
      }
    }
    return new Sparsity(order, blockMap, Collections.unmodifiableList(dims));
  }

  /** The values of an Int32Vector, Uint16Vector or Uint8Vector table (a verified one). */
  private int[] sparseIndices(String type, TablePos table) {
    if (table == null) return new int[0];
    FlatTable v = FlatTable.read(bb, table.position(), Model.LAYOUT, type, budget);
    Object values = v.get("values");
    if (values == null) return new int[0];
    if (values instanceof byte[]) {
      byte[] b = (byte[]) values;
      int[] r = new int[b.length];
      for (int i = 0; i < b.length; i++) r[i] = Byte.toUnsignedInt(b[i]);
      return r;
    }
    long[] l = (long[]) values;
    int[] r = new int[l.length];
    for (int i = 0; i < l.length; i++) r[i] = (int) l[i];
    return r;
  }

  private Operator readOperator(String sg, int i, io.kompakt.schema.tflite.Operator o, int tensorCount) {
    long oc = o.opcodeIndex();
    String where = sg + ", operator " + i;
    if (oc >= model.opCodes.size()) {
      throw fail(where, "opcode index " + oc + " is outside the " + model.opCodes.size() + " operator codes");
    }
    OpCode code = model.opCodes.get((int) oc);
    where += " (" + code.name() + ")";
    budget.take((long) o.inputsLength() + o.outputsLength() + o.intermediatesLength());
    int[] in = indices(where + " inputs", o.inputsLength(), o::inputs, tensorCount, true);
    int[] out = indices(where + " outputs", o.outputsLength(), o::outputs, tensorCount, false);
    int[] mid = indices(where + " intermediates", o.intermediatesLength(), o::intermediates, tensorCount, false);
    FlatTable options = null, options2 = null;
    int type = Byte.toUnsignedInt(o.builtinOptionsType());
    if (type != 0) {
      String member = Model.LAYOUT.union("BuiltinOptions").member(type);
      TablePos raw = member == null ? null : (TablePos) o.builtinOptions(new TablePos()); // unknown members stay unread
      if (raw != null) options = FlatTable.read(bb, raw.position(), Model.LAYOUT, member, budget);
    }
    int type2 = Byte.toUnsignedInt(o.builtinOptions2Type());
    if (type2 != 0) {
      String member = Model.LAYOUT.union("BuiltinOptions2").member(type2);
      TablePos raw = member == null ? null : (TablePos) o.builtinOptions2(new TablePos());
      if (raw != null) options2 = FlatTable.read(bb, raw.position(), Model.LAYOUT, member, budget);
    }
    ByteBuffer custom = null;
    if (o.customOptionsLength() > 0) custom = o.customOptionsAsByteBuffer().slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    if (o.largeCustomOptionsOffset() > 1) {
      long off = o.largeCustomOptionsOffset(), size = o.largeCustomOptionsSize();
      if (size < 0 || off + size > fileSize || off + size < 0 || size > Integer.MAX_VALUE) {
        throw fail(where, "large custom options at offset " + off + " size " + size + " lie beyond the file (" + fileSize + " bytes)");
      }
      try {
        custom = ranges.read(off, size);
      } catch (IOException e) {
        throw fail(where, "large custom options could not be read: " + e.getMessage());
      }
    }
    return new Operator(i, code, in, out, mid, options, options2, custom);
  }

  private List<Model.Metadata> readMetadata(io.kompakt.schema.tflite.Model m) {
    List<Model.Metadata> list = new ArrayList<>();
    io.kompakt.schema.tflite.Metadata md = new io.kompakt.schema.tflite.Metadata();
    for (int i = 0; i < m.metadataLength(); i++) {
      m.metadata(md, i);
      long b = md.buffer();
      if (b >= model.buffers.size()) {
        throw fail("metadata " + i + " '" + md.name() + "'", "buffer index " + b + " is outside the " + model.buffers.size() + " buffers");
      }
      list.add(new Model.Metadata(md.name() == null ? "" : md.name(), (int) b, model.buffers.get((int) b).data()));
    }
    return Collections.unmodifiableList(list);
  }

  private List<SignatureDef> readSignatures(io.kompakt.schema.tflite.Model m, List<io.kompakt.engine.model.Subgraph> sgs) {
    List<SignatureDef> list = new ArrayList<>();
    io.kompakt.schema.tflite.SignatureDef sd = new io.kompakt.schema.tflite.SignatureDef();
    for (int i = 0; i < m.signatureDefsLength(); i++) {
      m.signatureDefs(sd, i);
      String where = "signature " + i + " '" + sd.signatureKey() + "'";
      long sg = sd.subgraphIndex();
      if (sg >= sgs.size()) throw fail(where, "subgraph index " + sg + " is outside the " + sgs.size() + " subgraphs");
      int nt = sgs.get((int) sg).tensors().size();
      Map<String, Integer> in = new LinkedHashMap<>(), out = new LinkedHashMap<>();
      TensorMap tm = new TensorMap();
      for (int k = 0; k < sd.inputsLength(); k++) {
        sd.inputs(tm, k);
        if (tm.tensorIndex() >= nt) throw fail(where + " input '" + tm.name() + "'", "tensor index " + tm.tensorIndex() + " is outside the " + nt + " tensors");
        in.put(tm.name() == null ? "" : tm.name(), (int) tm.tensorIndex());
      }
      for (int k = 0; k < sd.outputsLength(); k++) {
        sd.outputs(tm, k);
        if (tm.tensorIndex() >= nt) throw fail(where + " output '" + tm.name() + "'", "tensor index " + tm.tensorIndex() + " is outside the " + nt + " tensors");
        out.put(tm.name() == null ? "" : tm.name(), (int) tm.tensorIndex());
      }
      list.add(new SignatureDef(sd.signatureKey(), (int) sg, Collections.unmodifiableMap(in), Collections.unmodifiableMap(out)));
    }
    return Collections.unmodifiableList(list);
  }

  private FlatTable readTfliteMetadata() {
    for (Model.Metadata md : model.metadata) {
      if (!Model.TFLITE_METADATA.equals(md.name()) || md.data() == null) continue;
      ByteBuffer data = md.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
      try {
        int root = FlatVerifier.verify(data, Model.METADATA_LAYOUT, "TFLite Metadata", false);
        return FlatTable.read(data, root, Model.METADATA_LAYOUT, Model.METADATA_LAYOUT.rootType(), budget);
      } catch (ModelFormatException e) {
        model.warnings.add("TFLite Metadata is unreadable and ignored: " + e.getMessage());
      }
    }
    return null;
  }
}
