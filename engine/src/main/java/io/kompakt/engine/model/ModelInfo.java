package io.kompakt.engine.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a user wants to know about a model before deploying it: inputs and outputs, operators with their
 * options, tensors with sizes and sparsity, parameter counts, bytes by type, the op set, metadata and labels.
 * Plain records, so the CLI prints them as text or JSON without logic of its own.
 */
public final class ModelInfo {
  private ModelInfo() {}

  /** A tensor as listed. {@code zeroFraction} is the share of constant elements whose real value is 0 (-1: not constant). */
  public record TensorInfo(int index, String name, String type, int[] shape, int[] shapeSignature, long elements,
                           long bytes, int buffer, boolean constant, String quantization, String sparsity,
                           double zeroFraction) {}

  /** An operator as listed. */
  public record OpInfo(int index, String op, int version, int[] inputs, int[] outputs, String options,
                       int customOptionsBytes) {}

  /** A subgraph as listed. */
  public record SubgraphInfo(int index, String name, List<TensorInfo> inputs, List<TensorInfo> outputs,
                             List<OpInfo> operators, List<TensorInfo> tensors) {}

  /** The whole summary. */
  public record Summary(String source, long fileBytes, int schemaVersion, String description,
                        List<SubgraphInfo> subgraphs, long parameters, long constantBytes,
                        Map<String, Long> constantBytesByType, Map<String, Integer> opSet, List<String> opsWithoutKernel,
                        List<String> metadata, Map<String, Integer> associatedFiles, String tfliteMetadataName,
                        String tfliteMetadataDescription, int labels, List<String> firstLabels,
                        List<String> signatures, List<String> warnings) {}

  /** Summarizes a model. */
  public static Summary of(Model m) {
    List<SubgraphInfo> sgs = new ArrayList<>();
    long params = 0, constBytes = 0;
    Map<String, Long> byType = new TreeMap<>();
    Map<String, Integer> opSet = new TreeMap<>();
    java.util.Set<Integer> countedBuffers = new java.util.HashSet<>();
    for (Subgraph sg : m.subgraphs()) {
      List<TensorInfo> tensors = new ArrayList<>();
      for (Tensor t : sg.tensors()) {
        tensors.add(tensor(t));
        if (t.isConstant() && countedBuffers.add(t.buffer())) {
          params += t.elementCount();
          constBytes += t.storedBytes();
          byType.merge(t.type().lowerName(), t.storedBytes(), Long::sum);
        }
      }
      List<OpInfo> ops = new ArrayList<>();
      for (Operator o : sg.operators()) {
        String options = o.options() != null ? o.options().toString() : o.options2() != null ? o.options2().toString() : "";
        ops.add(new OpInfo(o.index(), o.name(), o.opCode().version(), o.inputs(), o.outputs(), options,
            o.customOptions() == null ? 0 : o.customOptions().remaining()));
        opSet.merge(o.name(), 1, Integer::sum);
      }
      List<TensorInfo> in = new ArrayList<>(), out = new ArrayList<>();
      for (int i : sg.inputs()) in.add(tensors.get(i));
      for (int i : sg.outputs()) out.add(tensors.get(i));
      sgs.add(new SubgraphInfo(sg.index(), sg.name(), in, out, ops, tensors));
    }
    List<String> metadata = new ArrayList<>();
    for (Model.Metadata md : m.metadata()) metadata.add(md.name() + " (" + (md.data() == null ? 0 : md.data().remaining()) + " bytes)");
    Map<String, Integer> files = new LinkedHashMap<>();
    m.associatedFiles().forEach((k, v) -> files.put(k, v.length));
    FlatTable tm = m.tfliteMetadata();
    List<String> labels = m.labels();
    List<String> signatures = new ArrayList<>();
    for (SignatureDef sd : m.signatures()) {
      signatures.add(sd.key() + ": subgraph " + sd.subgraphIndex() + " inputs " + sd.inputs().keySet() + " outputs " + sd.outputs().keySet());
    }
    List<String> missing = new ArrayList<>();
    io.kompakt.engine.run.KernelRegistry registry = io.kompakt.engine.run.KernelRegistry.defaults();
    for (OpCode c : m.opCodes()) if (!registry.supports(c) && !missing.contains(c.name())) missing.add(c.name());
    return new Summary(m.source(), m.fileSize(), m.version(), m.description(), sgs, params, constBytes, byType, opSet, missing,
        metadata, files, tm == null ? null : (String) tm.get("name"), tm == null ? null : (String) tm.get("description"),
        labels.size(), labels.subList(0, Math.min(5, labels.size())), signatures, m.warnings());
  }

  static TensorInfo tensor(Tensor t) {
    String q = t.quantization().isEmpty() ? null : t.quantization().toString();
    String s = t.sparsity() == null ? null : t.sparsity().toString();
    return new TensorInfo(t.index(), t.name(), t.type().lowerName(), t.shape(), t.shapeSignature(), t.elementCount(),
        t.isConstant() ? t.storedBytes() : Math.max(0, t.denseBytes()), t.buffer(), t.isConstant(), q, s, zeroFraction(t));
  }

  /** Share of a constant tensor's elements whose real value is zero; -1 for non-constant or unsupported types. */
  public static double zeroFraction(Tensor t) {
    if (!t.isConstant() || t.elementCount() == 0) return -1;
    if (t.sparsity() != null) {
      long stored = t.type().size > 0 ? t.storedBytes() / t.type().size : -1;
      // stored values of a sparse tensor include explicit zeros inside dense blocks: count them too
      ByteBuffer d = t.dataView();
      long zeros = 0;
      for (long i = 0; i < stored; i++) if (isZero(t, d, (int) i, 0)) zeros++;
      return stored < 0 ? -1 : 1.0 - (double) (stored - zeros) / t.elementCount();
    }
    ByteBuffer d = t.dataView();
    long n = t.elementCount();
    if (t.type().size == 0) return -1;
    Quantization q = t.quantization();
    int rank = t.shape().length;
    int axis = q.isPerChannel() ? (q.quantizedDimension() < rank ? q.quantizedDimension() : 0) : -1;
    int inner = 1;
    if (axis >= 0) for (int i = axis + 1; i < rank; i++) inner *= t.shape()[i];
    long zeros = 0;
    for (int i = 0; i < n; i++) {
      int channel = axis < 0 ? 0 : (i / inner) % t.shape()[axis];
      if (isZero(t, d, i, channel)) zeros++;
    }
    return (double) zeros / n;
  }

  private static boolean isZero(Tensor t, ByteBuffer d, int i, int channel) {
    Quantization q = t.quantization();
    long zp = q.isQuantized() ? q.zeroPoint()[Math.min(channel, q.zeroPoint().length - 1)] : 0;
    switch (t.type()) {
      case FLOAT32: return d.getFloat(4 * i) == 0f;
      case FLOAT64: return d.getDouble(8 * i) == 0d;
      case FLOAT16: case BFLOAT16: return (d.getShort(2 * i) & 0x7FFF) == 0;
      case INT8: return d.get(i) == zp;
      case UINT8: return Byte.toUnsignedInt(d.get(i)) == zp;
      case INT16: return d.getShort(2 * i) == zp;
      case UINT16: return Short.toUnsignedInt(d.getShort(2 * i)) == zp;
      case INT32: case UINT32: return d.getInt(4 * i) == zp;
      case INT64: case UINT64: return d.getLong(8 * i) == zp;
      case BOOL: return d.get(i) == 0;
      default: return false;
    }
  }
}
