package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.compress.quant.QuantReport;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Tensor;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Full-integer post-training quantization of Kompakt's own networks: the quantized file loads and runs in Kompakt,
 * stays close to the float model (output SNR, top-1 agreement on held-out inputs), and loads and runs in real TFLite
 * (the oracle, skipped where absent) with outputs compared unit by unit.
 */
class FullIntegerQuantizerTest {
  record Case(String name, String network, FullIntegerQuantizer.Options options, double minSnrDb) {
    @Override
    public String toString() { return name; }
  }

  static List<Case> cases() {
    return List.of(
        new Case("fashion_mnist_cnn int8, float I/O", "fashion_mnist_cnn", new FullIntegerQuantizer.Options(), 15),
        new Case("fashion_mnist_cnn int8, int8 I/O", "fashion_mnist_cnn", new FullIntegerQuantizer.Options().io(TensorType.INT8), 15),
        new Case("mobilenet_v1_0.25_96 int8, uint8 I/O", "mobilenet_v1_0.25_96", new FullIntegerQuantizer.Options().io(TensorType.UINT8), 30),
        new Case("mobilenet_v2_0.35_96 int8", "mobilenet_v2_0.35_96", new FullIntegerQuantizer.Options(), 30),
        new Case("fashion_mnist_cnn uint8", "fashion_mnist_cnn",
            new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8).io(TensorType.UINT8), 15),
        new Case("fashion_mnist_cnn 16x8", "fashion_mnist_cnn",
            new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.INT16X8), 15),
        // the optional passes: equalisation (RELU6 made RELU) with per-tensor uint8 weights, bias correction, KL ranges
        new Case("mobilenet_v1_0.25_96 uint8, equalized (RELU6 -> RELU), bias correction", "mobilenet_v1_0.25_96",
            new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.UINT8).io(TensorType.UINT8).equalize(true)
                .equalizeRelu6(true).biasCorrection(true), 25),
        new Case("fashion_mnist_cnn int8, KL ranges, bias correction, equalized", "fashion_mnist_cnn",
            new FullIntegerQuantizer.Options().method(io.kompakt.compress.quant.Calibrator.Method.KL).biasCorrection(true).equalize(true), 15));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void quantizedNetworkRunsCloseToFloatAndInTflite(Case c, @TempDir Path dir) throws Exception {
    // as kompakt quantize does it: prepare the float graph, calibrate what it needs, quantize
    Model original = Model.from(ModelWriter.toBytes(Networks.byName(c.network(), 7)));
    EditableModel prepared = EditableModel.from(original);
    FullIntegerQuantizer.Preparation prep = FullIntegerQuantizer.prepare(prepared, c.options());
    Model floatModel = prep.changed() ? Model.from(ModelWriter.toBytes(prepared)) : original;
    Calibrator cal = Calibrator.run(floatModel, Calibrator.random(8, 1, -1, 1), c.options().calibrationNeeds(), 1, null);
    EditableModel q = FullIntegerQuantizer.quantize(floatModel, cal, c.options());
    Path file = dir.resolve("q.tflite");
    new ModelWriter().write(q, file);
    Model qm = Model.load(file);
    TensorType act = c.options().scheme().activationType();
    for (Tensor t : qm.mainSubgraph().tensors()) {
      if (t.type() == TensorType.FLOAT32) {
        boolean io = false;
        for (int i : qm.mainSubgraph().inputs()) io |= qm.mainSubgraph().tensor(i) == t || qm.mainSubgraph().tensor(i).name().equals(t.name());
        for (int i : qm.mainSubgraph().outputs()) io |= qm.mainSubgraph().tensor(i).name().equals(t.name());
        assertTrue(io, "float tensor left inside the quantized model: " + t.name());
      }
    }
    assertEquals(c.options().io(), qm.mainSubgraph().input(0).type());
    QuantReport.Result r = QuantReport.compare(floatModel, qm, prep.changesFloatModel() ? original : null,
        Calibrator.random(6, 99, -1, 1), null, 1, null);
    // the logits (the softmax's input): random 1001-class networks have flat softmax outputs under one step (1/256)
    QuantReport.Layer logits = null;
    for (QuantReport.Layer l : r.layers()) if (!l.opName().equals("SOFTMAX")) logits = l;
    System.out.printf(Locale.ROOT, "%s: %s; output SNR %.1f dB, logits SNR %.1f dB, top-1 agreement %d/%d, worst layer %s%n", c,
        prep, r.outputSnrDb(), logits.snrDb(), r.top1Agree(), r.samples(), r.worst());
    assertTrue(logits.snrDb() > c.minSnrDb(), c + ": logits SNR " + logits.snrDb());
    assertTrue(r.layers().size() > 3, "layers compared: " + r.layers().size());
    if (c.options().scheme() == FullIntegerQuantizer.Scheme.INT8 || c.options().scheme() == FullIntegerQuantizer.Scheme.UINT8) {
      assertTrue(act == TensorType.INT8 || act == TensorType.UINT8);
      assertTrue(Files.size(file) * 3 < ModelWriter.toBytes(EditableModel.from(floatModel)).length, "int8 file not ~4x smaller");
    }
    if (!Oracle.available()) {
      System.out.println(Shared.SKIP_MESSAGE + " (oracle part)");
      return;
    }
    // the same inputs through Kompakt and TFLite
    Path in = dir.resolve("in"), out = dir.resolve("out");
    Files.createDirectories(in);
    try (Interpreter it = new Interpreter(qm, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      Calibrator.random(1, 5, -1, 1).fill(0, it);
      for (int i = 0; i < it.getInputTensorCount(); i++) Files.write(in.resolve("input_" + i + ".bin"), TensorFiles.bytes(it.getInputTensor(i)));
      it.invoke();
      Oracle.Result res = Oracle.run(file, in, out);
      assertEquals(0, res.exitCode(), "TFLite refused or failed on " + c + ": " + res.output());
      RuntimeTensor o = it.getOutputTensor(0);
      byte[] want = Files.readAllBytes(out.resolve("output_0.bin"));
      RuntimeTensor tfl = new RuntimeTensor(0, "tflite", o.type, o.shape, o.quantization);
      tfl.allocateOwn();
      tfl.readFrom(java.nio.ByteBuffer.wrap(want).order(java.nio.ByteOrder.LITTLE_ENDIAN));
      double maxDiff = 0, step = o.type == TensorType.FLOAT32 ? 1.0 / 256 : 1; // softmax outputs: one step is 1/256
      int top = 0, topT = 0;
      for (int i = 0; i < o.size(); i++) {
        maxDiff = Math.max(maxDiff, Math.abs(o.get(i) - tfl.get(i)));
        if (o.get(i) > o.get(top)) top = i;
        if (tfl.get(i) > tfl.get(topT)) topT = i;
      }
      double units = maxDiff / step;
      System.out.printf(Locale.ROOT, "%s: Kompakt vs TFLite: max difference %.3g units, top-1 %d vs %d%n", c, units, top, topT);
      assertTrue(units <= 2.0001, c + ": Kompakt and TFLite differ by " + units + " units");
    }
  }
}
