package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class AllocationGuardTest {
  /** Two measured calls in a row that allocated switch the ADD / SUB table's vector indices off, and reports say so. */
  @Test
  void aSwitchedOffTablePathIsReported() {
    AllocationGuard g = io.kompakt.ops.arith.ArithKernels.tableIndexGuard();
    io.kompakt.engine.run.KernelRegistry registry = io.kompakt.engine.run.KernelRegistry.defaults();
    try {
      Assumptions.assumeFalse(g.switchedOff(), "the JIT boxed the path in this JVM already");
      org.junit.jupiter.api.Assertions.assertFalse(registry.description().contains("ADD/SUB"), registry.description());
      g.noteMeasuredCall(64);
      g.noteMeasuredCall(64);
      org.junit.jupiter.api.Assertions.assertTrue(g.switchedOff());
      org.junit.jupiter.api.Assertions.assertTrue(registry.description().contains("8-bit ADD/SUB indices scalar"), registry.description());
    } finally {
      g.reset();
    }
  }

  /** The tests' JVM runs with -XX:TypeProfileLevel=222 (the pom's argLine): no advice to give. */
  @Test
  void noAdviceWhenTheJvmProfilesParameterTypes() {
    String level = null;
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-XX:TypeProfileLevel=")) level = a.substring("-XX:TypeProfileLevel=".length());
    }
    Assumptions.assumeTrue("222".equals(level), "the test JVM was started with TypeProfileLevel " + level);
    assertEquals("", AllocationGuard.jvmAdvice());
  }
}
