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
    java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "this JVM does not count allocated bytes per thread");
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
    Model m = Model.from(ModelWriter.toBytes(Networks.byName(network, 1)));
    try (Interpreter it = new Interpreter(m, new Interpreter.Options().setKernels(Interpreter.Kernels.REFERENCE))) {
      for (int i = 0; i < 3; i++) it.invoke();
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
