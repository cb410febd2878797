package io.kompakt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.flatbuffers.FlatBufferBuilder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.schema.SchemaLayout;
import io.kompakt.schema.metadata.MetadataLayout;
import io.kompakt.schema.tflite.TfliteLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;

/**
 * Test models built with {@link EditableModel}, sizes and values drawn from a seed, and helpers to compare a
 * built model with what the reader makes of its bytes.
 */
public final class TestModels {
  private TestModels() {}

  /** A named factory. */
  public record Kind(String name, LongFunction<EditableModel> build) {
    @Override public String toString() { return name; }
  }

  /** Every factory of this class. */
  public static List<Kind> kinds() {
    return List.of(new Kind("float-conv-add-softmax", TestModels::floatNet),
        new Kind("int8-per-channel-conv", TestModels::int8Conv),
        new Kind("custom-op-metadata-signature-zip", TestModels::customOpModel),
        new Kind("sparse-csr-fully-connected", TestModels::sparseModel));
  }

  // ------------------------------------------------------------------ (a) float CONV_2D + ADD + SOFTMAX

  /** Float net: CONV_2D (constant weights and bias, SAME, stride 1, RELU), ADD of a constant, SOFTMAX. */
  public static EditableModel floatNet(long seed) {
    Random r = new Random(seed);
    int h = 2 + r.nextInt(6), w = 2 + r.nextInt(6), cin = 1 + r.nextInt(3), cout = 1 + r.nextInt(4);
    int k = r.nextBoolean() ? 3 : 1;
    EditableModel m = new EditableModel();
    m.description = "float net, seed " + seed;
    EditableModel.Subgraph sg = m.addSubgraph("main");
    EditableModel.Tensor in = sg.add(new EditableModel.Tensor("input", TensorType.FLOAT32, 1, h, w, cin));
    in.shapeSignature = new int[] {-1, h, w, cin};
    EditableModel.Tensor weights = sg.add(new EditableModel.Tensor("conv/weights", TensorType.FLOAT32, cout, k, k, cin));
    weights.buffer = m.addBuffer(floats(randomFloats(r, cout * k * k * cin)));
    EditableModel.Tensor bias = sg.add(new EditableModel.Tensor("conv/bias", TensorType.FLOAT32, cout));
    bias.buffer = m.addBuffer(floats(randomFloats(r, cout)));
    EditableModel.Tensor conv = sg.add(new EditableModel.Tensor("conv/out", TensorType.FLOAT32, 1, h, w, cout));
    EditableModel.Tensor addend = sg.add(new EditableModel.Tensor("add/const", TensorType.FLOAT32, 1, 1, 1, cout));
    addend.buffer = m.addBuffer(floats(randomFloats(r, cout)));
    EditableModel.Tensor sum = sg.add(new EditableModel.Tensor("add/out", TensorType.FLOAT32, 1, h, w, cout));
    EditableModel.Tensor out = sg.add(new EditableModel.Tensor("softmax/out", TensorType.FLOAT32, 1, h, w, cout));

    EditableModel.Operator c = sg.add(new EditableModel.Operator(OpCode.builtin("CONV_2D")));
    c.inputs.addAll(List.of(in, weights, bias));
    c.outputs.add(conv);
    c.options = FlatTable.of("Conv2DOptions").set("padding", "SAME").set("stride_w", 1).set("stride_h", 1)
        .set("fused_activation_function", "RELU");
    EditableModel.Operator a = sg.add(new EditableModel.Operator(OpCode.builtin("ADD")));
    a.inputs.addAll(List.of(conv, addend));
    a.outputs.add(sum);
    a.options = FlatTable.of("AddOptions").set("fused_activation_function", "NONE");
    EditableModel.Operator s = sg.add(new EditableModel.Operator(OpCode.builtin("SOFTMAX")));
    s.inputs.add(sum);
    s.outputs.add(out);
    s.options = FlatTable.of("SoftmaxOptions").set("beta", 1.0f + r.nextInt(4));
    sg.inputs.add(in);
    sg.outputs.add(out);
    return m;
  }

  // ------------------------------------------------------------------ (b) int8 per-channel conv

  /** Int8 conv: int8 input and output per tensor, int8 weights per output channel, int32 bias per channel. */
  public static EditableModel int8Conv(long seed) {
    Random r = new Random(seed);
    int h = 3 + r.nextInt(6), w = 3 + r.nextInt(6), cin = 1 + r.nextInt(4), cout = 2 + r.nextInt(6), k = 1 + 2 * r.nextInt(2);
    EditableModel m = new EditableModel();
    m.description = "int8 conv, seed " + seed;
    EditableModel.Subgraph sg = m.addSubgraph("main");
    float inScale = 0.01f + r.nextFloat() / 10;
    EditableModel.Tensor in = sg.add(new EditableModel.Tensor("input", TensorType.INT8, 1, h, w, cin));
    in.quantization = new Quantization(new float[] {inScale}, new long[] {r.nextInt(256) - 128},
        new float[] {-1.5f}, new float[] {2.5f}, 0, null);
    float[] wScales = new float[cout];
    for (int i = 0; i < cout; i++) wScales[i] = 0.001f + r.nextFloat() / 50;
    EditableModel.Tensor weights = sg.add(new EditableModel.Tensor("conv/weights", TensorType.INT8, cout, k, k, cin));
    byte[] wq = new byte[cout * k * k * cin];
    r.nextBytes(wq);
    weights.buffer = m.addBuffer(ByteBuffer.wrap(wq));
    weights.quantization = Quantization.perChannel(wScales, new long[cout], 0);
    float[] bScales = new float[cout];
    int[] bq = new int[cout];
    for (int i = 0; i < cout; i++) {
      bScales[i] = inScale * wScales[i];
      bq[i] = r.nextInt(20001) - 10000;
    }
    EditableModel.Tensor bias = sg.add(new EditableModel.Tensor("conv/bias", TensorType.INT32, cout));
    bias.buffer = m.addBuffer(ints(bq));
    bias.quantization = Quantization.perChannel(bScales, new long[cout], 0);
    int oh = (h - k) / 2 + 1, ow = (w - k) / 2 + 1;
    EditableModel.Tensor out = sg.add(new EditableModel.Tensor("output", TensorType.INT8, 1, oh, ow, cout));
    out.quantization = Quantization.perTensor(0.05f + r.nextFloat(), r.nextInt(256) - 128);
    EditableModel.Operator c = sg.add(new EditableModel.Operator(OpCode.builtin(OpCode.builtinCodeOf("CONV_2D"), 3)));
    c.inputs.addAll(List.of(in, weights, bias));
    c.outputs.add(out);
    c.options = FlatTable.of("Conv2DOptions").set("padding", "VALID").set("stride_w", 2).set("stride_h", 2)
        .set("fused_activation_function", "RELU6").set("dilation_w_factor", 1).set("dilation_h_factor", 1);
    sg.inputs.add(in);
    sg.outputs.add(out);
    return m;
  }

  // ------------------------------------------------------------------ (c) custom op, metadata, signature, zip

  /** Name of the label file of {@link #customOpModel}. */
  public static final String LABELS = "labels.txt";

  /**
   * A custom op "MyOp" with custom options, an ADD, a second subgraph, metadata entries (one is TFLite
   * Metadata naming the label file), the deprecated metadata_buffer list, a SignatureDef and a zip tail.
   */
  public static EditableModel customOpModel(long seed) {
    Random r = new Random(seed);
    int n = 1 + r.nextInt(16);
    EditableModel m = new EditableModel();
    m.description = "custom op model, seed " + seed;
    EditableModel.Subgraph sg = m.addSubgraph("main");
    EditableModel.Tensor x = sg.add(new EditableModel.Tensor("x", TensorType.FLOAT32, 1, n));
    EditableModel.Tensor scratch = sg.add(new EditableModel.Tensor("my_op/scratch", TensorType.FLOAT32, n));
    EditableModel.Tensor state = sg.add(new EditableModel.Tensor("state", TensorType.FLOAT32, 1, n));
    state.isVariable = true;
    EditableModel.Tensor mid = sg.add(new EditableModel.Tensor("my_op/out", TensorType.FLOAT32, 1, n));
    EditableModel.Tensor bias = sg.add(new EditableModel.Tensor("bias", TensorType.FLOAT32, 1, n));
    bias.buffer = m.addBuffer(floats(randomFloats(r, n)));
    EditableModel.Tensor y = sg.add(new EditableModel.Tensor("y", TensorType.FLOAT32, 1, n));

    EditableModel.Operator my = sg.add(new EditableModel.Operator(OpCode.custom("MyOp")));
    my.inputs.add(x);
    my.inputs.add(null); // an omitted optional input
    my.inputs.add(state);
    my.outputs.add(mid);
    my.intermediates.add(scratch);
    byte[] custom = new byte[1 + r.nextInt(40)];
    r.nextBytes(custom);
    my.customOptions = ByteBuffer.wrap(custom);
    EditableModel.Operator add = sg.add(new EditableModel.Operator(OpCode.builtin("ADD")));
    add.inputs.addAll(List.of(mid, bias));
    add.outputs.add(y);
    add.options = FlatTable.of("AddOptions").set("fused_activation_function", "RELU_N1_TO_1");
    sg.inputs.add(x);
    sg.outputs.add(y);

    EditableModel.Subgraph aux = m.addSubgraph("aux");
    EditableModel.Tensor ax = aux.add(new EditableModel.Tensor("aux_x", TensorType.INT32, 2));
    EditableModel.Tensor ac = aux.add(new EditableModel.Tensor("aux_c", TensorType.INT32, 2));
    ac.buffer = m.addBuffer(ints(new int[] {r.nextInt(), r.nextInt()}));
    EditableModel.Tensor ay = aux.add(new EditableModel.Tensor("aux_y", TensorType.INT32, 2));
    EditableModel.Operator my2 = aux.add(new EditableModel.Operator(OpCode.custom("MyOp")));
    my2.inputs.addAll(List.of(ax, ac));
    my2.outputs.add(ay);
    aux.inputs.add(ax);
    aux.outputs.add(ay);

    EditableModel.Buffer version = m.addBuffer(ByteBuffer.wrap("1.14.0\0".getBytes(StandardCharsets.US_ASCII)));
    m.metadata.add(new EditableModel.Metadata("min_runtime_version", version));
    byte[] meta = new byte[1 + r.nextInt(64)];
    r.nextBytes(meta);
    EditableModel.Buffer mine = m.addBuffer(ByteBuffer.wrap(meta));
    m.metadata.add(new EditableModel.Metadata("my_metadata", mine));
    float[] mean = {127.5f}, std = {127.5f + r.nextInt(3)};
    m.metadata.add(new EditableModel.Metadata(Model.TFLITE_METADATA, m.addBuffer(ByteBuffer.wrap(tfliteMetadata(LABELS, mean, std)))));
    m.metadataBuffers.add(mine);

    EditableModel.SignatureDef sig = new EditableModel.SignatureDef();
    sig.key = "serving_default";
    sig.subgraph = sg;
    sig.inputs.put("x", x);
    sig.outputs.put("y", y);
    m.signatures.add(sig);
    EditableModel.SignatureDef sig2 = new EditableModel.SignatureDef();
    sig2.key = "aux";
    sig2.subgraph = aux;
    sig2.inputs.put("a", ax);
    sig2.outputs.put("b", ay);
    m.signatures.add(sig2);

    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < n; i++) labels.append("label_").append(r.nextInt(1000)).append('\n');
    m.associatedFiles.put(LABELS, labels.toString().getBytes(StandardCharsets.UTF_8));
    byte[] vocab = new byte[r.nextInt(100)];
    r.nextBytes(vocab);
    m.associatedFiles.put("vocab.bin", vocab);
    return m;
  }

  /** A TFLite Metadata FlatBuffer ("M001"): input normalization and the output's label file. */
  public static byte[] tfliteMetadata(String labelFile, float[] mean, float[] std) {
    SchemaLayout l = MetadataLayout.LAYOUT;
    FlatTable file = new FlatTable(l, "AssociatedFile").set("name", labelFile).set("description", "labels")
        .set("type", "TENSOR_AXIS_LABELS");
    FlatTable norm = new FlatTable(l, "NormalizationOptions").set("mean", mean).set("std", std);
    FlatTable unit = new FlatTable(l, "ProcessUnit").set("options", norm);
    FlatTable in = new FlatTable(l, "TensorMetadata").set("name", "image").set("process_units", List.of(unit));
    FlatTable out = new FlatTable(l, "TensorMetadata").set("name", "probability").set("associated_files", List.of(file));
    FlatTable sg = new FlatTable(l, "SubGraphMetadata").set("input_tensor_metadata", List.of(in))
        .set("output_tensor_metadata", List.of(out));
    FlatTable model = new FlatTable(l, "ModelMetadata").set("name", "test model").set("version", "v1")
        .set("subgraph_metadata", List.of(sg));
    FlatBufferBuilder b = new FlatBufferBuilder(256);
    b.finish(model.write(b), "M001");
    return b.sizedByteArray();
  }

  // ------------------------------------------------------------------ (d) sparse tensor

  /** FULLY_CONNECTED whose weights [rows, cols] are stored sparse: dimension 0 DENSE, dimension 1 SPARSE_CSR. */
  public static EditableModel sparseModel(long seed) {
    Random r = new Random(seed);
    int rows = 1 + r.nextInt(8);
    int cols = r.nextInt(4) == 0 ? 256 + r.nextInt(200) : 2 + r.nextInt(30); // > 255 columns: Uint16Vector indices
    int[] segments = new int[rows + 1];
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) if (r.nextInt(cols > 255 ? 40 : 3) == 0) indices.add(j);
      segments[i + 1] = indices.size();
    }
    int nnz = indices.size();
    EditableModel m = new EditableModel();
    m.description = "sparse model, seed " + seed;
    EditableModel.Subgraph sg = m.addSubgraph("main");
    EditableModel.Tensor in = sg.add(new EditableModel.Tensor("input", TensorType.FLOAT32, 1, cols));
    EditableModel.Tensor w = sg.add(new EditableModel.Tensor("fc/weights", TensorType.FLOAT32, rows, cols));
    w.buffer = nnz == 0 ? null : m.addBuffer(floats(randomFloats(r, nnz)));
    w.sparsity = new Sparsity(new int[] {0, 1}, new int[0], List.of(
        new Sparsity.Dimension(Sparsity.Format.DENSE, rows, new int[0], new int[0], null, null),
        new Sparsity.Dimension(Sparsity.Format.SPARSE_CSR, 0, segments,
            indices.stream().mapToInt(Integer::intValue).toArray(), null, null)));
    EditableModel.Tensor out = sg.add(new EditableModel.Tensor("output", TensorType.FLOAT32, 1, rows));
    EditableModel.Operator fc = sg.add(new EditableModel.Operator(OpCode.builtin("FULLY_CONNECTED")));
    fc.inputs.add(in);
    fc.inputs.add(w);
    fc.inputs.add(null); // no bias
    fc.outputs.add(out);
    fc.options = FlatTable.of("FullyConnectedOptions").set("fused_activation_function", "NONE").set("keep_num_dims", false);
    sg.inputs.add(in);
    sg.outputs.add(out);
    return m;
  }

  // ------------------------------------------------------------------ data helpers

  static float[] randomFloats(Random r, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
    return f;
  }

  public static ByteBuffer floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) b.putFloat(f);
    return b.flip();
  }

  public static ByteBuffer ints(int[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int i : v) b.putInt(i);
    return b.flip();
  }

  public static byte[] bytes(ByteBuffer b) {
    if (b == null) return new byte[0];
    ByteBuffer d = b.duplicate();
    byte[] a = new byte[d.remaining()];
    d.get(a);
    return a;
  }

  // ------------------------------------------------------------------ external buffers

  /**
   * The same model with every non-empty buffer stored after the FlatBuffer by offset and size, 16-byte aligned,
   * and the zip tail (if any) after them. Built by reading the whole Model table generically and writing it back
   * without buffer data: independent of {@link ModelWriter}'s own external mode.
   */
  @SuppressWarnings("unchecked")
  public static byte[] externalize(byte[] inlineFile) {
    Model model = Model.from(inlineFile);
    ByteBuffer fb = model.flatbuffer();
    FlatTable root = FlatTable.read(fb, fb.getInt(0), TfliteLayout.LAYOUT, "Model");
    List<FlatTable> buffers = (List<FlatTable>) root.get("buffers");
    byte[][] data = new byte[buffers.size()][];
    for (int i = 0; i < data.length; i++) {
      data[i] = bytes(model.buffers().get(i).data());
      if (data[i].length == 0) continue;
      buffers.get(i).set("data", null).set("offset", 1L << 40).set("size", (long) data[i].length);
    }
    int size = finishModel(root).length; // offsets are fixed-size fields: their values do not change the size
    long[] offsets = new long[data.length];
    long pos = align16(size);
    for (int i = 0; i < data.length; i++) {
      if (data[i].length == 0) continue;
      offsets[i] = pos;
      buffers.get(i).set("offset", pos);
      pos = align16(pos + data[i].length);
    }
    byte[] head = finishModel(root);
    assertEquals(size, head.length, "FlatBuffer size changed with the offsets' values");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head);
    for (int i = 0; i < data.length; i++) {
      if (offsets[i] == 0) continue;
      while (out.size() < offsets[i]) out.write(0);
      out.writeBytes(data[i]);
    }
    if (!model.associatedFiles().isEmpty()) {
      while (out.size() % 16 != 0) out.write(0);
      try {
        out.writeBytes(ZipTail.write(model.associatedFiles()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out.toByteArray();
  }

  private static byte[] finishModel(FlatTable root) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    b.finish(root.write(b), "TFL3");
    return b.sizedByteArray();
  }

  static long align16(long v) { return (v + 15) & ~15L; }

  // ------------------------------------------------------------------ comparing a built model with a read one

  /** Asserts that what was read holds everything the editable model said (not byte layout). */
  public static void assertContent(EditableModel expected, Model actual) {
    assertEquals(expected.version, actual.version(), "version");
    assertEquals(expected.description, actual.description(), "description");
    assertEquals(expected.subgraphs.size(), actual.subgraphs().size(), "subgraph count");
    List<Map<EditableModel.Tensor, Integer>> indices = new ArrayList<>();
    for (int s = 0; s < expected.subgraphs.size(); s++) {
      EditableModel.Subgraph e = expected.subgraphs.get(s);
      Subgraph a = actual.subgraphs().get(s);
      String where = "subgraph " + s;
      assertEquals(e.name, a.name(), where + " name");
      Map<EditableModel.Tensor, Integer> index = new IdentityHashMap<>();
      for (int i = 0; i < e.tensors.size(); i++) index.put(e.tensors.get(i), i);
      indices.add(index);
      assertEquals(e.tensors.size(), a.tensors().size(), where + " tensor count");
      for (int i = 0; i < e.tensors.size(); i++) {
        EditableModel.Tensor et = e.tensors.get(i);
        Tensor at = a.tensors().get(i);
        String w = where + " tensor " + i + " " + et;
        assertEquals(et.name, at.name(), w);
        assertEquals(et.type, at.type(), w);
        assertArrayEquals(et.shape, at.shape(), w + " shape");
        assertArrayEquals(et.shapeSignature, at.shapeSignature(), w + " shape_signature");
        assertEquals(et.isVariable, at.isVariable(), w + " is_variable");
        assertEquals(et.quantization, at.quantization(), w + " quantization");
        assertEquals(et.sparsity, at.sparsity(), w + " sparsity");
        assertArrayEquals(et.buffer == null ? new byte[0] : bytes(et.buffer.data()), bytes(at.data()), w + " data");
        if (et.buffer != null) assertEquals(expected.buffers.indexOf(et.buffer), at.buffer(), w + " buffer index");
      }
      assertArrayEquals(positions(e.inputs, index), a.inputs(), where + " inputs");
      assertArrayEquals(positions(e.outputs, index), a.outputs(), where + " outputs");
      assertEquals(e.operators.size(), a.operators().size(), where + " operator count");
      for (int i = 0; i < e.operators.size(); i++) {
        EditableModel.Operator eo = e.operators.get(i);
        Operator ao = a.operators().get(i);
        String w = where + " operator " + i + " " + eo;
        assertEquals(eo.opCode, ao.opCode(), w + " op code");
        assertArrayEquals(positions(eo.inputs, index), ao.inputs(), w + " inputs");
        assertArrayEquals(positions(eo.outputs, index), ao.outputs(), w + " outputs");
        assertArrayEquals(positions(eo.intermediates, index), ao.intermediates(), w + " intermediates");
        assertEquals(eo.options, ao.options(), w + " options");
        assertEquals(eo.options2, ao.options2(), w + " options2");
        assertArrayEquals(bytes(eo.customOptions), bytes(ao.customOptions()), w + " custom options");
      }
    }
    assertEquals(expected.metadata.size(), actual.metadata().size(), "metadata count");
    for (int i = 0; i < expected.metadata.size(); i++) {
      assertEquals(expected.metadata.get(i).name, actual.metadata().get(i).name(), "metadata " + i + " name");
      assertEquals(expected.buffers.indexOf(expected.metadata.get(i).buffer), actual.metadata().get(i).buffer(), "metadata " + i + " buffer");
      assertArrayEquals(bytes(expected.metadata.get(i).buffer.data()), bytes(actual.metadata().get(i).data()), "metadata " + i + " data");
    }
    int[] mb = expected.metadataBuffers.stream().mapToInt(expected.buffers::indexOf).toArray();
    assertArrayEquals(mb, actual.metadataBufferIndices(), "metadata_buffer");
    assertEquals(expected.signatures.size(), actual.signatures().size(), "signature count");
    for (int i = 0; i < expected.signatures.size(); i++) {
      EditableModel.SignatureDef e = expected.signatures.get(i);
      SignatureDef a = actual.signatures().get(i);
      int s = expected.subgraphs.indexOf(e.subgraph);
      assertEquals(e.key, a.key(), "signature " + i);
      assertEquals(s, a.subgraphIndex(), "signature " + i + " subgraph");
      assertEquals(names(e.inputs, indices.get(s)), a.inputs(), "signature " + i + " inputs");
      assertEquals(names(e.outputs, indices.get(s)), a.outputs(), "signature " + i + " outputs");
    }
    assertEquals(List.copyOf(expected.associatedFiles.keySet()), List.copyOf(actual.associatedFiles().keySet()), "associated files");
    for (String f : expected.associatedFiles.keySet()) {
      assertArrayEquals(expected.associatedFiles.get(f), actual.associatedFiles().get(f), "associated file " + f);
    }
    assertTrue(actual.warnings().isEmpty(), () -> "warnings: " + actual.warnings());
  }

  private static int[] positions(List<EditableModel.Tensor> ts, Map<EditableModel.Tensor, Integer> index) {
    return ts.stream().mapToInt(t -> t == null ? -1 : index.get(t)).toArray();
  }

  private static Map<String, Integer> names(Map<String, EditableModel.Tensor> m, Map<EditableModel.Tensor, Integer> index) {
    Map<String, Integer> r = new LinkedHashMap<>();
    m.forEach((k, v) -> r.put(k, index.get(v)));
    return r;
  }

  /** Hex dump for failure messages. */
  public static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 2);
    for (byte x : b) sb.append(String.format("%02x", x));
    return sb.toString();
  }

  /** Bytes of a file as written by {@link ModelWriter#toBytes}. */
  public static byte[] write(EditableModel m) { return ModelWriter.toBytes(m); }
}
