package io.kompakt.bench;

import io.kompakt.ops.common.Requantizer;
import io.kompakt.ops.common.VectorSupport;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The requantization of the integer kernels that compute in exact float ({@code IntAsFloat}): raw sums of one
 * MobileNet V2 layer output (112x112x96, 56x56x24, 112x112x8 channels) to int8, per call; divide by the values for a
 * cost per value. {@code floats}: also write the outputs as floats for the next kernel (the handoff).
 *
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar Requantize</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:TypeProfileLevel=222"})
public class RequantizeBenchmark {
  /** pixels x channels */
  @Param({"12544x96", "3136x24", "12544x8"})
  public String shape;

  @Param({"vector", "scalar"})
  public String path;

  @Param({"false", "true"})
  public boolean floats;

  private Requantizer requantizer;
  private float[] sums, values;
  private byte[] out;
  private int pixels;

  @Setup
  public void setup() {
    String[] p = shape.split("x");
    pixels = Integer.parseInt(p[0]);
    int channels = Integer.parseInt(p[1]);
    SplittableRandom r = new SplittableRandom(1);
    sums = new float[pixels * channels];
    for (int i = 0; i < sums.length; i++) sums[i] = r.nextInt(1 << 20) - (1 << 19);
    int[] bias = new int[channels], m = new int[channels], s = new int[channels];
    for (int c = 0; c < channels; c++) {
      bias[c] = r.nextInt(20000) - 10000;
      m[c] = (1 << 30) + r.nextInt(1 << 30);
      s[c] = -7 - r.nextInt(5);
    }
    boolean vector = path.equals("vector");
    if (vector && !VectorSupport.available()) throw new IllegalStateException("no Vector API: " + VectorSupport.describe());
    requantizer = new Requantizer(channels, bias, 0, m, s, -3, -128, 127, vector);
    out = new byte[sums.length];
    values = floats ? new float[sums.length] : null;
  }

  @Benchmark
  public byte[] requantize() {
    requantizer.run(sums, 0, pixels, out, 0, values);
    return out;
  }
}
