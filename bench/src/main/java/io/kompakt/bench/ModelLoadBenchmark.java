package io.kompakt.bench;

import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.testdata.Networks;
import io.kompakt.testdata.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long reading a model takes: memory-map, verify every offset and index, build the views. The model is
 * {@code ../shared/models/<model>.tflite} when present, else a network Kompakt generates of that name.
 *
 * <pre>java -jar bench/target/benchmarks.jar ModelLoad -p model=mobilenet_v2_1.0_224_quant</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:TypeProfileLevel=222"})
public class ModelLoadBenchmark {
  @Param({"mobilenet_v2_1.0_224_quant"})
  public String model;

  private Path file;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Path shared = Shared.resolve("models").resolve(model + ".tflite");
    if (Files.isRegularFile(shared)) {
      file = shared;
    } else {
      file = Files.createTempFile("kompakt-bench-", ".tflite");
      file.toFile().deleteOnExit();
      String network = Networks.all().containsKey(model) ? model : "mobilenet_v1_1.0_224";
      new ModelWriter().write(Networks.byName(network, 1), file);
    }
  }

  /** Model.load: map, verify, build views. */
  @Benchmark
  public Model load() throws IOException {
    return Model.load(file);
  }
}
