package io.kompakt.engine.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What differs between two models in content (not in byte layout): tensors, data, quantization, sparsity,
 * operators and their options, signatures, metadata and associated files. Buffer numbering and operator-code
 * order may differ; what they mean may not.
 */
public final class ModelDiff {
  private final List<String> diffs = new ArrayList<>();
  private static final int MAX = 50;

  private ModelDiff() {}

  /** The differences, at most 50, each naming where; empty if the models are equal. */
  public static List<String> differences(Model a, Model b) {
    ModelDiff d = new ModelDiff();
    d.compare(a, b);
    return d.diffs;
  }

  private void diff(String where, Object x, Object y) {
    if (diffs.size() < MAX) diffs.add(where + ": " + x + " vs " + y);
  }

  private void check(String where, Object x, Object y) {
    if (!Objects.deepEquals(x, y)) diff(where, str(x), str(y));
  }

  private static String str(Object o) {
    if (o instanceof int[]) return Arrays.toString((int[]) o);
    if (o instanceof long[]) return Arrays.toString((long[]) o);
    if (o instanceof float[]) return Arrays.toString((float[]) o);
    return String.valueOf(o);
  }

  private void compare(Model a, Model b) {
    check("version", a.version(), b.version());
    check("description", a.description(), b.description());
    check("subgraph count", a.subgraphs().size(), b.subgraphs().size());
    for (int s = 0; s < Math.min(a.subgraphs().size(), b.subgraphs().size()); s++) {
      compare("subgraph " + s, a.subgraphs().get(s), b.subgraphs().get(s));
    }
    check("metadata count", a.metadata().size(), b.metadata().size());
    for (int i = 0; i < Math.min(a.metadata().size(), b.metadata().size()); i++) {
      Model.Metadata x = a.metadata().get(i), y = b.metadata().get(i);
      check("metadata " + i + " name", x.name(), y.name());
      if (!bytesEqual(x.data(), y.data())) diff("metadata " + i + " '" + x.name() + "' data", size(x.data()) + " bytes", size(y.data()) + " bytes");
    }
    check("metadata_buffer count", a.metadataBufferIndices().length, b.metadataBufferIndices().length);
    check("signatures", a.signatures(), b.signatures());
    check("associated files", a.associatedFiles().keySet(), b.associatedFiles().keySet());
    for (String f : a.associatedFiles().keySet()) {
      if (b.associatedFiles().containsKey(f) && !Arrays.equals(a.associatedFiles().get(f), b.associatedFiles().get(f))) {
        diff("associated file " + f, "differs", "");
      }
    }
  }

  private void compare(String where, Subgraph x, Subgraph y) {
    check(where + " name", x.name(), y.name());
    check(where + " inputs", x.inputs(), y.inputs());
    check(where + " outputs", x.outputs(), y.outputs());
    check(where + " tensor count", x.tensors().size(), y.tensors().size());
    for (int i = 0; i < Math.min(x.tensors().size(), y.tensors().size()); i++) {
      Tensor s = x.tensors().get(i), t = y.tensors().get(i);
      String w = where + ", tensor " + i + " '" + s.name() + "'";
      check(w + " name", s.name(), t.name());
      check(w + " type", s.type(), t.type());
      check(w + " shape", s.shape(), t.shape());
      check(w + " shape_signature", s.shapeSignature(), t.shapeSignature());
      check(w + " quantization", s.quantization(), t.quantization());
      check(w + " sparsity", s.sparsity(), t.sparsity());
      check(w + " is_variable", s.isVariable(), t.isVariable());
      if (!bytesEqual(s.data(), t.data())) diff(w + " data", size(s.data()) + " bytes", size(t.data()) + " bytes (or contents differ)");
    }
    check(where + " operator count", x.operators().size(), y.operators().size());
    for (int i = 0; i < Math.min(x.operators().size(), y.operators().size()); i++) {
      Operator o = x.operators().get(i), p = y.operators().get(i);
      String w = where + ", operator " + i + " " + o.name();
      check(w + " op code", o.opCode(), p.opCode());
      check(w + " inputs", o.inputs(), p.inputs());
      check(w + " outputs", o.outputs(), p.outputs());
      check(w + " intermediates", o.intermediates(), p.intermediates());
      check(w + " options", o.options(), p.options());
      check(w + " options2", o.options2(), p.options2());
      if (!bytesEqual(o.customOptions(), p.customOptions())) diff(w + " custom options", size(o.customOptions()), size(p.customOptions()));
    }
  }

  private static int size(ByteBuffer b) { return b == null ? 0 : b.remaining(); }

  /** Whether two views hold the same bytes (null equals empty). */
  public static boolean bytesEqual(ByteBuffer x, ByteBuffer y) {
    if (size(x) == 0 || size(y) == 0) return size(x) == size(y);
    return x.duplicate().equals(y.duplicate());
  }
}
