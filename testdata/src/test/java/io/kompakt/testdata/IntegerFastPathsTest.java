package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole quantized networks with the fast integer kernels against the reference kernels: byte for byte at every op's
 * output, for three inputs run one after another (the second different, the third the first again), with the Vector
 * API and the scalar kernels, one and two threads, with and without an observer. This covers what the per-op property
 * tests cannot: how kernels meet in a graph, e.g. the float copy an integer kernel leaves for the next one
 * ({@code SharedScratch.Handoff}), which must be taken only by the kernel right after it and never across runs. The
 * networks have plain chains (MobileNet V1), residual ADDs between convs (V2), branches and concatenations
 * (Inception blocks) and a dense head after a reshape (the Fashion-MNIST CNN).
 */
class IntegerFastPathsTest {
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"mobilenet_v1_0.25_96, UINT8", "mobilenet_v2_0.35_96, INT8", "inception_v3_blocks_75, INT8", "fashion_mnist_cnn, INT8"})
  void fastKernelsMatchTheReferenceAtEveryOp(String network, FullIntegerQuantizer.Scheme scheme) throws Exception {
    FullIntegerQuantizer.Options options = new FullIntegerQuantizer.Options().scheme(scheme)
        .io(scheme == FullIntegerQuantizer.Scheme.UINT8 ? TensorType.UINT8 : TensorType.INT8);
    Model original = Model.from(ModelWriter.toBytes(Networks.byName(network, 3)));
    EditableModel prepared = EditableModel.from(original);
    FullIntegerQuantizer.Preparation prep = FullIntegerQuantizer.prepare(prepared, options);
    Model floatModel = prep.changed() ? Model.from(ModelWriter.toBytes(prepared)) : original;
    Calibrator cal = Calibrator.run(floatModel, Calibrator.random(4, 1, -1, 1), options.calibrationNeeds(), 1, null);
    Model q = Model.from(ModelWriter.toBytes(FullIntegerQuantizer.quantize(floatModel, cal, options)));

    Random r = new Random(11);
    byte[][] inputs = new byte[2][];
    List<List<byte[]>> want = run(q, Interpreter.Kernels.REFERENCE, 1, true, inputs, r);
    for (Interpreter.Kernels k : new Interpreter.Kernels[] {Interpreter.Kernels.AUTO, Interpreter.Kernels.SCALAR}) {
      for (int threads : new int[] {1, 2}) {
        for (boolean observe : new boolean[] {true, false}) {
          List<List<byte[]>> got = run(q, k, threads, observe, inputs, r);
          String what = network + " " + scheme + ", " + k + ", " + threads + " thread(s)" + (observe ? ", observed" : "");
          for (int run = 0; run < want.size(); run++) {
            List<byte[]> w = want.get(run), g = got.get(run);
            if (!observe) w = w.subList(w.size() - g.size(), w.size()); // the outputs only
            assertEquals(w.size(), g.size(), what);
            for (int i = 0; i < w.size(); i++) assertArrayEquals(w.get(i), g.get(i), what + ", run " + run + ", tensor #" + i + " of the run");
          }
        }
      }
    }
  }

  /**
   * Three runs (inputs 0, 1, 0; made on first use); per run every observed op's outputs, then the graph's outputs.
   */
  private static List<List<byte[]>> run(Model m, Interpreter.Kernels kernels, int threads, boolean observe, byte[][] inputs,
                                        Random r) {
    List<List<byte[]>> runs = new ArrayList<>();
    List<byte[]> current = new ArrayList<>();
    Interpreter.Options o = new Interpreter.Options().setKernels(kernels).setNumThreads(threads);
    if (observe) o.setObserver((op, outputs) -> { for (RuntimeTensor t : outputs) current.add(TensorFiles.bytes(t)); });
    try (Interpreter it = new Interpreter(m, o)) {
      it.allocateTensors();
      RuntimeTensor in = it.getInputTensor(0);
      for (int i = 0; i < 2; i++) {
        if (inputs[i] == null) {
          inputs[i] = new byte[in.size()];
          r.nextBytes(inputs[i]);
        }
      }
      for (int run : new int[] {0, 1, 0}) {
        System.arraycopy(inputs[run], 0, in.i8, in.offset, inputs[run].length);
        current.clear();
        it.invoke();
        for (int i = 0; i < it.getOutputTensorCount(); i++) current.add(TensorFiles.bytes(it.getOutputTensor(i)));
        runs.add(new ArrayList<>(current));
      }
    }
    return runs;
  }
}
