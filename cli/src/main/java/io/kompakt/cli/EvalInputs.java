package io.kompakt.cli;

import io.kompakt.data.ImageInput;
import io.kompakt.data.Preprocessing;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The inputs that the pruning commands evaluate a model on: input 0's bytes for each given file (JPEG/PNG/BMP images
 * resized and scaled as {@code kompakt run} does; {@code .bin}/{@code .npy} raw tensors), or seeded random inputs
 * (floats uniform in [-1, 1], 8-bit inputs uniform over their range).
 */
final class EvalInputs {
  private EvalInputs() {}

  static List<ByteBuffer> load(Model m, List<Path> files, int random, long seed) throws IOException {
    List<ByteBuffer> r = new ArrayList<>();
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      RuntimeTensor t = it.getInputTensor(0);
      if (files != null && !files.isEmpty()) {
        ImageInput.Normalization norm = Preprocessing.forModel(m, 1, null, null, false).normalization();
        for (Path p : files) {
          if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
          String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
          if (name.endsWith(".bin") || name.endsWith(".npy")) TensorFiles.read(p, t);
          else ImageInput.fill(t, p, norm);
          r.add(ByteBuffer.wrap(TensorFiles.bytes(t)));
        }
        return r;
      }
      if (random < 1) throw new IllegalArgumentException("--random must be at least 1 (or give --inputs)");
      SplittableRandom g = new SplittableRandom(seed);
      for (int k = 0; k < random; k++) {
        for (int i = 0; i < t.size(); i++) {
          switch (RuntimeTensor.storage(t.type)) {
            case F32: t.f32[t.offset + i] = (float) (g.nextDouble() * 2 - 1); break;
            case I8: t.i8[t.offset + i] = (byte) g.nextInt(256); break;
            case I16: t.i16[t.offset + i] = (short) g.nextInt(65536); break;
            default: throw new IllegalArgumentException("random inputs of type " + t.type.lowerName() + " are not supported; give --inputs");
          }
        }
        r.add(ByteBuffer.wrap(TensorFiles.bytes(t)));
      }
      return r;
    }
  }

  /** Class indices, one per line (blank lines ignored), as many as inputs. */
  static int[] classes(Path file, int count) throws IOException {
    if (file == null) return null;
    if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
    List<Integer> v = new ArrayList<>();
    int line = 0;
    for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      line++;
      if (s.isBlank()) continue;
      try {
        v.add(Integer.parseInt(s.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + " line " + line + ": not a class index: '" + s.trim() + "'");
      }
    }
    if (v.size() != count) throw new IllegalArgumentException(file + " has " + v.size() + " classes for " + count + " inputs");
    return v.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Top-1 agreement with {@code reference}'s outputs, or accuracy against {@code classes} when given. */
  static java.util.function.ToDoubleFunction<Model> evaluator(Model reference, List<ByteBuffer> inputs, int[] classes) {
    int[] want = classes != null ? classes : top1(reference, inputs);
    return m -> {
      int[] got = top1(m, inputs);
      int same = 0;
      for (int i = 0; i < got.length; i++) if (got[i] == want[i]) same++;
      return (double) same / got.length;
    };
  }

  static int[] top1(Model m, List<ByteBuffer> inputs) {
    int[] r = new int[inputs.size()];
    try (Interpreter it = new Interpreter(m)) {
      RuntimeTensor in = it.getInputTensor(0);
      for (int k = 0; k < r.length; k++) {
        ByteBuffer b = inputs.get(k).duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != in.type.bytesFor(in.size())) {
          throw new IllegalArgumentException("input " + k + " does not fit " + in + " of the pruned model");
        }
        in.readFrom(b);
        it.invoke();
        RuntimeTensor out = it.getOutputTensor(0);
        int best = 0;
        for (int i = 1; i < out.size(); i++) if (out.get(i) > out.get(best)) best = i;
        r[k] = best;
      }
    }
    return r;
  }
}
