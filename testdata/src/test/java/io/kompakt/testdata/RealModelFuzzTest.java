package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.ModelFormatException;
import io.kompakt.engine.model.ModelInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Damaged real models (the shared ones) and Kompakt's own: byte flips, truncation, splicing and resizing never
 * give anything but a ModelFormatException, and never hang. A file that still verifies is walked whole.
 */
class RealModelFuzzTest {
  private static final List<byte[]> MODELS = load();

  private static List<byte[]> load() {
    List<byte[]> list = new ArrayList<>();
    list.add(ModelWriter.toBytes(Networks.fashionMnistCnn(1)));
    list.add(ModelWriter.toBytes(Networks.mobileNetV3(Networks.V3.SMALL, 32, 10, 1)));
    if (Shared.available()) {
      for (String name : List.of("hello_world_int8", "hello_world_float", "simple_add_model", "split_concat", "dilated_conv",
          "model_invoking_error", "keyword_scrambled", "keras_lstm_mnist_ptq", "person_detect", "mobilenet_v1_0.25_128_quant")) {
        try {
          list.add(Files.readAllBytes(Shared.resolve("models").resolve(name + ".tflite")));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return list;
  }

  /** Reads a candidate; anything but a clean accept or a ModelFormatException fails the property. */
  static void check(byte[] bytes, String what) {
    long t0 = System.nanoTime();
    try {
      Model m = Model.from(bytes);
      ModelInfo.of(m);
      Model.from(ModelWriter.toBytes(EditableModel.from(m)));
    } catch (ModelFormatException e) {
      assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    } catch (IllegalArgumentException e) {
      // the writer refuses a model it cannot express (e.g. a union member the schema lacks): acceptable, named
      assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    } catch (Throwable t) {
      fail(what + ": " + t, t);
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 5_000, what + " took " + ms + " ms");
  }

  /** Structure lies in the first part of a file (FlatBuffers build back to front, data last): bias there. */
  static int position(Random r, int length) {
    return r.nextInt(4) == 0 ? r.nextInt(length) : r.nextInt(Math.max(1, Math.min(length, 4096)));
  }

  @Property(tries = 5000, seed = "424242")
  void flippedBytes(@ForAll @IntRange(min = 0, max = 11) int model, @ForAll @IntRange(min = 1, max = 16) int flips, @ForAll long seed) {
    Assume.that(model < MODELS.size());
    byte[] b = MODELS.get(model).clone();
    Random r = new Random(seed);
    byte[] special = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1};
    for (int i = 0; i < flips; i++) {
      int p = position(r, b.length);
      if (r.nextBoolean()) b[p] = special[r.nextInt(special.length)];
      else b[p] ^= (byte) (1 << r.nextInt(8));
      if (r.nextInt(4) == 0 && p + 3 < b.length) Arrays.fill(b, p, p + 4, special[r.nextInt(special.length)]);
    }
    check(b, "model " + model + " with " + flips + " flips (seed " + seed + ")");
  }

  @Property(tries = 2000, seed = "424243")
  void truncated(@ForAll @IntRange(min = 0, max = 11) int model, @ForAll long seed) {
    Assume.that(model < MODELS.size());
    byte[] b = MODELS.get(model);
    int len = new Random(seed).nextInt(b.length);
    check(Arrays.copyOf(b, len), "model " + model + " truncated to " + len);
  }

  @Property(tries = 2000, seed = "424244")
  void splicedAndResized(@ForAll @IntRange(min = 0, max = 11) int a, @ForAll @IntRange(min = 0, max = 11) int b, @ForAll long seed) {
    Assume.that(a < MODELS.size() && b < MODELS.size());
    Random r = new Random(seed);
    byte[] x = MODELS.get(a), y = MODELS.get(b);
    byte[] out;
    switch (r.nextInt(3)) {
      case 0: { // splice a range of y into x
        out = x.clone();
        int len = 1 + r.nextInt(Math.min(256, y.length));
        int from = r.nextInt(y.length - len + 1), to = position(r, Math.max(1, x.length - len));
        System.arraycopy(y, from, out, Math.min(to, x.length - len), len);
        break;
      }
      case 1: { // insert random bytes
        int at = position(r, x.length), len = 1 + r.nextInt(64);
        out = new byte[x.length + len];
        System.arraycopy(x, 0, out, 0, at);
        for (int i = 0; i < len; i++) out[at + i] = (byte) r.nextInt(256);
        System.arraycopy(x, at, out, at + len, x.length - at);
        break;
      }
      default: { // delete a range
        int at = position(r, x.length), len = Math.min(1 + r.nextInt(64), x.length - at);
        out = new byte[x.length - len];
        System.arraycopy(x, 0, out, 0, at);
        System.arraycopy(x, at + len, out, at, x.length - at - len);
      }
    }
    check(out, "models " + a + "/" + b + " spliced (seed " + seed + ")");
  }
}
