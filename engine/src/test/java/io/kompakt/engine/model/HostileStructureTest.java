package io.kompakt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.flatbuffers.FlatBufferBuilder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.schema.SchemaLayout;
import io.kompakt.schema.tflite.SubGraph;
import io.kompakt.schema.tflite.TfliteLayout;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-made hostile files: valid models patched in place (positions found through the vtables, see
 * {@link FlatNav}) or built with a FlatBufferBuilder. Each must give a {@link ModelFormatException} whose message
 * names the problem, within a few seconds.
 */
class HostileStructureTest {

  static byte[] floatNet() { return ModelWriter.toBytes(TestModels.floatNet(3)); }

  /** Asserts a ModelFormatException naming the model and containing every fragment. */
  static ModelFormatException rejected(byte[] bytes, String... fragments) {
    ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> assertThrows(ModelFormatException.class, () -> Model.from(bytes)));
    String msg = e.getMessage();
    assertTrue(msg.startsWith("model '<memory>'"), msg);
    for (String f : fragments) assertTrue(msg.contains(f), () -> "message lacks '" + f + "': " + msg);
    return e;
  }

  // ------------------------------------------------------------------ the navigator finds what the generated classes read

  @Test
  void navigatorAgreesWithTheGeneratedClasses() {
    byte[] b = ModelWriter.toBytes(TestModels.customOpModel(4));
    FlatNav nav = new FlatNav(b);
    io.kompakt.schema.tflite.Model m = io.kompakt.schema.tflite.Model.getRootAsModel(ByteBuffer.wrap(b));
    for (int s = 0; s < m.subgraphsLength(); s++) {
      SubGraph g = m.subgraphs(s);
      for (int t = 0; t < g.tensorsLength(); t++) {
        int at = nav.field(nav.tensor(s, t), "Tensor", "buffer");
        assertEquals(g.tensors(t).buffer(), at < 0 ? 0 : Integer.toUnsignedLong(nav.getInt(at)), "tensor " + t);
        int name = nav.ref(nav.tensor(s, t), "Tensor", "name");
        assertEquals(g.tensors(t).nameAsByteBuffer().position(), name + 4);
      }
      for (int o = 0; o < g.operatorsLength(); o++) {
        int in = nav.ref(nav.operator(s, o), "Operator", "inputs");
        assertEquals(g.operators(o).inputsLength(), nav.getInt(in));
        for (int i = 0; i < g.operators(o).inputsLength(); i++) assertEquals(g.operators(o).inputs(i), nav.getInt(in + 4 + 4 * i));
      }
    }
  }

  // ------------------------------------------------------------------ offsets and lengths

  @Test
  void vtableOffsetPointingOutsideTheFile() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    nav.putInt(nav.root(), -(1 << 30)); // vtable = table + 2^30
    rejected(b, "Model vtable", "beyond the end");

    byte[] c = floatNet();
    nav = new FlatNav(c);
    nav.putInt(nav.root(), nav.root() + 64); // vtable before the file's start
    rejected(c, "Model vtable");

    byte[] d = floatNet();
    nav = new FlatNav(d);
    int t = nav.tensor(0, 1);
    nav.putInt(t, t - d.length - 8);
    rejected(d, "Model.subgraphs[0].tensors[1]", "Tensor vtable");
  }

  @Test
  void vtableEntryPointingOutsideItsTable() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int t = nav.tensor(0, 2);
    int slot = nav.vtable(t) + 4 + 2 * TfliteLayout.LAYOUT.table("Tensor").field("name").id();
    nav.putShort(slot, 0xFFF0); // tensors share vtables: the first tensor using this one is named
    rejected(b, "Model.subgraphs[0].tensors[", "field name at offset 65520", "outside its table");
  }

  @Test
  void vtableWithAnOddSize() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    nav.putShort(nav.vtable(nav.tensor(0, 0)), 7);
    rejected(b, "Tensor vtable size 7");
  }

  @Test
  void rootOffsetBeyondTheEnd() {
    byte[] b = floatNet();
    new FlatNav(b).putInt(0, b.length + 100);
    rejected(b, "beyond the end");
  }

  @ParameterizedTest
  @ValueSource(strings = {"SubGraph.tensors", "Tensor.shape", "Buffer.data", "Operator.inputs", "Model.operator_codes"})
  void vectorLengthOf0x7FFFFFFF(String field) {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int table;
    switch (field) {
      case "SubGraph.tensors": table = nav.subgraph(0); break;
      case "Tensor.shape": table = nav.tensor(0, 3); break;
      case "Buffer.data": table = nav.buffer(1); break;
      case "Operator.inputs": table = nav.operator(0, 0); break;
      default: table = nav.root();
    }
    String[] tf = field.split("\\.");
    nav.putInt(nav.ref(table, tf[0], tf[1]), 0x7FFFFFFF);
    rejected(b, tf[1] + " vector of 2147483647 elements", "beyond the end");
  }

  @Test
  void stringLengthBeyondTheFile() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    nav.putInt(nav.ref(nav.tensor(0, 1), "Tensor", "name"), 0x7FFFFFFF);
    rejected(b, "tensors[1].name", "string of 2147483647 bytes");
  }

  @Test
  void stringWithoutTerminator() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int s = nav.ref(nav.tensor(0, 4), "Tensor", "name");
    int len = nav.getInt(s);
    assertEquals(0, b[s + 4 + len]);
    b[s + 4 + len] = 'x';
    rejected(b, "tensors[4].name", "not zero-terminated");
  }

  // ------------------------------------------------------------------ loops, depth and sharing

  @Test
  void tableFieldPointingBackToItsOwnTable() {
    // uoffsets are unsigned: "back to itself" is a huge forward offset, which must not be read as a negative one
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int op = nav.operator(0, 0);
    int at = nav.present(op, "Operator", "builtin_options");
    nav.putInt(at, op - at);
    rejected(b, "operators[0]", "builtin_options", "beyond the end");

    byte[] c = floatNet();
    nav = new FlatNav(c);
    int vec = nav.ref(nav.root(), "Model", "subgraphs");
    nav.putInt(vec + 4, nav.root() - (vec + 4)); // subgraphs[0] -> the Model table itself
    rejected(c, "subgraphs", "beyond the end");
  }

  /** A schema whose table contains itself, which TFLite's schema cannot express: the depth limit must hold. */
  static final SchemaLayout CHAIN = SchemaLayout.parse(String.join("\n",
      "schema Node NODE", "table Node", "field next 0 #Node 0", "field kids 1 [#Node 0", "field name 2 string 0"));

  static byte[] chain(int tables, int kidsPerNode) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int child = 0;
    for (int i = 0; i < tables; i++) {
      int kids = 0;
      if (child != 0 && kidsPerNode > 0) {
        b.startVector(4, kidsPerNode, 4);
        for (int k = 0; k < kidsPerNode; k++) b.addOffset(child); // every kid is the same table
        kids = b.endVector();
      }
      b.startTable(3);
      if (child != 0 && kidsPerNode == 0) b.addOffset(0, child, 0);
      if (kids != 0) b.addOffset(1, kids, 0);
      child = b.endTable();
    }
    b.finish(child, "NODE");
    return b.sizedByteArray();
  }

  @Test
  void nestingDeeperThanTheLimitIsRefused() {
    ByteBuffer shallow = ByteBuffer.wrap(chain(FlatVerifier.MAX_DEPTH / 2, 0)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(shallow.getInt(0), FlatVerifier.verify(shallow, CHAIN, "chain", true));
    ByteBuffer deep = ByteBuffer.wrap(chain(FlatVerifier.MAX_DEPTH * 4, 0));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> FlatVerifier.verify(deep, CHAIN, "chain", true));
    assertTrue(e.getMessage().contains("nested deeper than " + FlatVerifier.MAX_DEPTH), e.getMessage());
    assertTrue(e.getMessage().contains("Node.next.next"), e.getMessage());
  }

  @Test
  void exponentiallySharedTablesHitTheTableBudget() {
    // 60 levels, each a vector of two offsets to the same table below: 2^60 visits without a budget
    ByteBuffer bomb = ByteBuffer.wrap(chain(60, 2));
    ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> assertThrows(ModelFormatException.class, () -> FlatVerifier.verify(bomb, CHAIN, "bomb", true)));
    assertTrue(e.getMessage().contains("tables: refusing"), e.getMessage());
  }

  /** A model whose subgraph and tensor tables are shared: {@code subgraphs} x {@code tensors} tables. */
  static byte[] sharedModel(int[] shape, int tensors, int subgraphs) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int sh = io.kompakt.schema.tflite.Tensor.createShapeVector(b, shape);
    int name = b.createString("t");
    io.kompakt.schema.tflite.Tensor.startTensor(b);
    io.kompakt.schema.tflite.Tensor.addShape(b, sh);
    io.kompakt.schema.tflite.Tensor.addName(b, name);
    int t = io.kompakt.schema.tflite.Tensor.endTensor(b);
    int[] ts = new int[tensors];
    Arrays.fill(ts, t);
    int tv = SubGraph.createTensorsVector(b, ts);
    SubGraph.startSubGraph(b);
    SubGraph.addTensors(b, tv);
    int sg = SubGraph.endSubGraph(b);
    int[] sgs = new int[subgraphs];
    Arrays.fill(sgs, sg);
    int sgv = io.kompakt.schema.tflite.Model.createSubgraphsVector(b, sgs);
    io.kompakt.schema.tflite.Buffer.startBuffer(b);
    int b0 = io.kompakt.schema.tflite.Buffer.endBuffer(b);
    int bv = io.kompakt.schema.tflite.Model.createBuffersVector(b, new int[] {b0});
    io.kompakt.schema.tflite.Model.startModel(b);
    io.kompakt.schema.tflite.Model.addVersion(b, 3);
    io.kompakt.schema.tflite.Model.addSubgraphs(b, sgv);
    io.kompakt.schema.tflite.Model.addBuffers(b, bv);
    io.kompakt.schema.tflite.Model.finishModelBuffer(b, io.kompakt.schema.tflite.Model.endModel(b));
    return b.sizedByteArray();
  }

  @Test
  void sharedSubgraphsAndTensorsHitTheTableBudget() {
    byte[] b = sharedModel(new int[] {1}, 2000, 2000); // 4 million tables from 16 kB
    rejected(b, "tables: refusing");
  }

  @Test
  void sharedTablesDoNotAmplifyMemory() {
    int[] ones = new int[100_000];
    Arrays.fill(ones, 1);
    byte[] b = sharedModel(ones, 1000, 1);
    assertTrue(b.length < 500_000);
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
    long before = threads.getCurrentThreadAllocatedBytes();
    try {
      Model.from(b);
    } catch (ModelFormatException e) {
      return; // refusing the file is fine
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < 64L * b.length, "reading a " + b.length + "-byte file allocated " + (allocated >> 20) + " MB");
  }

  // ------------------------------------------------------------------ indices

  @Test
  void tensorBufferIndexBeyondTheBuffers() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int buffers = Model.from(b).buffers().size();
    nav.putInt(nav.present(nav.tensor(0, 1), "Tensor", "buffer"), buffers + 7);
    rejected(b, "subgraph 0, tensor 1 'conv/weights'", "buffer index " + (buffers + 7), "outside the " + buffers + " buffers");
    nav.putInt(nav.present(nav.tensor(0, 1), "Tensor", "buffer"), -1);
    rejected(b, "buffer index 4294967295");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void operatorInputIndexBeyondTheTensors(int input) {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int tensors = Model.from(b).mainSubgraph().tensors().size();
    int in = nav.ref(nav.operator(0, 0), "Operator", "inputs");
    nav.putInt(in + 4 + 4 * input, tensors);
    rejected(b, "operator 0 (CONV_2D) inputs[" + input + "]", "tensor index " + tensors, "outside the " + tensors + " tensors");
    nav.putInt(in + 4 + 4 * input, -2);
    rejected(b, "tensor index -2");
  }

  @Test
  void operatorOutputMayNotBeOmitted() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    nav.putInt(nav.ref(nav.operator(0, 1), "Operator", "outputs") + 4, -1);
    rejected(b, "operator 1 (ADD) outputs[0]", "tensor index -1");
  }

  @Test
  void subgraphOutputIndexBeyondTheTensors() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    nav.putInt(nav.ref(nav.subgraph(0), "SubGraph", "outputs") + 4, 1000);
    rejected(b, "subgraph 0 outputs[0]", "tensor index 1000");
  }

  @Test
  void opcodeIndexBeyondTheOperatorCodes() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int codes = Model.from(b).opCodes().size();
    int at = nav.present(nav.operator(0, 2), "Operator", "opcode_index"); // SOFTMAX, the third code
    assertEquals(2, nav.getInt(at));
    nav.putInt(at, codes);
    rejected(b, "operator 2", "opcode index " + codes, "outside the " + codes + " operator codes");
    nav.putInt(at, -1);
    rejected(b, "opcode index 4294967295");
  }

  @Test
  void metadataBufferIndexBeyondTheBuffers() {
    byte[] b = ModelWriter.toBytes(TestModels.customOpModel(5));
    FlatNav nav = new FlatNav(b);
    int md = nav.element(nav.ref(nav.root(), "Model", "metadata"), 0);
    nav.putInt(nav.present(md, "Metadata", "buffer"), 99);
    rejected(b, "metadata 0 'min_runtime_version'", "buffer index 99");
  }

  @Test
  void deprecatedMetadataBufferListBeyondTheBuffers() {
    byte[] b = ModelWriter.toBytes(TestModels.customOpModel(5));
    FlatNav nav = new FlatNav(b);
    nav.putInt(nav.ref(nav.root(), "Model", "metadata_buffer") + 4, 77);
    rejected(b, "metadata_buffer[0]", "buffer index 77");
  }

  @Test
  void signatureIndicesBeyondTheirTargets() {
    byte[] b = ModelWriter.toBytes(TestModels.customOpModel(5));
    FlatNav nav = new FlatNav(b);
    int sig = nav.element(nav.ref(nav.root(), "Model", "signature_defs"), 0);
    int out = nav.element(nav.ref(sig, "SignatureDef", "outputs"), 0);
    nav.putInt(nav.present(out, "TensorMap", "tensor_index"), 500);
    rejected(b, "signature 0 'serving_default' output 'y'", "tensor index 500 is outside the 6 tensors");

    byte[] c = ModelWriter.toBytes(TestModels.customOpModel(5));
    nav = new FlatNav(c);
    sig = nav.element(nav.ref(nav.root(), "Model", "signature_defs"), 1);
    nav.putInt(nav.present(sig, "SignatureDef", "subgraph_index"), 2);
    rejected(c, "signature 1 'aux'", "subgraph index 2 is outside the 2 subgraphs");
  }

  // ------------------------------------------------------------------ tensor contents

  @Test
  void unknownTensorTypeAndNegativeDimension() {
    byte[] b = ModelWriter.toBytes(TestModels.int8Conv(3));
    FlatNav nav = new FlatNav(b);
    b[nav.present(nav.tensor(0, 1), "Tensor", "type")] = 0x7F;
    rejected(b, "tensor 1 'conv/weights'", "unknown tensor type 127");

    byte[] c = floatNet();
    nav = new FlatNav(c);
    nav.putInt(nav.ref(nav.tensor(0, 3), "Tensor", "shape") + 8, -5);
    rejected(c, "tensor 3 'conv/out'", "shape dimension 1 is -5");
  }

  @Test
  void quantizationWithThreeScalesAndTwoZeroPoints() {
    EditableModel m = TestModels.int8Conv(3);
    m.subgraphs.get(0).tensors.get(1).quantization =
        new Quantization(new float[] {0.1f, 0.2f, 0.3f}, new long[] {0, 0}, new float[0], new float[0], 0, null);
    rejected(ModelWriter.toBytes(m), "tensor 1 'conv/weights'", "quantization has 3 scales but 2 zero points");
  }

  @Test
  void perChannelScalesNotMatchingTheirDimension() {
    EditableModel m = TestModels.int8Conv(3);
    EditableModel.Tensor w = m.subgraphs.get(0).tensors.get(1);
    int n = w.shape[0] + 1;
    w.quantization = Quantization.perChannel(new float[n], new long[n], 0);
    rejected(ModelWriter.toBytes(m), "tensor 1", n + " scales along dimension 0 of size " + w.shape[0]);

    w.quantization = Quantization.perChannel(new float[] {1, 2, 3}, new long[3], 7);
    rejected(ModelWriter.toBytes(m), "quantized_dimension 7 is beyond the tensor's rank 4");

    w.quantization = Quantization.perChannel(new float[] {1}, new long[1], -1);
    rejected(ModelWriter.toBytes(m), "quantized_dimension -1 is negative");
  }

  @Test
  void constantBufferSizeNotMatchingTheShape() {
    EditableModel m = TestModels.floatNet(3);
    EditableModel.Tensor w = m.subgraphs.get(0).tensors.get(1);
    long need = w.elementCount() * 4;
    w.buffer.setData(ByteBuffer.allocate((int) need + 4));
    rejected(ModelWriter.toBytes(m), "tensor 1 'conv/weights'", "holds " + (need + 4) + " bytes", "needs " + need);
    w.buffer.setData(ByteBuffer.allocate((int) need - 1));
    rejected(ModelWriter.toBytes(m), "tensor 1 'conv/weights'", "holds " + (need - 1) + " bytes", "needs " + need);
  }

  @Test
  void sparsityThatIsNotAPermutationOrOfUnknownFormat() {
    byte[] b = ModelWriter.toBytes(TestModels.sparseModel(3));
    FlatNav nav = new FlatNav(b);
    int sp = nav.ref(nav.tensor(0, 1), "Tensor", "sparsity");
    int order = nav.ref(sp, "SparsityParameters", "traversal_order");
    nav.putInt(order + 4, 1); // [1, 1]
    rejected(b, "tensor 1 'fc/weights'", "traversal_order [1, 1] is not a permutation");

    byte[] c = ModelWriter.toBytes(TestModels.sparseModel(3));
    nav = new FlatNav(c);
    sp = nav.ref(nav.tensor(0, 1), "Tensor", "sparsity");
    int dim = nav.element(nav.ref(sp, "SparsityParameters", "dim_metadata"), 1);
    c[nav.present(dim, "DimensionMetadata", "format")] = 5;
    rejected(c, "sparsity dimension 1 has unknown format 5");
  }

  // ------------------------------------------------------------------ the file as a whole

  @Test
  void wrongFileIdentifier() {
    byte[] b = floatNet();
    System.arraycopy("TFL2".getBytes(StandardCharsets.US_ASCII), 0, b, 4, 4);
    rejected(b, "file identifier is 'TFL2', expected 'TFL3'", "not a TFLite model");
    b[5] = (byte) 0xFF;
    rejected(b, "identifier", "\\xff");
  }

  @Test
  void fileOfSevenBytes(@TempDir Path dir) throws Exception {
    byte[] seven = Arrays.copyOf(floatNet(), 7);
    rejected(seven, "7 bytes", "too short");
    rejected(new byte[0], "0 bytes");
    Path p = dir.resolve("seven.tflite");
    Files.write(p, seven);
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(p));
    assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("7 bytes"), e.getMessage());
  }

  @Test
  void externalBufferBeyondTheEndOfTheFile() {
    byte[] ext = TestModels.externalize(floatNet());
    FlatNav nav = new FlatNav(ext);
    int offset = nav.present(nav.buffer(1), "Buffer", "offset");
    int size = nav.present(nav.buffer(1), "Buffer", "size");
    assertTrue(Model.from(ext).buffers().get(1).external());
    long n = nav.getLong(size);

    nav.putLong(offset, ext.length - n + 1);
    rejected(ext, "buffer 1", "lies beyond the end of the file (" + ext.length + " bytes)");
    nav.putLong(offset, Long.MAX_VALUE - 2); // offset + size overflows
    rejected(ext, "buffer 1", "beyond the end of the file");
    nav.putLong(offset, 64);
    nav.putLong(size, -1); // 2^64 - 1
    rejected(ext, "buffer 1", "size 18446744073709551615");
    nav.putLong(size, ext.length);
    rejected(ext, "buffer 1", "beyond the end of the file");
  }

  /** The model with operator 0's custom options stored after the FlatBuffer (large_custom_options_offset/size). */
  @SuppressWarnings("unchecked")
  static byte[] withLargeCustomOptions(byte[] options, long offsetDelta, long sizeDelta) {
    Model model = Model.from(ModelWriter.toBytes(TestModels.floatNet(8)));
    ByteBuffer fb = model.flatbuffer();
    FlatTable root = FlatTable.read(fb, fb.getInt(0), TfliteLayout.LAYOUT, "Model");
    FlatTable op = ((List<FlatTable>) ((List<FlatTable>) root.get("subgraphs")).get(0).get("operators")).get(0);
    op.set("large_custom_options_offset", 1L << 40).set("large_custom_options_size", (long) options.length);
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    b.finish(root.write(b), "TFL3");
    int size = b.sizedByteArray().length;
    long at = TestModels.align16(size);
    op.set("large_custom_options_offset", at + offsetDelta).set("large_custom_options_size", options.length + sizeDelta);
    b = new FlatBufferBuilder(1024);
    b.finish(root.write(b), "TFL3");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b.sizedByteArray());
    while (out.size() < at) out.write(0);
    out.writeBytes(options);
    return out.toByteArray();
  }

  @Test
  void largeCustomOptionsAreReadOrRefused() {
    byte[] options = "large custom options".getBytes(StandardCharsets.US_ASCII);
    Model ok = Model.from(withLargeCustomOptions(options, 0, 0));
    assertArrayEquals(options, TestModels.bytes(ok.mainSubgraph().operators().get(0).customOptions()));
    rejected(withLargeCustomOptions(options, 1, 0), "operator 0 (CONV_2D)", "large custom options", "beyond the file");
    rejected(withLargeCustomOptions(options, 0, Long.MAX_VALUE - options.length + 1), "large custom options");
  }

  @Test
  void damagedZipTailIsAWarningNotAnError() {
    byte[] b = ModelWriter.toBytes(TestModels.customOpModel(6));
    byte[] labels = "label_".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(b, labels);
    assertTrue(at > 0);
    b[at] ^= 0x20; // the stored entry's CRC no longer matches
    Model m = Model.from(b);
    assertTrue(m.warnings().stream().anyMatch(w -> w.startsWith("zip tail")), m.warnings().toString());
    assertNull(m.associatedFiles().get(TestModels.LABELS));
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  // ------------------------------------------------------------------ bugs found (disabled until fixed)

  @Test
  void invalidUtf8InAStringIsAModelFormatException() {
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int desc = nav.ref(nav.root(), "Model", "description");
    b[desc + 4] = (byte) 0xFF; // "float net, seed 3" -> "\xFFloat net, seed 3"
    acceptedOrRejected(b);

    byte[] c = floatNet();
    nav = new FlatNav(c);
    c[nav.ref(nav.tensor(0, 0), "Tensor", "name") + 4] = (byte) 0xC3; // a lead byte without its continuation
    acceptedOrRejected(c);
  }

  @Test
  void unknownUnionMemberWithABadOffsetIsNotDereferenced() {
    assertNull(TfliteLayout.LAYOUT.union("BuiltinOptions").member(0xFF));
    byte[] b = floatNet();
    FlatNav nav = new FlatNav(b);
    int op = nav.operator(0, 0);
    b[nav.present(op, "Operator", "builtin_options_type")] = (byte) 0xFF;
    nav.putInt(nav.present(op, "Operator", "builtin_options"), 0x7FFFFF00);
    Model m = acceptedOrRejected(b);
    if (m != null) assertNull(m.mainSubgraph().operators().get(0).options());
  }

  @Test
  void unknownQuantizationDetailsWithABadOffsetIsNotDereferenced() {
    assertNull(TfliteLayout.LAYOUT.union("QuantizationDetails").member(0x7F));
    EditableModel e = TestModels.int8Conv(3);
    EditableModel.Tensor w = e.subgraphs.get(0).tensors.get(1);
    Quantization q = w.quantization;
    w.quantization = new Quantization(q.scale(), q.zeroPoint(), q.min(), q.max(), q.quantizedDimension(),
        FlatTable.of("CustomQuantization").set("custom", new byte[] {1, 2, 3}));
    byte[] c = ModelWriter.toBytes(e);
    assertEquals("CustomQuantization", Model.from(c).mainSubgraph().tensor(1).quantization().details().typeName());
    FlatNav nav = new FlatNav(c);
    int qp = nav.ref(nav.tensor(0, 1), "Tensor", "quantization");
    c[nav.present(qp, "QuantizationParameters", "details_type")] = 0x7F;
    nav.putInt(nav.present(qp, "QuantizationParameters", "details"), 0x7FFFFF00);
    Model m = acceptedOrRejected(c);
    if (m != null) assertNull(m.mainSubgraph().tensor(1).quantization().details());
  }

  @Test
  void shapeWhoseElementCountOverflowsIsRefused() {
    byte[] b = sharedModel(new int[] {1 << 20, 1 << 20, 1 << 24}, 1, 1);
    rejected(b, "2^40");
  }

  @Test
  void shapeOfMoreThan2Pow40ElementsIsRefused() {
    rejected(sharedModel(new int[] {1 << 20, (1 << 20) + 1}, 1, 1), "shape has more than 2^40 elements");
    Model ok = Model.from(sharedModel(new int[] {1 << 20, 1 << 20}, 1, 1));
    assertEquals(1L << 40, ok.mainSubgraph().tensor(0).elementCount());
  }

  /** The model, or null if it was refused with a ModelFormatException; anything else fails. */
  static Model acceptedOrRejected(byte[] b) {
    try {
      Model m = Model.from(b);
      VerifierFuzzTest.walk(m);
      return m;
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage().startsWith("model '<memory>'"), e.getMessage());
      return null;
    } catch (Throwable t) {
      fail("expected a ModelFormatException or a model, got " + t, t);
      return null;
    }
  }

  @Test
  void acceptedOrRejectedHelperTellsBothApart() {
    assertNotEquals(null, acceptedOrRejected(floatNet()));
    assertNull(acceptedOrRejected(new byte[3]));
  }
}
