package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class AllocationGuardTest {
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
