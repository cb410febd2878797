package io.kompakt.bench;

import io.kompakt.ops.common.VectorSupport;
import io.kompakt.ops.conv.Conv2dF32Fast;
import io.kompakt.ops.conv.Conv2dF32Sparse1x1;
import io.kompakt.ops.conv.Conv2dInt8Fast;
import io.kompakt.ops.conv.Conv2dInt8Sparse1x1;
import io.kompakt.ops.conv.Conv2dReference;
import io.kompakt.ops.dense.FullyConnectedF32Fast;
import io.kompakt.ops.dense.FullyConnectedF32Sparse;
import io.kompakt.ops.dense.FullyConnectedInt8Fast;
import io.kompakt.ops.dense.FullyConnectedInt8Sparse;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Dense fast kernels against the sparse ones on MobileNet V2's 1x1 convolution shapes and its classifier, one thread,
 * at several sparsities, zeros at random or in blocks of output channels: where the sparse kernels start to win are
 * the crossovers of {@code SparseSupport}.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar SparseKernel -p type=f32,int8</pre>
 * {@code layer}: {@code convHxW_IN_OUT} (1x1, stride 1) or {@code fcIN_OUT} (batch 1); {@code kernel}: {@code dense}
 * (the fast dense kernel; Vector API for f32 where the JVM has it), {@code sparse} (float: the Vector API's column
 * blocks where the JVM has it), {@code sparse-scalar} (float: compressed rows; int8: same as sparse); {@code pattern}:
 * {@code random} or {@code blockRx1} (e.g. {@code block8x1}); {@code sparsity}: share of zero weights.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:TypeProfileLevel=222"})
public class SparseKernelBenchmark {
  @Param({"conv56x56_24_144", "conv28x28_192_32", "conv14x14_64_384", "conv7x7_960_320", "conv7x7_320_1280", "fc1280_1001"})
  public String layer;

  @Param({"f32", "int8"})
  public String type;

  /** dense; sparse (float: the Vector API's column blocks where the JVM has it); sparse-scalar (float: compressed rows). */
  @Param({"dense", "sparse", "sparse-scalar"})
  public String kernel;

  /** Which weights are zero: random elements, or blocks of R output channels (the pruner's blockRx1: block4x1, block8x1). */
  @Param({"random", "block8x1"})
  public String pattern;

  @Param({"0.5", "0.7", "0.9"})
  public double sparsity;

  private Runnable run;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom r = new SplittableRandom(7);
    boolean fc = layer.startsWith("fc");
    int[] d = Arrays.stream(layer.replaceFirst("^(conv|fc)", "").split("[x_]")).mapToInt(Integer::parseInt).toArray();
    int rows = fc ? 1 : d[0] * d[1], inC = fc ? d[0] : d[2], outC = fc ? d[1] : d[3];
    boolean sparse = kernel.startsWith("sparse"), sparseVector = kernel.equals("sparse") && VectorSupport.available();
    boolean[] zero = new boolean[outC * inC];
    int block = pattern.equals("random") ? 1 : Integer.parseInt(pattern.replaceFirst("^block(\\d+)x1$", "$1"));
    for (int o = 0; o < outC; o += block) {
      for (int i = 0; i < inC; i++) {
        boolean z = r.nextDouble() < sparsity;
        for (int j = o; j < Math.min(outC, o + block); j++) zero[j * inC + i] = z;
      }
    }
    Conv2dReference.Geometry g = fc ? null : new Conv2dReference.Geometry(1, d[0], d[1], inC, d[0], d[1], outC, 1, 1, 1, 1, 1, 1, 0, 0);
    if (type.equals("f32")) {
      float[] in = new float[rows * inC], out = new float[rows * outC], w = new float[outC * inC], bias = new float[outC];
      for (int i = 0; i < in.length; i++) in[i] = (float) r.nextDouble(-1, 1);
      for (int i = 0; i < w.length; i++) w[i] = zero[i] ? 0f : (float) r.nextDouble(-1, 1);
      boolean vector = VectorSupport.available();
      if (fc) {
        FullyConnectedF32Fast.Kernel k = sparse ? new FullyConnectedF32Sparse(rows, inC, outC, w, 0, bias, 0, 0f, 6f, sparseVector, null)
            : FullyConnectedF32Fast.prepare(rows, inC, outC, w, 0, bias, 0, 0f, 6f, vector, null);
        run = () -> k.run(in, 0, out, 0);
      } else {
        Conv2dF32Fast.Kernel k = sparse ? new Conv2dF32Sparse1x1(g, w, 0, bias, 0, 0f, 6f, sparseVector, null)
            : Conv2dF32Fast.prepare(g, w, 0, bias, 0, 0f, 6f, vector, null);
        run = () -> k.run(in, 0, out, 0);
      }
    } else {
      byte[] in = new byte[rows * inC], out = new byte[rows * outC], w = new byte[outC * inC];
      int[] bias = new int[outC], m = new int[outC], s = new int[outC];
      for (int i = 0; i < in.length; i++) in[i] = (byte) r.nextInt(256);
      for (int i = 0; i < w.length; i++) w[i] = zero[i] ? 0 : (byte) r.nextInt(256);
      Arrays.fill(m, 1 << 30);
      Arrays.fill(s, -8);
      if (fc) {
        FullyConnectedInt8Fast.Kernel k = sparse
            ? new FullyConnectedInt8Sparse(rows, inC, outC, w, 0, false, 0, bias, 0, -3, 5, m, s, -128, 127, null)
            : FullyConnectedInt8Fast.prepare(rows, inC, outC, w, 0, false, 0, bias, 0, -3, 5, m, s, -128, 127, null);
        run = () -> k.run(in, 0, out, 0);
      } else {
        Conv2dInt8Fast.Kernel k = sparse
            ? new Conv2dInt8Sparse1x1(g, w, 0, false, 0, bias, 0, -3, 5, m, s, -128, 127, null)
            : Conv2dInt8Fast.prepare(g, w, 0, false, 0, bias, 0, -3, 5, m, s, -128, 127, null);
        run = () -> k.run(in, 0, out, 0);
      }
    }
  }

  @Benchmark
  public void layer() { run.run(); }
}
