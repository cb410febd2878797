package io.kompakt.bench;

import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.testdata.Networks;
import io.kompakt.testdata.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
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
 * One inference (input already in place). Run with {@code -prof gc} to see that a run allocates nothing:
 * {@code gc.alloc.rate.norm} should be ~0 B/op.
 *
 * <pre>java -jar bench/target/benchmarks.jar Inference -p model=mobilenet_v1_0.25_224_1_default_1 -prof gc</pre>
 * {@code model}: a file in ../shared/models (without .tflite) or one of Kompakt's networks.
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
  public void setup() throws IOException {
    Path shared = Shared.resolve("models").resolve(model + ".tflite");
    Model m;
    if (Files.isRegularFile(shared)) {
      m = Model.load(shared);
    } else {
      m = Model.from(ModelWriter.toBytes(Networks.byName(Networks.all().containsKey(model) ? model : "mobilenet_v1_0.25_224", 1)));
    }
    interpreter = new Interpreter(m, new Interpreter.Options()
        .setKernels(Interpreter.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT))).setNumThreads(threads));
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < interpreter.getInputTensorCount(); i++) {
      RuntimeTensor t = interpreter.getInputTensor(i);
      for (int k = 0; k < t.size(); k++) {
        switch (RuntimeTensor.storage(t.type)) {
          case F32: t.f32[t.offset + k] = (float) (r.nextDouble() * 2 - 1); break;
          case I8: t.i8[t.offset + k] = (byte) r.nextInt(256); break;
          default: break;
        }
      }
    }
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
