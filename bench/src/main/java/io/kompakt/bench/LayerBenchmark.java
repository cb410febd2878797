package io.kompakt.bench;

import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RandomInputs;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.testdata.GraphBuilder;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * One layer of MobileNet V1 1.0 or V2 1.0 at 224 (every distinct conv, depthwise and dense shape of the two) as a
 * one-op model run by the interpreter, so that it takes the same path as inside a network: fp32, or int8 (quantized by
 * Kompakt's full-integer quantizer on random data, integer input and output, so no QUANTIZE / DEQUANTIZE ops are timed).
 * An int8 layer alone also converts its 8-bit input to floats (the exact-float kernels, {@code IntAsFloat}), which inside
 * a network the layer before usually hands over already converted; so int8 times here exceed the layer's share of a
 * network run by that conversion.
 *
 * <pre>java -jar bench/target/benchmarks.jar Layer                          # all shapes, fp32 and int8
 * java -jar bench/target/benchmarks.jar Layer -p layer=conv1x1-7x7x320-1280 -p type=f32 -p kernels=auto,scalar</pre>
 * {@code layer}: {@code conv{K}x{K}s{S}-{H}x{W}x{C}-{F}} (SAME padding, RELU6; without {@code s{S}} stride 1),
 * {@code dw{K}x{K}s{S}-{H}x{W}x{C}}
 * (depth multiplier 1, RELU6), {@code fc-{IN}-{OUT}}; any such name works with {@code -p}, not only the listed ones.
 * {@code kernels}: auto, vector, scalar or reference. The shapes also appear, timed by XNNPACK, in
 * {@code bench/scripts/layers.sh}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:TypeProfileLevel=222"})
public class LayerBenchmark {
  @Param({
      // MobileNet V1 1.0 224 (the first two are V2's first two as well)
      "conv3x3s2-224x224x3-32", "dw3x3s1-112x112x32", "conv1x1-112x112x32-64", "dw3x3s2-112x112x64",
      "conv1x1-56x56x64-128", "dw3x3s1-56x56x128", "conv1x1-56x56x128-128", "dw3x3s2-56x56x128", "conv1x1-28x28x128-256",
      "dw3x3s1-28x28x256", "conv1x1-28x28x256-256", "dw3x3s2-28x28x256", "conv1x1-14x14x256-512", "dw3x3s1-14x14x512",
      "conv1x1-14x14x512-512", "dw3x3s2-14x14x512", "conv1x1-7x7x512-1024", "dw3x3s1-7x7x1024", "conv1x1-7x7x1024-1024",
      "fc-1024-1001",
      // MobileNet V2 1.0 224
      "conv1x1-112x112x32-16", "conv1x1-112x112x16-96", "dw3x3s2-112x112x96", "conv1x1-56x56x96-24",
      "conv1x1-56x56x24-144", "dw3x3s1-56x56x144", "conv1x1-56x56x144-24", "dw3x3s2-56x56x144", "conv1x1-28x28x144-32",
      "conv1x1-28x28x32-192", "dw3x3s1-28x28x192", "conv1x1-28x28x192-32", "dw3x3s2-28x28x192", "conv1x1-14x14x192-64",
      "conv1x1-14x14x64-384", "dw3x3s1-14x14x384", "conv1x1-14x14x384-64", "conv1x1-14x14x384-96",
      "conv1x1-14x14x96-576", "dw3x3s1-14x14x576", "conv1x1-14x14x576-96", "dw3x3s2-14x14x576", "conv1x1-7x7x576-160",
      "conv1x1-7x7x160-960", "dw3x3s1-7x7x960", "conv1x1-7x7x960-160", "conv1x1-7x7x960-320", "conv1x1-7x7x320-1280",
      "fc-1280-1001"})
  public String layer;

  @Param({"f32", "int8"})
  public String type;

  @Param({"auto"})
  public String kernels;

  @Param({"1"})
  public int threads;

  private Interpreter interpreter;

  private static final Pattern CONV = Pattern.compile("conv(\\d+)x\\1(?:s(\\d+))?-(\\d+)x(\\d+)x(\\d+)-(\\d+)");
  private static final Pattern DEPTHWISE = Pattern.compile("dw(\\d+)x\\1(?:s(\\d+))?-(\\d+)x(\\d+)x(\\d+)");
  private static final Pattern DENSE = Pattern.compile("fc-(\\d+)-(\\d+)");

  /** The one-layer float model for a layer name. */
  static EditableModel floatLayer(String name) {
    GraphBuilder b = new GraphBuilder(name, 1);
    Matcher m;
    if ((m = CONV.matcher(name)).matches()) {
      EditableModel.Tensor x = b.input("input", 1, i(m, 3), i(m, 4), i(m, 5));
      b.output(b.conv2d(x, i(m, 6), i(m, 1), i(m, 2), true, "RELU6"));
    } else if ((m = DEPTHWISE.matcher(name)).matches()) {
      EditableModel.Tensor x = b.input("input", 1, i(m, 3), i(m, 4), i(m, 5));
      b.output(b.depthwise(x, i(m, 1), i(m, 2), true, "RELU6"));
    } else if ((m = DENSE.matcher(name)).matches()) {
      EditableModel.Tensor x = b.input("input", 1, i(m, 1));
      b.output(b.dense(x, i(m, 2), "NONE"));
    } else {
      throw new IllegalArgumentException("layer '" + name + "': expected conv{K}x{K}s{S}-{H}x{W}x{C}-{F}, dw{K}x{K}s{S}-{H}x{W}x{C}"
          + " or fc-{IN}-{OUT}");
    }
    return b.model();
  }

  /** A group's number; an absent one (the stride) is 1. */
  private static int i(Matcher m, int group) { return m.group(group) == null ? 1 : Integer.parseInt(m.group(group)); }

  @Setup(Level.Trial)
  public void setup() throws Exception {
    Model f = Model.from(ModelWriter.toBytes(floatLayer(layer)));
    Model m;
    switch (type) {
      case "f32":
        m = f;
        break;
      case "int8":
        m = InferenceBenchmark.quantizeOnRandomData(f, new FullIntegerQuantizer.Options().io(TensorType.INT8));
        break;
      default:
        throw new IllegalArgumentException("type '" + type + "': f32 or int8");
    }
    int ops = m.subgraphs().get(0).operators().size();
    if (ops != 1) throw new IllegalStateException(layer + " " + type + ": expected one op, the model has " + ops);
    interpreter = new Interpreter(m, new Interpreter.Options()
        .setKernels(Interpreter.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT))).setNumThreads(threads));
    RandomInputs.fill(interpreter, 1); // the same inputs as kompakt bench --seed 1
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
