package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** After prepare, a run allocates nothing (the JVM's per-thread allocation counter; JMH's -prof gc says the same). */
class AllocationFreeRunTest {
  static List<String> networks() {
    return List.of("mobilenet_v2_0.35_96", "mobilenet_v3_small_minimalistic_224", "inception_v3_blocks_75", "fashion_mnist_cnn");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void runAllocatesNothing(String network) {
    check(Model.from(ModelWriter.toBytes(Networks.byName(network, 1))), Interpreter.Kernels.REFERENCE, network);
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource({"mobilenet_v2_1.0_224_quant", "tf2_mobilenet_v2_1.0_224_ptq", "person_detect",
      "mobilenet_v1_0.25_224_1_default_1"})
  void quantizedAndFastKernelsAllocateNothing(String name) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    Model m = Model.load(Shared.resolve("models").resolve(name + ".tflite"));
    check(m, Interpreter.Kernels.REFERENCE, name + " reference");
    // the scalar fast kernels; the Vector API ones reach zero only once the JIT has compiled them, which takes a
    // JDK-dependent number of runs (measured with JMH -prof gc instead: docs/performance.md)
    check(m, Interpreter.Kernels.SCALAR, name + " scalar");
  }

  /** Dynamic-range (hybrid) models: the reference kernels and the exact float path (HybridAsFloat). */
  @ParameterizedTest(name = "{0} dynamic range")
  @MethodSource("networks")
  void hybridKernelsAllocateNothing(String network) {
    io.kompakt.engine.edit.EditableModel e = Networks.byName(network, 1);
    io.kompakt.compress.DynamicRangeQuantizer.quantize(e, io.kompakt.compress.DynamicRangeQuantizer.Options.defaults().withMinElements(16));
    Model m = Model.from(ModelWriter.toBytes(e));
    check(m, Interpreter.Kernels.REFERENCE, network + " dynamic range, reference");
    check(m, Interpreter.Kernels.SCALAR, network + " dynamic range, scalar");
  }

  private static void check(Model m, Interpreter.Kernels kernels, String what) {
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "this JVM does not count allocated bytes per thread");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    String network = what;
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(kernels))) {
      // the Vector API kernels allocate until the JIT has compiled them: warm up well past that
      for (int i = 0; i < (kernels == Interpreter.Kernels.REFERENCE ? 3 : 25); i++) it.invoke();
      long id = Thread.currentThread().getId();
      long least = Long.MAX_VALUE;
      for (int attempt = 0; attempt < 3 && least > 0; attempt++) { // a JIT event may allocate once; a kernel would every time
        long before = mx.getThreadAllocatedBytes(id);
        for (int i = 0; i < 3; i++) it.invoke();
        least = Math.min(least, mx.getThreadAllocatedBytes(id) - before);
      }
      assertEquals(0, least, network + ": bytes allocated by three runs");
    }
  }
}
