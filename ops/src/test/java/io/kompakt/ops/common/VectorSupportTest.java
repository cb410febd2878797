package io.kompakt.ops.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.ops.conv.Conv2dF32Fast;
import io.kompakt.ops.conv.Conv2dReference;
import io.kompakt.ops.conv.DepthwiseConv2dF32Fast;
import io.kompakt.ops.conv.DepthwiseConv2dReference;
import io.kompakt.ops.dense.FullyConnectedF32Fast;
import io.kompakt.ops.dense.FullyConnectedReference;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Detection of the Vector API, in this JVM (started with it by the build) and in one started without it. */
class VectorSupportTest {
  @Test
  void reportsTheVectorApiWhenTheModuleIsThere() {
    boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    assertEquals(module, VectorSupport.available(), VectorSupport.describe());
    if (module) {
      assertTrue(VectorSupport.describe().matches("Vector API, \\d+-bit float x\\d+"), VectorSupport.describe());
      assertEquals(VectorSupport.vectorBits(), 32 * VectorSupport.floatLanes());
    } else {
      assertEquals("scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD)", VectorSupport.describe());
    }
  }

  /** Without the module: scalar reported, scalar kernels run, vector kernels refused, no vector class ever linked. */
  @Test
  void aJvmWithoutTheModuleRunsScalar() throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Xshare:auto", "-Xmx256m", "-cp", cp, Probe.class.getName()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("scalar (start the JVM with --add-modules jdk.incubator.vector for SIMD)"), out);
    assertTrue(out.contains("probe ok"), out);
    assertFalse(out.contains("NoClassDefFoundError"), out);
    // started without -XX:TypeProfileLevel: a report of a switched-off vector path names the option
    assertTrue(out.contains("advice: ; start the JVM with -XX:TypeProfileLevel=222"), out);
  }

  /** Run in a JVM without {@code --add-modules jdk.incubator.vector}. */
  public static final class Probe {
    public static void main(String[] args) {
      System.out.println(VectorSupport.describe());
      System.out.println("advice: " + AllocationGuard.jvmAdvice());
      if (VectorSupport.available()) throw new AssertionError("the probe must run without the Vector API");
      Conv2dReference.Geometry g = new Conv2dReference.Geometry(1, 5, 5, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1);
      float[] in = new float[75], f = new float[108], out = new float[100], ref = new float[100];
      for (int i = 0; i < in.length; i++) in[i] = (i % 7) - 3;
      for (int i = 0; i < f.length; i++) f[i] = (i % 5) - 2;
      Conv2dF32Fast.prepare(g, f, 0, null, 0, -100f, 100f, false, null).run(in, 0, out, 0);
      Conv2dReference.run(g, in, 0, f, 0, null, 0, ref, 0, -100f, 100f);
      if (!java.util.Arrays.equals(out, ref)) throw new AssertionError("scalar conv differs"); // small integers: exact
      DepthwiseConv2dReference.Geometry d = new DepthwiseConv2dReference.Geometry(1, 5, 5, 3, 1, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1);
      float[] dOut = new float[75], dRef = new float[75];
      DepthwiseConv2dF32Fast.prepare(d, f, 0, null, 0, -100f, 100f, false, null).run(in, 0, dOut, 0);
      DepthwiseConv2dReference.run(d, in, 0, f, 0, null, 0, dRef, 0, -100f, 100f);
      if (!java.util.Arrays.equals(dOut, dRef)) throw new AssertionError("scalar depthwise differs");
      float[] fcOut = new float[4], fcRef = new float[4];
      FullyConnectedF32Fast.prepare(1, 25, 4, f, 0, null, 0, -100f, 100f, false, null).run(in, 0, fcOut, 0);
      FullyConnectedReference.run(1, 25, 4, in, 0, f, 0, null, 0, fcRef, 0, -100f, 100f);
      if (!java.util.Arrays.equals(fcOut, fcRef)) throw new AssertionError("scalar fully connected differs");
      refused(() -> Conv2dF32Fast.prepare(g, f, 0, null, 0, 0f, 6f, true, null));
      refused(() -> DepthwiseConv2dF32Fast.prepare(d, f, 0, null, 0, 0f, 6f, true, null));
      refused(() -> FullyConnectedF32Fast.prepare(1, 25, 4, f, 0, null, 0, 0f, 6f, true, null));
      System.out.println("probe ok");
    }

    private static void refused(Runnable r) {
      try {
        r.run();
      } catch (UnsupportedOperationException expected) {
        if (!expected.getMessage().contains("--add-modules jdk.incubator.vector")) throw new AssertionError(expected.getMessage());
        return;
      }
      throw new AssertionError("vector kernels prepared without the Vector API");
    }
  }
}
