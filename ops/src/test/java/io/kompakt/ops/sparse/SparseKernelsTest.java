package io.kompakt.ops.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kompakt.engine.run.Parallel;
import io.kompakt.ops.common.FastKernelChecks;
import io.kompakt.ops.common.IntAsFloat;
import io.kompakt.ops.common.QuantMath;
import io.kompakt.ops.common.VectorSupport;
import io.kompakt.ops.conv.Conv2dF32Sparse1x1;
import io.kompakt.ops.conv.Conv2dInt8Reference;
import io.kompakt.ops.conv.Conv2dInt8Sparse1x1;
import io.kompakt.ops.conv.Conv2dReference;
import io.kompakt.ops.conv.Conv2dUint8Reference;
import io.kompakt.ops.dense.FullyConnectedF32Sparse;
import io.kompakt.ops.dense.FullyConnectedInt8Reference;
import io.kompakt.ops.dense.FullyConnectedInt8Sparse;
import io.kompakt.ops.dense.FullyConnectedReference;
import io.kompakt.ops.dense.FullyConnectedUint8Reference;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The sparse kernels (1x1 CONV_2D and FULLY_CONNECTED, fp32 and int8/uint8; 1 and 3 threads; the tiled and the dot
 * path) against the dense reference kernels over random shapes and sparsity patterns: 0 %, 50 %, 90 %, 100 %, random,
 * 2:4, 1x4 and 4x1 blocks, whole rows; integers bit-exact (zero points at the range ends), floats within float
 * rounding.
 */
class SparseKernelsTest {
  private static final Parallel ONE = new Parallel(1), THREE = new Parallel(3);
  /** The float kernels to check: scalar, and the Vector API's where this JVM has it. */
  private static final boolean[] VECTOR = VectorSupport.available() ? new boolean[] {false, true} : new boolean[] {false};

  @AfterContainer
  static void close() {
    ONE.close();
    THREE.close();
  }

  enum Pattern { NONE, HALF, NINETY, ALL, RANDOM, TWO_OF_FOUR, BLOCK1X4, BLOCK4X1, ROWS }

  /** Which of the n x k weights are zero under a pattern. */
  static boolean[] zeros(Pattern p, int n, int k, Random r) {
    boolean[] z = new boolean[n * k];
    double share = r.nextDouble();
    for (int o = 0; o < n; o++) {
      boolean row = r.nextInt(3) == 0;
      for (int i = 0; i < k; i++) {
        int e = o * k + i;
        switch (p) {
          case NONE: break;
          case HALF: z[e] = r.nextBoolean(); break;
          case NINETY: z[e] = r.nextInt(10) != 0; break;
          case ALL: z[e] = true; break;
          case RANDOM: z[e] = r.nextDouble() < share; break;
          case TWO_OF_FOUR: z[e] = ((i % 4) + o) % 4 < 2; break;
          case BLOCK1X4: z[e] = ((i / 4) * 7 + o * 3) % 5 != 0; break;
          case BLOCK4X1: z[e] = ((o / 4) * 3 + i * 7) % 5 != 0; break;
          case ROWS: z[e] = row; break;
          default: throw new AssertionError(p);
        }
      }
    }
    return z;
  }

  @Provide
  Arbitrary<Integer> sizes() { return Arbitraries.oneOf(Arbitraries.of(1, 3, 4, 5, 7, 8, 9, 17, 33), Arbitraries.integers().between(1, 150)); }

  @Provide
  Arbitrary<Integer> rows() { return Arbitraries.oneOf(Arbitraries.of(1, 2, 7, 8, 31, 32, 33, 65), Arbitraries.integers().between(1, 100)); }

  // ---------------------------------------------------------------------------------------------- fully connected

  @Property(tries = 300)
  void denseF32(@ForAll("rows") int batch, @ForAll("sizes") int depth, @ForAll("sizes") int units, @ForAll Pattern p,
                @ForAll long seed) {
    Random r = new Random(seed);
    float[] in = FastKernelChecks.values(batch * depth, r), w = FastKernelChecks.values(units * depth, r);
    boolean[] z = zeros(p, units, depth, r);
    for (int i = 0; i < w.length; i++) if (z[i]) w[i] = r.nextBoolean() ? 0f : -0f;
    float[] bias = r.nextInt(4) == 0 ? null : FastKernelChecks.values(units, r);
    float min = r.nextBoolean() ? -Float.MAX_VALUE : 0f, max = r.nextBoolean() ? Float.MAX_VALUE : 6f;
    float[] want = new float[batch * units], magnitude = new float[batch * units];
    FullyConnectedReference.run(batch, depth, units, in, 0, w, 0, bias, 0, want, 0, min, max);
    FullyConnectedReference.run(batch, depth, units, FastKernelChecks.abs(in), 0, FastKernelChecks.abs(w), 0,
        FastKernelChecks.abs(bias), 0, magnitude, 0, -Float.MAX_VALUE, Float.MAX_VALUE);
    for (boolean vector : VECTOR) for (Parallel par : new Parallel[] {ONE, THREE}) {
      FullyConnectedF32Sparse k = new FullyConnectedF32Sparse(batch, depth, units, w, 0, bias, 0, min, max, vector, par);
      FastKernelChecks.Arena a = new FastKernelChecks.Arena(in, batch * units, r);
      for (int run = 0; run < 2; run++) {
        k.run(a.a, a.inOff, a.a, a.outOff);
        FastKernelChecks.assertClose(want, a.output(), magnitude, "fc f32 " + p + " batch " + batch + " depth " + depth + " units "
            + units + " threads " + par.threads() + (vector ? " vector" : " scalar"));
        a.resetOutput(in);
      }
    }
  }

  @Property(tries = 300)
  void denseInt8(@ForAll("rows") int batch, @ForAll("sizes") int depth, @ForAll("sizes") int units, @ForAll Pattern p,
                 @ForAll boolean unsigned, @ForAll long seed) {
    Random r = new Random(seed);
    Quant q = Quant.random(r, unsigned, units);
    boolean perChannel = !unsigned && r.nextBoolean();
    int wZp = perChannel ? 0 : q.zeroPoint(r);
    byte[] in = bytes(batch * depth, r), w = bytes(units * depth, r);
    boolean[] z = zeros(p, units, depth, r);
    for (int i = 0; i < w.length; i++) if (z[i]) w[i] = (byte) wZp;
    int[] bias = q.bias(r, units);
    byte[] want = new byte[batch * units];
    if (unsigned) {
      FullyConnectedUint8Reference.run(batch, depth, units, in, 0, q.inZp, w, 0, wZp, bias, 0, want, 0, q.outZp, q.m[0], q.s[0],
          q.actMin, q.actMax);
    } else {
      FullyConnectedInt8Reference.run(batch, depth, units, in, 0, q.inZp, w, 0, wZp, bias, 0, want, 0, q.outZp, q.m, q.s, q.actMin,
          q.actMax);
    }
    for (Parallel par : new Parallel[] {ONE, THREE}) {
      FullyConnectedInt8Sparse k = new FullyConnectedInt8Sparse(batch, depth, units, w, 0, unsigned, wZp, bias, 0, q.inZp, q.outZp,
          q.m, q.s, q.actMin, q.actMax, par);
      int inOff = r.nextInt(5), outOff = r.nextInt(5);
      byte[] inArr = new byte[inOff + in.length], got = new byte[outOff + want.length + 3];
      System.arraycopy(in, 0, inArr, inOff, in.length);
      Arrays.fill(got, (byte) 0x5A);
      k.run(inArr, inOff, got, outOff);
      assertArrayEquals(want, Arrays.copyOfRange(got, outOff, outOff + want.length), (unsigned ? "uint8 " : "int8 ") + p + " batch "
          + batch + " depth " + depth + " units " + units + " threads " + par.threads());
      for (int i = 0; i < outOff; i++) assertEquals((byte) 0x5A, got[i], "written before the output");
      for (int i = outOff + want.length; i < got.length; i++) assertEquals((byte) 0x5A, got[i], "written after the output");
    }
  }

  /** int8 products exactly on the float column blocks (Vector API): bit-exact with the reference, any pattern. */
  @Property(tries = 150)
  void denseInt8OnFloatColumnBlocks(@ForAll("rows") int batch, @ForAll("sizes") int depth, @ForAll("sizes") int units,
                                    @ForAll Pattern p, @ForAll long seed) {
    net.jqwik.api.Assume.that(VectorSupport.available());
    Random r = new Random(seed);
    Quant q = Quant.random(r, false, units);
    int wZp = r.nextBoolean() ? 0 : q.zeroPoint(r);
    byte[] in = bytes(batch * depth, r), w = bytes(units * depth, r);
    boolean[] z = zeros(p, units, depth, r);
    for (int i = 0; i < w.length; i++) if (z[i]) w[i] = (byte) wZp;
    int[] bias = q.bias(r, units);
    byte[] want = new byte[batch * units];
    FullyConnectedInt8Reference.run(batch, depth, units, in, 0, q.inZp, w, 0, wZp, bias, 0, want, 0, q.outZp, q.m, q.s, q.actMin,
        q.actMax);
    String old = System.getProperty(SparseSupport.PROPERTY);
    System.setProperty(SparseSupport.PROPERTY, "on");
    try {
      for (Parallel par : new Parallel[] {ONE, THREE}) {
        IntAsFloat.ByteKernel k = SparseGemmF32.prepareExactInt8(rowOffsets(batch, depth), batch * depth, w, 0,
            units, depth, wZp, q.inZp, bias, 0, q.outZp, q.m, q.s, q.actMin, q.actMax, SparseSupport.Kind.DENSE_INT, par,
            new io.kompakt.engine.run.SharedScratch());
        // null only where the float computation would not be exact (large sums)
        if (k == null) {
          assertEquals(null, IntAsFloat.exactWeights(w, 0, units * depth, units, false, false, wZp, false, q.inZp));
          continue;
        }
        byte[] got = new byte[want.length];
        k.run(in, 0, got, 0);
        assertArrayEquals(want, got, "int8 on float blocks " + p + " batch " + batch + " depth " + depth + " units " + units);
      }
    } finally {
      if (old == null) System.clearProperty(SparseSupport.PROPERTY); else System.setProperty(SparseSupport.PROPERTY, old);
    }
  }

  /** Row offsets of a batch of fully connected rows. */
  static int[] rowOffsets(int batch, int depth) {
    int[] r = new int[batch];
    for (int b = 0; b < batch; b++) r[b] = b * depth;
    return r;
  }

  // ---------------------------------------------------------------------------------------------- 1x1 convolution

  static Conv2dReference.Geometry geometry(Random r, int inC, int outC) {
    int batch = 1 + r.nextInt(2), inH = 1 + r.nextInt(9), inW = 1 + r.nextInt(9);
    int sH = 1 + r.nextInt(2), sW = 1 + r.nextInt(2);
    int outH = (inH - 1) / sH + 1, outW = (inW - 1) / sW + 1;
    return new Conv2dReference.Geometry(batch, inH, inW, inC, outH, outW, outC, 1, 1, sH, sW, 1, 1, 0, 0);
  }

  @Property(tries = 200)
  void conv1x1F32(@ForAll("sizes") int inC, @ForAll("sizes") int outC, @ForAll Pattern p, @ForAll long seed) {
    Random r = new Random(seed);
    Conv2dReference.Geometry g = geometry(r, inC, outC);
    int inN = g.batch() * g.inH() * g.inW() * inC, outN = g.batch() * g.outH() * g.outW() * outC;
    float[] in = FastKernelChecks.values(inN, r), w = FastKernelChecks.values(outC * inC, r);
    boolean[] z = zeros(p, outC, inC, r);
    for (int i = 0; i < w.length; i++) if (z[i]) w[i] = 0f;
    float[] bias = r.nextInt(4) == 0 ? null : FastKernelChecks.values(outC, r);
    float min = r.nextBoolean() ? -Float.MAX_VALUE : 0f, max = r.nextBoolean() ? Float.MAX_VALUE : 6f;
    float[] want = new float[outN], magnitude = new float[outN];
    Conv2dReference.run(g, in, 0, w, 0, bias, 0, want, 0, min, max);
    Conv2dReference.run(g, FastKernelChecks.abs(in), 0, FastKernelChecks.abs(w), 0, FastKernelChecks.abs(bias), 0, magnitude, 0,
        -Float.MAX_VALUE, Float.MAX_VALUE);
    for (boolean vector : VECTOR) for (Parallel par : new Parallel[] {ONE, THREE}) {
      Conv2dF32Sparse1x1 k = new Conv2dF32Sparse1x1(g, w, 0, bias, 0, min, max, vector, par);
      FastKernelChecks.Arena a = new FastKernelChecks.Arena(in, outN, r);
      k.run(a.a, a.inOff, a.a, a.outOff);
      FastKernelChecks.assertClose(want, a.output(), magnitude, "conv f32 " + p + " " + g + " threads " + par.threads()
          + (vector ? " vector" : " scalar"));
      a.checkIntact(in);
    }
  }

  @Property(tries = 200)
  void conv1x1Int8(@ForAll("sizes") int inC, @ForAll("sizes") int outC, @ForAll Pattern p, @ForAll boolean unsigned,
                   @ForAll long seed) {
    Random r = new Random(seed);
    Conv2dReference.Geometry g = geometry(r, inC, outC);
    Quant q = Quant.random(r, unsigned, outC);
    int wZp = unsigned ? q.zeroPoint(r) : 0;
    int inN = g.batch() * g.inH() * g.inW() * inC, outN = g.batch() * g.outH() * g.outW() * outC;
    byte[] in = bytes(inN, r), w = bytes(outC * inC, r);
    boolean[] z = zeros(p, outC, inC, r);
    for (int i = 0; i < w.length; i++) if (z[i]) w[i] = (byte) wZp;
    int[] bias = q.bias(r, outC);
    byte[] want = new byte[outN];
    if (unsigned) {
      Conv2dUint8Reference.run(g, in, 0, q.inZp, w, 0, wZp, bias, 0, want, 0, q.outZp, q.m[0], q.s[0], q.actMin, q.actMax);
    } else {
      Conv2dInt8Reference.run(g, in, 0, q.inZp, w, 0, bias, 0, want, 0, q.outZp, q.m, q.s, q.actMin, q.actMax);
    }
    for (Parallel par : new Parallel[] {ONE, THREE}) {
      Conv2dInt8Sparse1x1 k = new Conv2dInt8Sparse1x1(g, w, 0, unsigned, wZp, bias, 0, q.inZp, q.outZp, q.m, q.s, q.actMin, q.actMax,
          par);
      byte[] got = new byte[outN];
      k.run(in, 0, got, 0);
      assertArrayEquals(want, got, (unsigned ? "uint8 " : "int8 ") + p + " " + g + " threads " + par.threads());
    }
  }

  @Example
  void mobileNetShapesMatchTheReference() {
    Random r = new Random(5);
    // the classifier (dot path) and a 7x7 1x1 layer (tiled path), 90 % zeros, int8 exactly
    for (int[] s : new int[][] {{1, 1280, 1001}, {49, 320, 1280}}) {
      int batch = s[0], depth = s[1], units = s[2];
      Quant q = Quant.random(r, false, units);
      byte[] in = bytes(batch * depth, r), w = bytes(units * depth, r), want = new byte[batch * units], got = new byte[batch * units];
      for (int i = 0; i < w.length; i++) if (r.nextInt(10) != 0) w[i] = 0;
      int[] bias = q.bias(r, units);
      FullyConnectedInt8Reference.run(batch, depth, units, in, 0, q.inZp, w, 0, 0, bias, 0, want, 0, q.outZp, q.m, q.s, q.actMin, q.actMax);
      new FullyConnectedInt8Sparse(batch, depth, units, w, 0, false, 0, bias, 0, q.inZp, q.outZp, q.m, q.s, q.actMin, q.actMax, THREE)
          .run(in, 0, got, 0);
      assertArrayEquals(want, got);
    }
  }

  @Example
  void packingCountsWhatContributes() {
    SparseWeights f = SparseWeights.ofFloat(new float[] {0, 1, -0f, 2, 0, 0}, 0, 2, 3);
    assertArrayEquals(new int[] {0, 1, 2}, f.start);
    assertArrayEquals(new int[] {1, 0}, f.index);
    SparseWeights u = SparseWeights.ofBytes(new byte[] {(byte) 200, 5, (byte) 200, 7}, 0, 2, 2, true, 200);
    assertArrayEquals(new int[] {-195, -193}, u.i32);
    assertEquals(0.5, SparseWeights.sparsity(new byte[] {(byte) 200, 5, (byte) 200, 7}, 0, 4, true, 200));
    assertThrows(IllegalArgumentException.class, () -> SparseWeights.ofFloat(new float[0], 0, 0, 3));
  }

  @Example
  void columnBlocksKeepTheColumnsWithANonzero() {
    // 3 outputs x 4 inputs in blocks of 2: block 0 (outputs 0, 1) uses columns 1 and 3, block 1 (output 2) column 0
    float[] w = {0, 1, 0, 2,
                 0, 0, -0f, 3,
                 4, 0, 0, 0};
    SparseColumnBlocks b = SparseColumnBlocks.of(w, 0, 3, 4, 2);
    assertArrayEquals(new int[] {0, 2, 3}, b.start);
    assertArrayEquals(new int[] {1, 3, 0}, b.cols);
    assertArrayEquals(new float[] {1, 0, 2, 3, 4, 0}, b.vals);
    assertEquals(3.0 / 8, b.density());
    assertEquals(3.0 / 8, SparseColumnBlocks.density(w, 0, 3, 4, 2));
    assertThrows(IllegalArgumentException.class, () -> SparseColumnBlocks.of(w, 0, 0, 4, 2));
  }

  @Example
  void aRunAllocatesNothing() {
    Random r = new Random(3);
    for (int batch : new int[] {1, 40}) {
      int depth = 64, units = 96;
      float[] in = FastKernelChecks.values(batch * depth, r), w = FastKernelChecks.values(units * depth, r), out = new float[batch * units];
      for (boolean vector : VECTOR) {
        FullyConnectedF32Sparse k = new FullyConnectedF32Sparse(batch, depth, units, w, 0, null, 0, -1e30f, 1e30f, vector, ONE);
        long bytes = FastKernelChecks.leastAllocated(() -> k.run(in, 0, out, 0), 10_000);
        net.jqwik.api.Assume.that(bytes >= 0);
        assertEquals(0, bytes, "bytes allocated by a run, batch " + batch + (vector ? ", vector" : ", scalar"));
      }
    }
  }

  @Example
  void autoModeFollowsTheMeasuredCrossovers() {
    String old = System.getProperty(SparseSupport.PROPERTY);
    try {
      System.clearProperty(SparseSupport.PROPERTY);
      assertEquals(true, SparseSupport.use(0.8, SparseSupport.Kind.CONV_1X1_INT, 24));
      assertEquals(false, SparseSupport.use(0.79, SparseSupport.Kind.CONV_1X1_INT, 960));
      assertEquals(true, SparseSupport.use(0.9, SparseSupport.Kind.CONV_1X1_F32, 320));
      assertEquals(false, SparseSupport.use(0.9, SparseSupport.Kind.CONV_1X1_F32, 64));
      assertEquals(false, SparseSupport.use(0.9, SparseSupport.Kind.DENSE_F32, 1280));
      // the vector kernel goes by column density: 2 of 5 columns kept in every block of outputs = 0.4
      float[] w = new float[16 * 5];
      for (int o = 0; o < 16; o++) {
        w[o * 5 + 1] = 1f;
        w[o * 5 + 3] = -2f;
      }
      assertEquals(true, SparseSupport.useF32(w, 0, 16, 5, 8, SparseSupport.Kind.CONV_1X1_F32, true));
      assertEquals(false, SparseSupport.useF32(w, 0, 16, 5, 1, SparseSupport.Kind.DENSE_F32, true));
      assertEquals(false, SparseSupport.useF32(w, 0, 16, 5, 8, SparseSupport.Kind.CONV_1X1_F32, false)); // 60 %: scalar says no
      Arrays.fill(w, 1f);
      assertEquals(false, SparseSupport.useF32(w, 0, 16, 5, 64, SparseSupport.Kind.CONV_1X1_F32, true));
      System.setProperty(SparseSupport.PROPERTY, "on");
      assertEquals(true, SparseSupport.use(0, SparseSupport.Kind.DENSE_INT, 1));
      System.setProperty(SparseSupport.PROPERTY, "off");
      assertEquals(false, SparseSupport.use(1, SparseSupport.Kind.CONV_1X1_INT, 1000));
      System.setProperty(SparseSupport.PROPERTY, "sometimes");
      assertThrows(IllegalArgumentException.class, SparseSupport::mode);
    } finally {
      if (old == null) System.clearProperty(SparseSupport.PROPERTY); else System.setProperty(SparseSupport.PROPERTY, old);
    }
  }

  static byte[] bytes(int n, Random r) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Random quantization parameters: zero points often at the ends of the range, multipliers over a wide range. */
  static final class Quant {
    final int lo, hi, inZp, outZp, actMin, actMax;
    final int[] m, s;

    private Quant(int lo, int hi, int inZp, int outZp, int actMin, int actMax, int[] m, int[] s) {
      this.lo = lo;
      this.hi = hi;
      this.inZp = inZp;
      this.outZp = outZp;
      this.actMin = actMin;
      this.actMax = actMax;
      this.m = m;
      this.s = s;
    }

    int zeroPoint(Random r) {
      switch (r.nextInt(4)) {
        case 0: return lo;
        case 1: return hi;
        default: return lo + r.nextInt(hi - lo + 1);
      }
    }

    int[] bias(Random r, int n) {
      if (r.nextInt(5) == 0) return null;
      int[] b = new int[n];
      boolean extreme = r.nextInt(8) == 0;
      for (int i = 0; i < n; i++) b[i] = extreme ? r.nextInt() : r.nextInt(1 << 18) - (1 << 17);
      return b;
    }

    static Quant random(Random r, boolean unsigned, int n) {
      int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
      Quant base = new Quant(lo, hi, 0, 0, 0, 0, null, null);
      int inZp = base.zeroPoint(r), outZp = base.zeroPoint(r);
      boolean perChannel = !unsigned && r.nextBoolean();
      int[] m = new int[n], s = new int[n];
      for (int u = 0; u < n; u++) {
        if (u > 0 && !perChannel) {
          m[u] = m[0];
          s[u] = s[0];
          continue;
        }
        QuantMath.Multiplier q = QuantMath.quantizeMultiplier(Math.pow(2, -24 + 26 * r.nextDouble()));
        m[u] = q.multiplier();
        s[u] = q.shift();
      }
      int actMin = lo, actMax = hi;
      if (r.nextBoolean()) {
        int a = lo + r.nextInt(hi - lo + 1), b = lo + r.nextInt(hi - lo + 1);
        actMin = Math.min(a, b);
        actMax = Math.max(a, b);
      }
      return new Quant(lo, hi, inZp, outZp, actMin, actMax, m, s);
    }
  }
}
