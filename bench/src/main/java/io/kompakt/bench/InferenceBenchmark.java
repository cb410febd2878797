package io.kompakt.bench;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RandomInputs;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.testdata.Networks;
import io.kompakt.testdata.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One inference (input already in place). With {@code -prof gc}:
 * {@code gc.alloc.rate.norm} counts every thread's allocation, JMH's own included (tens to hundreds of B/op here,
 * growing with the time per op); the inference itself allocates nothing (the calling thread's counter: 0 B a run).
 *
 * <pre>java -jar bench/target/benchmarks.jar Inference -p model=mobilenet_v1_0.25_224_1_default_1 -prof gc</pre>
 * {@code model}: a file in ../shared/models (without .tflite) or one of Kompakt's networks ({@code kompakt generate
 * --list}); a network's name with {@code :int8} appended runs it quantized to int8 by Kompakt's full-integer quantizer
 * (calibrated on random inputs; float input and output, as TFLite's converter writes by default), e.g.
 * {@code -p model=mobilenet_v2_1.0_224,mobilenet_v2_1.0_224:int8}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:TypeProfileLevel=222"})
public class InferenceBenchmark {
  @Param({"mobilenet_v1_0.25_224_1_default_1"})
  public String model;

  @Param({"auto"})
  public String kernels;

  @Param({"1"})
  public int threads;

  private Interpreter interpreter;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    boolean int8 = model.endsWith(":int8");
    String name = int8 ? model.substring(0, model.length() - ":int8".length()) : model;
    Path shared = Shared.resolve("models").resolve(name + ".tflite");
    Model m;
    if (Files.isRegularFile(shared) && !int8) {
      m = Model.load(shared);
    } else if (Networks.all().containsKey(name)) {
      m = Model.from(ModelWriter.toBytes(Networks.byName(name, 1)));
      if (int8) {
        // the converter's default form: int8 inside, float input and output (QUANTIZE / DEQUANTIZE at the ends)
        m = quantizeOnRandomData(m, new FullIntegerQuantizer.Options());
      }
    } else {
      throw new IllegalArgumentException("model '" + model + "': neither " + shared + " nor one of Kompakt's networks "
          + Networks.all().keySet() + (int8 ? " (':int8' quantizes one of Kompakt's networks)" : ""));
    }
    interpreter = new Interpreter(m, new Interpreter.Options()
        .setKernels(Interpreter.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT))).setNumThreads(threads));
    RandomInputs.fill(interpreter, 1); // the same inputs as kompakt bench --seed 1
  }

  /** A float model quantized by Kompakt's full-integer quantizer, calibrated on 4 seeded random inputs in [-1, 1]. */
  static Model quantizeOnRandomData(Model floatModel, FullIntegerQuantizer.Options o) throws Exception {
    Calibrator c = Calibrator.run(floatModel, Calibrator.random(4, 1, -1, 1), false, 1, null);
    return Model.from(ModelWriter.toBytes(FullIntegerQuantizer.quantize(floatModel, c, o)));
  }

  @Benchmark
  public RuntimeTensor invoke() {
    interpreter.invoke();
    return interpreter.getOutputTensor(0);
  }

  @TearDown
  public void close() {
    interpreter.close();
  }
}
