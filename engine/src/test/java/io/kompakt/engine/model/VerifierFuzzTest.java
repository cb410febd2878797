package io.kompakt.engine.model;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import org.opentest4j.AssertionFailedError;

/**
 * Fuzzes the verifier with damaged copies of the test models: overwritten bytes, targeted 1/2/4/8-byte values,
 * truncation, ranges spliced from another model, inserted and deleted ranges. Every case must either be
 * rejected with a {@link ModelFormatException} naming the model, or be accepted and then survive a full walk
 * (every data view, option table, metadata), an edit-and-write and a re-read of what was written. Each case is
 * bounded to {@value #CASE_SECONDS} seconds. Seeds are fixed so that a run is reproducible.
 */
class VerifierFuzzTest {
  static final int CASE_SECONDS = 5;

  /** Seed models: every factory, a second sparse one, and two with buffers stored outside the FlatBuffer. */
  static final List<byte[]> MODELS = List.of(
      ModelWriter.toBytes(TestModels.floatNet(11)),
      ModelWriter.toBytes(TestModels.int8Conv(12)),
      ModelWriter.toBytes(TestModels.customOpModel(13)),
      ModelWriter.toBytes(TestModels.sparseModel(14)),
      ModelWriter.toBytes(TestModels.sparseModel(2)),
      TestModels.externalize(ModelWriter.toBytes(TestModels.floatNet(15))),
      TestModels.externalize(ModelWriter.toBytes(TestModels.customOpModel(16))));
  static final int LAST = 6;

  private static ExecutorService executor = newExecutor();

  private static ExecutorService newExecutor() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "verifier-fuzz");
      t.setDaemon(true);
      return t;
    });
  }

  @AfterContainer
  static void shutdown() { executor.shutdownNow(); }

  // ------------------------------------------------------------------ (i) overwrite random bytes

  record ByteWrite(int position, byte value) {}

  @Provide
  Arbitrary<List<ByteWrite>> byteWrites() {
    return Combinators.combine(Arbitraries.integers().greaterOrEqual(0), Arbitraries.bytes())
        .as(ByteWrite::new).list().ofMinSize(1).ofMaxSize(16);
  }

  @Property(tries = 8000, seed = "7310442561338874131")
  void overwrittenBytes(@ForAll @IntRange(min = 0, max = LAST) int model, @ForAll("byteWrites") List<ByteWrite> writes) {
    byte[] b = MODELS.get(model).clone();
    for (ByteWrite w : writes) b[w.position() % b.length] = w.value();
    check("model " + model + " overwritten " + writes, b);
  }

  // ------------------------------------------------------------------ (i') targeted values in 1/2/4/8-byte groups

  /** A value of {@code width} bytes written at a position aligned to it; relative values add the file length. */
  record GroupWrite(int position, int width, long value, boolean lengthRelative) {}

  @Provide
  Arbitrary<List<GroupWrite>> groupWrites() {
    Arbitrary<Long> bytePatterns = Arbitraries.of(0x00L, 0xFFL, 0x7FL, 0x80L).list().ofSize(8)
        .map(l -> { long v = 0; for (long x : l) v = (v << 8) | x; return v; });
    Arbitrary<Long> special = Arbitraries.of(0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL, 0xFFFFFFFEL, 0x7FFFFFFEL, 0xFFFFL,
        0x8000L, 0x7FFFL, 0x10000L, 0L, 1L, 2L, 3L, 4L, 8L, 16L, -4L, -8L, -16L, Long.MAX_VALUE, Long.MIN_VALUE, -1L,
        0x7F7F7F7FL, 0x80808080L, 0xFF00FF00L, 2_200_000_000L, 1L << 32);
    Arbitrary<Long> small = Arbitraries.longs().between(-512, 512);
    Arbitrary<Long> values = Arbitraries.frequencyOf(Tuple.of(3, bytePatterns), Tuple.of(4, special), Tuple.of(4, small));
    Arbitrary<GroupWrite> plain = Combinators.combine(Arbitraries.integers().greaterOrEqual(0), Arbitraries.of(1, 2, 4, 4, 4, 8), values)
        .as((p, w, v) -> new GroupWrite(p, w, v, false));
    Arbitrary<GroupWrite> relative = Combinators.combine(Arbitraries.integers().greaterOrEqual(0), Arbitraries.of(4, 8),
        Arbitraries.longs().between(-24, 24)).as((p, w, v) -> new GroupWrite(p, w, v, true));
    return Arbitraries.frequencyOf(Tuple.of(5, plain), Tuple.of(1, relative)).list().ofMinSize(1).ofMaxSize(6);
  }

  @Property(tries = 10000, seed = "-2870719032718946617")
  void targetedValues(@ForAll @IntRange(min = 0, max = LAST) int model, @ForAll("groupWrites") List<GroupWrite> writes) {
    byte[] b = MODELS.get(model).clone();
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    for (GroupWrite w : writes) {
      int slots = b.length / w.width();
      int at = (w.position() % slots) * w.width();
      long v = w.lengthRelative() ? b.length + w.value() : w.value();
      switch (w.width()) {
        case 1: bb.put(at, (byte) v); break;
        case 2: bb.putShort(at, (short) v); break;
        case 4: bb.putInt(at, (int) v); break;
        default: bb.putLong(at, v);
      }
    }
    check("model " + model + " group writes " + writes, b);
  }

  // ------------------------------------------------------------------ (ii) truncation

  @Property(tries = 2000, seed = "5113356216097263383")
  void truncated(@ForAll @IntRange(min = 0, max = LAST) int model, @ForAll @IntRange(min = 0) int length) {
    byte[] full = MODELS.get(model);
    int n = length % (full.length + 1);
    check("model " + model + " truncated to " + n, Arrays.copyOf(full, n));
  }

  /** Every prefix of the two smallest models: deterministic, and cheap since most are rejected early. */
  @Example
  void everyPrefixOfTheSmallestModels() {
    List<byte[]> bySize = new ArrayList<>(MODELS);
    bySize.sort((x, y) -> Integer.compare(x.length, y.length));
    for (byte[] full : bySize.subList(0, 2)) {
      for (int n = 0; n < full.length; n++) check("prefix of " + n + " of a " + full.length + "-byte model", Arrays.copyOf(full, n));
    }
  }

  // ------------------------------------------------------------------ (iii) splicing

  @Property(tries = 5000, seed = "3359722914520443287")
  void spliced(@ForAll @IntRange(min = 0, max = LAST) int into, @ForAll @IntRange(min = 0, max = LAST) int from,
               @ForAll @IntRange(min = 0) int srcStart, @ForAll @IntRange(min = 1, max = 512) int length,
               @ForAll @IntRange(min = 0) int dstStart, @ForAll boolean overwrite) {
    byte[] dst = MODELS.get(into), src = MODELS.get(from);
    int s = srcStart % src.length, len = Math.min(length, src.length - s), d = dstStart % dst.length;
    byte[] b;
    if (overwrite) {
      b = dst.clone();
      System.arraycopy(src, s, b, d, Math.min(len, b.length - d));
    } else { // replace dst[d, d+len) by src[s, s+len'), lengths may differ
      int cut = Math.min(dst.length - d, len / 2 + 1);
      b = new byte[dst.length - cut + len];
      System.arraycopy(dst, 0, b, 0, d);
      System.arraycopy(src, s, b, d, len);
      System.arraycopy(dst, d + cut, b, d + len, dst.length - d - cut);
    }
    check("model " + into + " with " + len + " bytes of model " + from + " from " + s + " at " + d
        + (overwrite ? " (overwrite)" : " (replace)"), b);
  }

  // ------------------------------------------------------------------ (iv) insertion and deletion

  enum Edit { INSERT_RANDOM, INSERT_ZEROS, INSERT_COPY, DELETE }

  @Property(tries = 5000, seed = "-6404727419385283121")
  void insertedOrDeleted(@ForAll @IntRange(min = 0, max = LAST) int model, @ForAll Edit edit,
                         @ForAll @IntRange(min = 0) int position, @ForAll @IntRange(min = 1, max = 64) int length,
                         @ForAll long bytesSeed) {
    byte[] a = MODELS.get(model);
    int p = position % a.length;
    byte[] b;
    if (edit == Edit.DELETE) {
      int n = Math.min(length, a.length - p);
      b = new byte[a.length - n];
      System.arraycopy(a, 0, b, 0, p);
      System.arraycopy(a, p + n, b, p, a.length - p - n);
    } else {
      byte[] ins = new byte[length];
      if (edit == Edit.INSERT_RANDOM) new Random(bytesSeed).nextBytes(ins);
      if (edit == Edit.INSERT_COPY) {
        int from = (int) Math.floorMod(bytesSeed, (long) a.length);
        ins = Arrays.copyOfRange(a, from, Math.min(a.length, from + length));
      }
      b = new byte[a.length + ins.length];
      System.arraycopy(a, 0, b, 0, p);
      System.arraycopy(ins, 0, b, p, ins.length);
      System.arraycopy(a, p, b, p + ins.length, a.length - p);
    }
    check("model " + model + " " + edit + " " + length + " at " + p + " (seed " + bytesSeed + ")", b);
  }

  // ------------------------------------------------------------------ from a file: the same verdict as from memory

  @Property(tries = 300, seed = "1882301949302861239")
  void loadedFromAFileLikeFromMemory(@ForAll @IntRange(min = 0, max = LAST) int model, @ForAll("byteWrites") List<ByteWrite> writes)
      throws java.io.IOException {
    byte[] b = MODELS.get(model).clone();
    for (ByteWrite w : writes) b[w.position() % b.length] = w.value();
    java.nio.file.Path p = java.nio.file.Files.createTempFile("fuzz", ".tflite");
    try {
      java.nio.file.Files.write(p, b);
      String fromMemory = verdict(() -> Model.from(b)), fromFile = verdict(() -> Model.load(p));
      if (!fromMemory.equals(fromFile.replace(p.toString(), "<memory>"))) {
        throw new AssertionFailedError("from memory: " + fromMemory + "; from a file: " + fromFile + "; file (base64): " + base64(b));
      }
      Statistics.label("outcome").collect(fromMemory.startsWith("model ") ? "rejected" : fromMemory);
    } finally {
      java.nio.file.Files.delete(p);
    }
  }

  interface Load { Model load() throws Exception; }

  /** "accepted (warnings)" or the ModelFormatException's message. */
  private static String verdict(Load l) {
    try {
      Model m = l.load();
      return "accepted " + m.warnings().size();
    } catch (ModelFormatException e) {
      return e.getMessage();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionFailedError("unexpected " + e, e);
    }
  }

  // ------------------------------------------------------------------ the check

  /** Runs one case in time: rejected with a ModelFormatException, or accepted and fully usable. */
  static void check(String what, byte[] bytes) {
    Future<String> f = executor.submit(() -> readAndWalk(bytes));
    String outcome;
    try {
      outcome = f.get(CASE_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      executor.shutdownNow();
      executor = newExecutor();
      throw new AssertionFailedError("no answer within " + CASE_SECONDS + " s for " + what + "; file (base64): " + base64(bytes));
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw new AssertionFailedError(c + " for " + what + "; file (base64): " + base64(bytes), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionFailedError("interrupted");
    }
    Statistics.label("outcome").collect(outcome);
  }

  private static String base64(byte[] b) { return Base64.getEncoder().encodeToString(b); }

  /** @return "rejected", "accepted", "accepted, not rewritable" */
  static String readAndWalk(byte[] bytes) {
    Model m;
    try {
      m = Model.from(bytes);
    } catch (ModelFormatException e) {
      String msg = e.getMessage();
      if (msg == null || !msg.startsWith("model '<memory>'") || msg.length() < 30) {
        throw new AssertionFailedError("ModelFormatException without a useful message: " + msg, e);
      }
      return "rejected";
    }
    walk(m);
    byte[] again;
    try {
      again = ModelWriter.toBytes(EditableModel.from(m));
    } catch (IllegalArgumentException | ModelFormatException e) {
      return "accepted, not rewritable";
    }
    // What the writer makes of an accepted model must verify and hold the same content.
    Model m2;
    try {
      m2 = Model.from(again);
    } catch (ModelFormatException e) {
      throw new AssertionFailedError("an accepted model, rewritten, does not verify: " + e.getMessage(), e);
    }
    walk(m2);
    return "accepted";
  }

  /** Touches everything a user of the model can reach. */
  static void walk(Model m) {
    m.toString();
    m.version();
    m.description();
    m.warnings().forEach(String::length);
    drain(m.flatbuffer());
    for (OpCode c : m.opCodes()) {
      c.name();
      c.toString();
      c.isKnownBuiltin();
    }
    for (Model.Buffer b : m.buffers()) drain(b.data());
    for (Subgraph sg : m.subgraphs()) {
      sg.name();
      for (Tensor t : sg.tensors()) {
        t.toString();
        t.elementCount();
        t.denseBytes();
        t.storedBytes();
        drain(t.dataView());
        t.quantization().toString();
        t.quantization().isQuantized();
        t.quantization().isPerChannel();
        if (t.sparsity() != null) t.sparsity().toString();
      }
      for (int i = 0; i < sg.inputs().length; i++) sg.input(i).toString();
      for (int i = 0; i < sg.outputs().length; i++) sg.output(i).toString();
      for (Operator o : sg.operators()) {
        o.toString();
        o.name();
        if (o.options() != null) {
          o.options().toString();
          o.options().values();
        }
        if (o.options2() != null) o.options2().toString();
        drain(o.customOptions());
      }
    }
    for (Model.Metadata md : m.metadata()) drain(md.data());
    for (SignatureDef s : m.signatures()) s.toString();
    m.associatedFiles().forEach((k, v) -> k.length());
    m.metadataBufferIndices();
    allowed(m::labels);
    FlatTable md = m.tfliteMetadata();
    if (md != null) {
      md.toString();
      allowed(() -> MetadataView.inputNormalization(md));
      allowed(() -> MetadataView.firstLabelFile(md));
    }
    allowed(m::mainSubgraph);
  }

  private static void allowed(Runnable r) {
    try {
      r.run();
    } catch (ModelFormatException | IllegalArgumentException e) {
      // documented failures
    }
  }

  private static void drain(ByteBuffer b) {
    if (b == null) return;
    ByteBuffer d = b.duplicate();
    byte[] a = new byte[d.remaining()];
    d.get(a);
  }
}
