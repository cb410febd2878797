package io.kompakt.ops.common;

import io.kompakt.engine.run.Parallel;
import io.kompakt.engine.run.SharedScratch;

/**
 * Integer convolutions and matrix products computed exactly in float arithmetic, so that the integer kernels run on
 * the fast float32 kernels (whose fused multiply-adds are the quickest multiply-accumulate a JVM offers; Java has no
 * access to integer dot-product instructions).
 *
 * <p>Why it is exact: the integer kernels sum {@code (x - inZp) * (w - wZp)} over the taps of each output in int32.
 * Each factor is an integer with {@code |x - inZp| <= 255} and {@code |w - wZp| <= 255}, so each product is an integer
 * below 2^16 and exact in float. If for every output channel {@code maxA * sum |w - wZp| < 2^24} (with {@code maxA}
 * the largest {@code |x - inZp|} the input type allows), then every partial sum, in any order and with or without
 * fused multiply-adds, is an integer below 2^24 in magnitude, which float represents exactly: the float result equals
 * the int32 sum. The bound is checked at prepare from the actual weights; where it fails, the op keeps its integer
 * kernel. The bias is added in int32 afterwards and each output requantized with TFLite's
 * {@link QuantMath#multiplyByQuantizedMultiplier}, so outputs are bit-identical to the reference kernels.
 *
 * <p>Around the float kernel: the 8-bit input is converted to floats (value minus zero point) into a buffer shared
 * by all kernels of the interpreter ({@link SharedScratch}), the float kernel writes raw sums into a second shared
 * buffer, and the requantization writes the 8-bit output. Both steps split over the interpreter's threads. The
 * requantization also writes its outputs as floats (minus the zero point) into the first buffer, where the next kernel,
 * if it is one of these and reads that output, finds its input already converted ({@link SharedScratch.Handoff}: in
 * MobileNets every depthwise and projection conv); a kernel whose offer was not taken stops offering.
 */
public final class IntAsFloat {
  /** System property that turns the Vector API requantization on or off ({@code true} / {@code false}). */
  public static final String VECTOR_REQUANT_PROPERTY = "kompakt.vectorRequant";

  /**
   * Whether the requantization uses the Vector API. It more than halves the int8 time of MobileNet V2 here (41 -> 19 ms
   * on JDK 25, 41 -> 26 ms on JDK 17). JDK 17's JIT does not always compile its loop without boxing vectors (it depends
   * on what ran before: seen in several full test runs, and in about 1 JVM start of 10 without
   * {@code -XX:TypeProfileLevel=222}), which would make every inference allocate; the {@link Requantizer}'s allocation
   * guard measures that and then switches to the scalar path. On by default;
   * {@code -Dkompakt.vectorRequant=false} turns it off. Needs 4 int lanes, or 8 and more (see {@link Requantizer}).
   */
  public static final boolean VECTOR_REQUANTIZATION = vectorRequantization();

  private static boolean vectorRequantization() {
    String p = System.getProperty(VECTOR_REQUANT_PROPERTY);
    return p == null || Boolean.parseBoolean(p.trim());
  }

  /** How int8 outputs are requantized on this JVM, for reports. */
  public static String describeRequantization() {
    boolean on = VECTOR_REQUANTIZATION && Requantizer.vectorLanesSuffice();
    String why = System.getProperty(VECTOR_REQUANT_PROPERTY) != null ? "-D" + VECTOR_REQUANT_PROPERTY
        : on ? "default" : "needs 4 or 8+ int lanes";
    if (on && Requantizer.vectorSwitchedOff()) {
      return "int8 requantization scalar (the JIT boxed the vector form; switched off" + AllocationGuard.jvmAdvice() + ")";
    }
    String convert = VectorSupport.available() && ByteToFloatVector.USE
        ? (ByteToFloatVector.GUARD.switchedOff()
            ? ", input conversion scalar (the JIT boxed the vector form" + AllocationGuard.jvmAdvice() + ")" : ", input conversion vector")
        : ", input conversion scalar";
    return "int8 requantization " + (on ? "vector" : "scalar") + " (" + why + ")" + convert;
  }

  /**
   * Whether kernels hand their outputs as floats to the next kernel ({@link SharedScratch.Handoff}); on unless
   * {@code -Dkompakt.handoff=false} (for comparisons).
   */
  static final boolean HANDOFF = !"false".equals(System.getProperty("kompakt.handoff"));

  /** Largest float-exact integer magnitude bound: 2^24. */
  static final long EXACT = 1L << 24;

  private IntAsFloat() {}

  /** A float kernel over raw sums: reads {@code in} from {@code inOff}, writes {@code out} from {@code outOff}. */
  public interface FloatKernel {
    void run(float[] in, int inOff, float[] out, int outOff);
  }

  /** An 8-bit kernel. */
  public interface ByteKernel {
    void run(byte[] in, int inOff, byte[] out, int outOff);
  }

  /** The largest {@code |q - zeroPoint|} over the 8-bit type's values. */
  public static int maxAbs(boolean unsigned, int zeroPoint) {
    int lo = unsigned ? 0 : -128, hi = unsigned ? 255 : 127;
    return Math.max(Math.abs(lo - zeroPoint), Math.abs(hi - zeroPoint));
  }

  /**
   * The weights as floats minus their zero point, if the float computation is exact for them (see the class comment),
   * else null.
   *
   * @param count            weights in all
   * @param channels         output channels
   * @param channelInnermost the channel is the innermost dimension (depthwise [1][kH][kW][C]); else the outermost
   *                         (conv OHWI, fully connected [units][depth])
   * @param inUnsigned       the input is uint8 (else int8), with zero point {@code inZp}
   */
  public static float[] exactWeights(byte[] w, int off, int count, int channels, boolean channelInnermost, boolean unsigned,
                                     int zeroPoint, boolean inUnsigned, int inZp) {
    if (count % channels != 0) throw new IllegalArgumentException(count + " weights are not a multiple of " + channels + " channels");
    float[] f = new float[count];
    long[] sumAbs = new long[channels];
    int per = count / channels, maxW = 0;
    for (int i = 0; i < count; i++) {
      int v = (unsigned ? w[off + i] & 0xFF : w[off + i]) - zeroPoint;
      f[i] = v;
      sumAbs[channelInnermost ? i % channels : i / per] += Math.abs(v);
      maxW = Math.max(maxW, Math.abs(v));
    }
    return exact(sumAbs, maxAbs(inUnsigned, inZp), maxW) ? f : null;
  }

  /** Whether {@code maxA * sumAbs[c] < 2^24} for every channel (and every weight factor fits the proof's bound). */
  public static boolean exact(long[] sumAbs, int maxA, int maxAbsWeight) {
    if (maxA > 255 || maxAbsWeight > 255) return false;
    for (long s : sumAbs) if (s * maxA >= EXACT) return false;
    return true;
  }

  /**
   * Wraps a float kernel that computes raw sums {@code sum (x - inZp) * (w - wZp)} (no bias, no clamp) into an
   * 8-bit kernel.
   *
   * @param inSize   input elements
   * @param outSize  output elements, {@code channels} innermost
   * @param bias     int32 bias per channel from {@code bOff}, or null
   */
  public static ByteKernel wrap(FloatKernel kernel, int inSize, int outSize, int channels, boolean unsigned, int inZp,
                                int[] bias, int bOff, int outZp, int[] multiplier, int[] shift, int actMin, int actMax,
                                boolean vector, Parallel parallel, SharedScratch scratch) {
    return new Wrapped(kernel, inSize, outSize, channels, unsigned, inZp,
        new Requantizer(channels, bias, bOff, multiplier, shift, outZp, actMin, actMax, vector && VECTOR_REQUANTIZATION),
        vector && VectorSupport.available() && ByteToFloatVector.USE, parallel, scratch);
  }

  private static final class Wrapped implements ByteKernel {
    /** Elements per work item of the conversion and requantization loops. */
    private static final int CHUNK = 4096;
    private final FloatKernel kernel;
    private final int inSize, outSize, channels, inZp, pixels;
    private final boolean unsigned, vectorConvert;
    /** The float of every byte: its value as int8 or uint8 minus the input zero point. */
    private final float[] floatOfByte = new float[256];
    private final Requantizer requantizer;
    private final Parallel parallel;
    private final SharedScratch.Floats inBuf, outBuf;
    private final SharedScratch scratch;
    private final SharedScratch.Handoff handoff = new SharedScratch.Handoff();
    /** Whether runs offer their output as floats to the next kernel (until an offer goes untaken). */
    private boolean offer = HANDOFF;
    private final Parallel.Body convert = this::convert, requantize = this::requantize;
    private byte[] in, out;
    private int inOff, outOff;
    private float[] a, b;

    Wrapped(FloatKernel kernel, int inSize, int outSize, int channels, boolean unsigned, int inZp, Requantizer requantizer,
            boolean vectorConvert, Parallel parallel, SharedScratch scratch) {
      this.vectorConvert = vectorConvert;
      if (outSize % channels != 0) throw new IllegalArgumentException(outSize + " outputs are not a multiple of " + channels + " channels");
      this.kernel = kernel;
      this.inSize = inSize;
      this.outSize = outSize;
      this.channels = channels;
      this.pixels = outSize / channels;
      this.unsigned = unsigned;
      this.inZp = inZp;
      for (int v = 0; v < 256; v++) floatOfByte[v] = (unsigned ? v : (byte) v) - inZp;
      this.requantizer = requantizer;
      this.parallel = parallel;
      this.scratch = scratch;
      // the input buffer also receives this kernel's output as floats for the next kernel
      this.inBuf = scratch.floats("int-as-float.in", Math.max(inSize, outSize));
      this.outBuf = scratch.floats("int-as-float.out", outSize);
    }

    @Override
    public void run(byte[] in, int inOff, byte[] out, int outOff) {
      this.in = in;
      this.inOff = inOff;
      this.out = out;
      this.outOff = outOff;
      this.a = inBuf.array();
      this.b = outBuf.array();
      try {
        if (!scratch.take(in, inOff, inSize, inZp, unsigned, a)) forRange((inSize + CHUNK - 1) / CHUNK, convert);
        kernel.run(a, 0, b, 0);
        if (offer && handoff.offeredInVain()) offer = false;
        int perItem = Math.max(1, CHUNK / channels);
        forRange((pixels + perItem - 1) / perItem, requantize);
        if (offer) scratch.offer(handoff, out, outOff, outSize, requantizer.outZp, unsigned, a);
      } finally {
        this.in = null;
        this.out = null;
        this.a = null;
        this.b = null;
      }
    }

    private void forRange(int items, Parallel.Body body) { Parallel.run(parallel, items, 1, body); }

    private void convert(int from, int to) {
      final byte[] in = this.in;
      final float[] a = this.a;
      final int off = inOff, zp = inZp, end = Math.min(inSize, to * CHUNK);
      if (vectorConvert && ByteToFloatVector.GUARD.ok()) {
        int start = from * CHUNK;
        long mark = ByteToFloatVector.GUARD.enter(end - start);
        ByteToFloatVector.run(in, off, a, start, end, unsigned, zp);
        ByteToFloatVector.GUARD.exit(mark);
        return;
      }
      // a table of the 256 values: JDK 17's C2 does not vectorize the byte -> float conversion; 0.52 -> 0.31 ns a value
      final float[] t = floatOfByte;
      for (int i = from * CHUNK; i < end; i++) a[i] = t[in[off + i] & 0xFF];
    }

    private void requantize(int from, int to) {
      int perItem = Math.max(1, CHUNK / channels);
      // the outputs as floats always go into the input buffer (free by then), offered or not: a loop whose vector store
      // depends on a null check made JDK 17's C2 box the vectors in some JVMs
      requantizer.run(b, from * perItem, Math.min(pixels, to * perItem), out, outOff, a);
    }
  }
}
