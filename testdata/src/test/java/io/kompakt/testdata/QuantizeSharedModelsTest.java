package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.compress.Dequantizer;
import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.data.ImageInput;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The done-when check of the quantizer on real models: the float MobileNet V1 0.25 of {@code ../shared/models},
 * calibrated on shared images, quantized to int8; the file is about 4x smaller than the float one, loads in real
 * TFLite, and TFLite's outputs are compared with Kompakt's (unit differences and top-1; the oracle runs TFLite's
 * default CPU path, not its reference kernels) and with the float model's top-1. {@link #main} measures every image
 * and also MobileNet V2 1.0 (dequantized from the shared int8 model): the figures of docs/quantization.md.
 */
class QuantizeSharedModelsTest {
  static List<Path> images() throws Exception {
    try (Stream<Path> s = Files.list(Shared.resolve("images"))) {
      return s.filter(p -> p.toString().matches(".*\\.(bmp|jpg|png)")).sorted().toList();
    }
  }

  static Calibrator.Source imageSource(List<Path> images) {
    return new Calibrator.Source() {
      @Override public int count() { return images.size(); }

      @Override public void fill(int i, Interpreter it) throws Exception {
        RuntimeTensor t = it.getInputTensor(0);
        RuntimeTensor f = new RuntimeTensor(0, "f", io.kompakt.engine.model.TensorType.FLOAT32, t.shape, null);
        f.allocateOwn();
        ImageInput.fill(f, images.get(i), ImageInput.Normalization.MINUS_ONE_TO_ONE);
        Calibrator.setInput(t, f.f32);
      }
    };
  }

  /** Figures of one model: size ratio, top-1 agreements, max unit difference Kompakt vs TFLite. */
  record Figures(long floatBytes, long quantBytes, int images, int agreeFloat, int agreeTflite, double maxUnits, double meanUnits) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "float %,d B, int8 %,d B (%.2fx); %d images: int8 top-1 = float top-1 on %d, "
          + "Kompakt top-1 = TFLite top-1 on %d; Kompakt vs TFLite max %.0f units, mean %.3f units of output",
          floatBytes, quantBytes, (double) floatBytes / quantBytes, images, agreeFloat, agreeTflite, maxUnits, meanUnits);
    }
  }

  static Figures measure(Model floatModel, List<Path> calib, List<Path> eval, Path dir) throws Exception {
    return measure(floatModel, new FullIntegerQuantizer.Options(), calib, eval, dir);
  }

  /** As kompakt quantize: the graph prepared, calibrated on {@code calib}, quantized; compared on {@code eval}. */
  static Figures measure(Model given, FullIntegerQuantizer.Options options, List<Path> calib, List<Path> eval, Path dir) throws Exception {
    EditableModel prepared = EditableModel.from(given);
    FullIntegerQuantizer.Preparation prep = FullIntegerQuantizer.prepare(prepared, options);
    Model floatModel = prep.changed() ? Model.from(ModelWriter.toBytes(prepared)) : given;
    Calibrator cal = Calibrator.run(floatModel, imageSource(calib), options.calibrationNeeds(), 1, null);
    EditableModel q = FullIntegerQuantizer.quantize(floatModel, cal, options);
    Path file = dir.resolve("q.tflite");
    new ModelWriter().write(q, file);
    Model qm = Model.load(file);
    long floatBytes = ModelWriter.toBytes(EditableModel.from(given)).length;
    int agreeFloat = 0, agreeTflite = 0;
    double maxUnits = 0, sumUnits = 0;
    long count = 0;
    try (Interpreter fi = new Interpreter(given); Interpreter qi = new Interpreter(qm)) { // top-1 of the model as given
      Calibrator.Source src = imageSource(eval);
      for (int n = 0; n < eval.size(); n++) {
        src.fill(n, fi);
        fi.invoke();
        src.fill(n, qi);
        // the input as TFLite gets it, written before the run: Kompakt's arena reuses a graph input's memory once the
        // first op has read it, so after invoke() the input tensor no longer holds the image
        Path in = dir.resolve("in" + n), out = dir.resolve("out" + n);
        Files.createDirectories(in);
        Files.write(in.resolve("input_0.bin"), TensorFiles.bytes(qi.getInputTensor(0)));
        qi.invoke();
        Oracle.Result r = Oracle.run(file, in, out);
        assertEquals(0, r.exitCode(), "TFLite refused or failed: " + r.output());
        RuntimeTensor o = qi.getOutputTensor(0);
        ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(out.resolve("output_0.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        RuntimeTensor t = new RuntimeTensor(0, "tflite", o.type, o.shape, o.quantization);
        t.allocateOwn();
        assertEquals(t.type.bytesFor(t.size()), want.remaining());
        t.readFrom(want);
        int tk = 0, tt = 0;
        for (int i = 0; i < o.size(); i++) {
          double units = Math.abs(real(o, i) - real(t, i)) * 256; // softmax output step 1/256
          maxUnits = Math.max(maxUnits, units);
          sumUnits += units;
          count++;
          if (o.get(i) > o.get(tk)) tk = i;
          if (t.get(i) > t.get(tt)) tt = i;
        }
        if (tk == tt) agreeTflite++;
        int tf = 0;
        RuntimeTensor fo = fi.getOutputTensor(0);
        for (int i = 0; i < fo.size(); i++) if (fo.f32[fo.offset + i] > fo.f32[fo.offset + tf]) tf = i;
        if (tf == tk) agreeFloat++;
      }
    }
    return new Figures(floatBytes, Files.size(file), eval.size(), agreeFloat, agreeTflite, maxUnits, sumUnits / count);
  }

  /** Element i's real value: as it is for float, dequantized for integer outputs. */
  static double real(RuntimeTensor t, int i) {
    return t.type == io.kompakt.engine.model.TensorType.FLOAT32 ? t.get(i) : t.scale() * (t.get(i) - t.zeroPoint());
  }

  /**
   * The optional passes on the real model: uint8 per-tensor weights, equalised with RELU6 made RELU, bias-corrected;
   * the file loads and runs in TFLite, within the int8 bar.
   */
  @Test
  void mobileNetV1QuarterUint8EqualizedRunsInTflite(@TempDir Path dir) throws Exception {
    assumeTrue(Shared.available() && Oracle.available(), Shared.SKIP_MESSAGE);
    List<Path> images = images();
    Model f = Model.load(Shared.resolve("models/mobilenet_v1_0.25_224_1_default_1.tflite"));
    FullIntegerQuantizer.Options o = new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8)
        .io(io.kompakt.engine.model.TensorType.UINT8).equalize(true).equalizeRelu6(true).biasCorrection(true);
    Figures r = measure(f, o, images.subList(0, 8), images.subList(8, 10), dir);
    System.out.println("mobilenet_v1_0.25_224 uint8, equalized (RELU6 -> RELU), bias correction: " + r);
    assertTrue(r.floatBytes() > 3 * r.quantBytes(), r.toString());
    assertTrue(r.meanUnits() < 0.5, "Kompakt and TFLite differ on average by " + r.meanUnits() + " units: " + r);
    assertTrue(r.maxUnits() <= 32, "Kompakt and TFLite differ by more than 32 units: " + r);
  }

  /** The int8 file with equalisation, bias correction and KL ranges: within the int8 bar against TFLite. */
  @Test
  void mobileNetV1QuarterInt8WithTheOptionalPassesRunsInTflite(@TempDir Path dir) throws Exception {
    assumeTrue(Shared.available() && Oracle.available(), Shared.SKIP_MESSAGE);
    List<Path> images = images();
    Model f = Model.load(Shared.resolve("models/mobilenet_v1_0.25_224_1_default_1.tflite"));
    FullIntegerQuantizer.Options o = new FullIntegerQuantizer.Options().equalize(true).biasCorrection(true)
        .method(Calibrator.Method.KL);
    Figures r = measure(f, o, images.subList(0, 8), images.subList(8, 10), dir);
    System.out.println("mobilenet_v1_0.25_224 int8, equalized, bias correction, KL: " + r);
    assertTrue(r.meanUnits() < 0.5, "Kompakt and TFLite differ on average by " + r.meanUnits() + " units: " + r);
    assertTrue(r.maxUnits() <= 32, "Kompakt and TFLite differ by more than 32 units: " + r);
  }

  @Test
  void mobileNetV1QuarterInt8RunsInTflite(@TempDir Path dir) throws Exception {
    assumeTrue(Shared.available() && Oracle.available(), Shared.SKIP_MESSAGE);
    List<Path> images = images();
    Model f = Model.load(Shared.resolve("models/mobilenet_v1_0.25_224_1_default_1.tflite"));
    Figures r = measure(f, images.subList(0, 8), images.subList(8, 11), dir);
    System.out.println("mobilenet_v1_0.25_224 int8: " + r);
    assertTrue(r.floatBytes() > 3 * r.quantBytes(), r.toString());
    // the oracle runs TFLite's default CPU path (XNNPACK / optimized kernels round differently from the reference
    // kernels that Kompakt matches bit for bit): report the differences; bar: most outputs equal, a few units at most
    assertTrue(r.meanUnits() < 0.5, "Kompakt and TFLite differ on average by " + r.meanUnits() + " units: " + r);
    assertTrue(r.maxUnits() <= 32, "Kompakt and TFLite differ by more than 32 units: " + r);
  }

  /**
   * Measures the figures of docs/quantization.md (all shared images; V1 0.25 and V2 1.0), and Kompakt against
   * TFLite for each set of the optional passes on V1 0.25 (held-out: the last 7 images).
   */
  public static void main(String[] args) throws Exception {
    List<Path> images = images();
    Path dir = Files.createTempDirectory("kompakt-quant");
    Model v1 = Model.load(Shared.resolve("models/mobilenet_v1_0.25_224_1_default_1.tflite"));
    java.util.Map<String, FullIntegerQuantizer.Options> variants = new java.util.LinkedHashMap<>();
    variants.put("int8", new FullIntegerQuantizer.Options());
    variants.put("int8 --equalize", new FullIntegerQuantizer.Options().equalize(true));
    variants.put("int8 --equalize --equalize-relu6", new FullIntegerQuantizer.Options().equalize(true).equalizeRelu6(true));
    variants.put("int8 --bias-correction", new FullIntegerQuantizer.Options().biasCorrection(true));
    variants.put("int8 --method kl", new FullIntegerQuantizer.Options().method(Calibrator.Method.KL));
    variants.put("uint8", new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8).io(io.kompakt.engine.model.TensorType.UINT8));
    variants.put("uint8 --equalize --equalize-relu6", new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8)
        .io(io.kompakt.engine.model.TensorType.UINT8).equalize(true).equalizeRelu6(true));
    for (var v : variants.entrySet()) {
      System.out.println("mobilenet_v1_0.25_224 " + v.getKey() + ", held-out images vs TFLite: "
          + measure(v1, v.getValue(), images.subList(0, 8), images.subList(8, images.size()), dir));
    }
    System.out.println("mobilenet_v1_0.25_224 int8, calibrated on the first 8 images: " + measure(v1, images.subList(0, 8), images, dir));
    Model v2 = Model.from(ModelWriter.toBytes(Dequantizer.dequantized(Model.load(Shared.resolve("models/tf2_mobilenet_v2_1.0_224_ptq.tflite")), true)));
    System.out.println("mobilenet_v2_1.0_224 (dequantized) int8, calibrated on the first 8 images: " + measure(v2, images.subList(0, 8), images, dir));
  }
}
