package io.kompakt.ops.arith;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Broadcast;
import io.kompakt.ops.common.QuantMath;

/**
 * ADD and SUB on int8, uint8 and int16, as TFLite's reference kernels (add.cc, sub.cc; reference/add.h, sub.h,
 * integer_ops/add.h), with NumPy broadcasting and the fused activation's clamp.
 *
 * <p>General path (int8, uint8, and int16 unless the power-of-two case below applies): each input, less its zero
 * point, is shifted left by 20 (8-bit) or 15 (int16), scaled by {@code scale_i / (2 * max(scale_1, scale_2))}
 * (multipliers computed in double, as desktop TFLite does), the two summed (or subtracted), and the sum scaled by
 * {@code 2 * max_scale / (2^shift * out_scale)} plus the output zero point; each scaling is TFLite's
 * MultiplyByQuantizedMultiplierSmallerThanOneExp.
 *
 * <p>8-bit fast path (any kernel setting but REFERENCE): the result depends on the two input bytes only, so it is read
 * from a 256 x 256 table made at prepare with the same functions (one lookup per element; equal shapes go without index
 * maps, and with the Vector API compute a block's table indices a vector at a time before the lookups:
 * simple_add_model's 16,384 elements 15 -> 8 us; equal shapes split over the threads in chunks). Bit-identical to the general path by construction.
 *
 * <p>Power-of-two int16 path (pot_scale_int16 set in the options, all zero points 0, all scales powers of two):
 * the input with the output's scale is taken as is, the other rounding-shifted right, and the two added (or
 * subtracted) with int16 saturation.
 */
final class AddSubQuantized {
  private AddSubQuantized() {}

  /** Prepares ADD ({@code subtract} false) or SUB for int8, uint8 or int16 inputs. */
  static Kernel prepare(OpContext ctx, String options, boolean subtract) {
    ctx.requireArity(2, 1);
    RuntimeTensor a = ctx.input(0), b = ctx.input(1), out = ctx.output(0);
    ctx.require(b.type == a.type, "inputs " + a + " and " + b + " differ in type");
    ctx.require(out.type == a.type, "output " + out + " differs in type from the inputs " + a.type.lowerName());
    ctx.require(a.quantization.isQuantized() && b.quantization.isQuantized() && out.quantization.isQuantized(),
        "quantized " + a.type.lowerName() + " inputs and output need a scale and zero point");
    int[] shape = Broadcast.shape(ctx, a.shape, b.shape);
    ctx.setOutputShape(0, shape);
    FlatTable o = ctx.options(options);
    String act = o.getEnumName("fused_activation_function");
    int[] type = QuantMath.typeRange(out.type);
    int zpA = a.zeroPoint(), zpB = b.zeroPoint(), zpOut = out.zeroPoint();
    ctx.require(zpA >= type[0] && zpA <= type[1] && zpB >= type[0] && zpB <= type[1] && zpOut >= type[0] && zpOut <= type[1],
        "zero points must lie in the " + out.type.lowerName() + " range");
    int[] range = QuantMath.activationRange(act, out.scale(), zpOut, type[0], type[1]);
    int[] ia = Broadcast.indexMap(a.shape, shape), ib = Broadcast.indexMap(b.shape, shape);

    boolean int16 = out.type == TensorType.INT16;
    // TFLite: params absent -> general; else general unless pot_scale_int16 and every scale a power of two, zero points 0
    boolean general = true;
    Integer log2A = null, log2B = null, log2Out = null;
    if (int16 && ctx.operator().options() != null && o.getBool("pot_scale_int16")) {
      log2A = QuantMath.checkedLog2(a.scale());
      log2B = QuantMath.checkedLog2(b.scale());
      log2Out = QuantMath.checkedLog2(out.scale());
      general = log2A == null || log2B == null || log2Out == null || zpA != 0 || zpB != 0 || zpOut != 0;
    }
    if (!general) {
      int shiftA = log2A - log2Out, shiftB = log2B - log2Out;
      ctx.require(shiftA == 0 || shiftB == 0, "power-of-two int16 " + (subtract ? "SUB" : "ADD")
          + " shifts one input only: input scales 2^" + log2A + " and 2^" + log2B + ", output 2^" + log2Out);
      ctx.require(shiftA <= 0 && shiftB <= 0, "power-of-two int16 inputs must not have a coarser scale than the output");
      Pot p = new Pot(shiftA, shiftB, range[0], range[1], subtract);
      return () -> p.run(a, b, out, ia, ib);
    }
    ctx.require(a.scale() > 0 && b.scale() > 0 && out.scale() > 0, "scales must be positive");
    int leftShift = int16 ? 15 : 20;
    double twiceMax = 2 * Math.max(a.scale(), b.scale()); // float max, doubled exactly
    double realA = a.scale() / twiceMax, realB = b.scale() / twiceMax;
    double realOut = twiceMax / ((double) (1 << leftShift) * out.scale());
    ctx.require(realOut < 1, "output scale " + out.scale() + " is too small for the input scales (multiplier " + realOut + ")");
    General g = new General(zpA, zpB, zpOut, leftShift, QuantMath.quantizeMultiplierSmallerThanOne(realA),
        QuantMath.quantizeMultiplierSmallerThanOne(realB), QuantMath.quantizeMultiplierSmallerThanOne(realOut),
        range[0], range[1], subtract);
    if (!int16 && ctx.kernels() != io.kompakt.engine.run.Interpreter.Kernels.REFERENCE) {
      boolean same = java.util.Arrays.equals(a.shape, shape) && java.util.Arrays.equals(b.shape, shape);
      int n = ia.length, items = (n + Tables.CHUNK - 1) / Tables.CHUNK;
      Tables t = new Tables(g, out.type == TensorType.UINT8,
          io.kompakt.ops.common.VectorSupport.variant(ctx) == io.kompakt.ops.common.VectorSupport.Variant.VECTOR && same ? items : 0);
      if (!same) return () -> t.run(a.i8, a.offset, ia, b.i8, b.offset, ib, out.i8, out.offset);
      // equal shapes: the elements over the threads, at least CHUNK at a time, so that the chunks' starts are CHUNK or
      // more apart and from / CHUNK names each chunk's own index buffer
      final io.kompakt.engine.run.Parallel parallel = ctx.parallel();
      final io.kompakt.engine.run.Parallel.Body chunks = (from, to) ->
          t.run(a.i8, a.offset + from, b.i8, b.offset + from, out.i8, out.offset + from, to - from, from / Tables.CHUNK);
      return () -> io.kompakt.engine.run.Parallel.run(parallel, n, Tables.CHUNK, chunks);
    }
    return () -> g.run(a, b, out, ia, ib);
  }

  /** The general rescaling path: its parameters, and the loop (reference/add.h AddElementwise, sub.h SubElementwise). */
  record General(int zpA, int zpB, int zpOut, int leftShift, QuantMath.Multiplier ma, QuantMath.Multiplier mb,
                 QuantMath.Multiplier mOut, int min, int max, boolean subtract) {
    int apply(int x, int y) {
      int shiftedA = (x - zpA) * (1 << leftShift);
      int shiftedB = (y - zpB) * (1 << leftShift);
      int scaledA = QuantMath.multiplyByQuantizedMultiplier(shiftedA, ma.multiplier(), ma.shift());
      int scaledB = QuantMath.multiplyByQuantizedMultiplier(shiftedB, mb.multiplier(), mb.shift());
      int raw = subtract ? scaledA - scaledB : scaledA + scaledB;
      int result = QuantMath.multiplyByQuantizedMultiplier(raw, mOut.multiplier(), mOut.shift()) + zpOut;
      return Math.min(max, Math.max(min, result));
    }

    void run(RuntimeTensor a, RuntimeTensor b, RuntimeTensor out, int[] ia, int[] ib) {
      for (int i = 0; i < ia.length; i++) QuantMath.store(out, i, apply(QuantMath.load(a, ia[i]), QuantMath.load(b, ib[i])));
    }
  }

  /**
   * The 8-bit fast path: {@link General}'s result for every pair of input bytes, in a 64 KB table made at prepare
   * (each input's rescaling taken once per byte value); per element one lookup.
   */
  static final class Tables {
    /** Elements per block of indices (the index buffer: 1 KB, in L1 with the block's lookups). */
    static final int BLOCK = 512;
    /** The fewest elements of an ADD / SUB handed to a thread (and to one index buffer). */
    static final int CHUNK = 16384;
    /**
     * Watches {@link BytePairIndexVector} for boxing (JDK 17): see {@link io.kompakt.ops.common.AllocationGuard}. Its
     * first check at 2^26 values (4096 runs of simple_add_model's 16,384 elements): at the default 2^22 the index loop,
     * called per block, was still interpreted or C1 code at the first two checks, which switched it off for nothing.
     */
    static final io.kompakt.ops.common.AllocationGuard GUARD = new io.kompakt.ops.common.AllocationGuard("vector table indices", 26);
    private final byte[] table = new byte[256 * 256];
    /** Per work item, a block's table indices, when {@link BytePairIndexVector} computes them; else null. */
    private final short[][] indices;

    /** {@code vectorItems}: index buffers for the equal-shape path's vector indices (one per CHUNK elements), or 0. */
    Tables(General g, boolean unsigned, int vectorItems) {
      indices = vectorItems > 0 && BytePairIndexVector.USABLE ? new short[vectorItems][BLOCK] : null;
      int[] ta = new int[256], tb = new int[256];
      for (int bits = 0; bits < 256; bits++) {
        int v = unsigned ? bits : (byte) bits;
        ta[bits] = QuantMath.multiplyByQuantizedMultiplier((v - g.zpA()) * (1 << g.leftShift()), g.ma().multiplier(), g.ma().shift());
        tb[bits] = QuantMath.multiplyByQuantizedMultiplier((v - g.zpB()) * (1 << g.leftShift()), g.mb().multiplier(), g.mb().shift());
      }
      int m = g.mOut().multiplier(), shift = g.mOut().shift();
      for (int x = 0; x < 256; x++) {
        for (int y = 0; y < 256; y++) {
          int raw = g.subtract() ? ta[x] - tb[y] : ta[x] + tb[y];
          int v = QuantMath.multiplyByQuantizedMultiplier(raw, m, shift) + g.zpOut();
          table[x << 8 | y] = (byte) Math.min(g.max(), Math.max(g.min(), v));
        }
      }
    }

    /**
     * Equal shapes: element i of each ({@code n} of them, with index buffer {@code item}). With
     * the Vector API block by block ({@link BytePairIndexVector#run}): the block's indices first (vector arithmetic),
     * then its lookups; 0.92 -> 0.53 ns an element here on JDK 17 and 25, as C2 unrolls the one-pass loop only twice and
     * spills its three array offsets.
     */
    void run(byte[] a, int aOff, byte[] b, int bOff, byte[] out, int outOff, int n, int item) {
      final byte[] t = table;
      final short[] ix = indices == null ? null : indices[item];
      if (ix != null && GUARD.ok()) {
        long mark = GUARD.enter(n);
        BytePairIndexVector.run(a, aOff, b, bOff, out, outOff, n, t, ix);
        GUARD.exit(mark);
        return;
      }
      for (int i = 0; i < n; i++) out[outOff + i] = t[(a[aOff + i] & 0xFF) << 8 | (b[bOff + i] & 0xFF)];
    }

    /** Broadcasting: through the index maps. */
    void run(byte[] a, int aOff, int[] ia, byte[] b, int bOff, int[] ib, byte[] out, int outOff) {
      final byte[] t = table;
      for (int i = 0; i < ia.length; i++) out[outOff + i] = t[(a[aOff + ia[i]] & 0xFF) << 8 | (b[bOff + ib[i]] & 0xFF)];
    }
  }

  /** The int16 power-of-two path (reference/add.h Add with pot_scale, sub.h Sub16). */
  record Pot(int shiftA, int shiftB, int min, int max, boolean subtract) {
    int apply(int x, int y) {
      int result;
      if (shiftA == 0) {
        int scaled = QuantMath.roundingDivideByPOT16(y, -shiftB);
        result = subtract ? x - scaled : x + scaled;
      } else {
        int scaled = QuantMath.roundingDivideByPOT16(x, -shiftA);
        result = subtract ? scaled - y : scaled + y;
      }
      result = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, result)); // int16 saturating add / sub
      return Math.min(max, Math.max(min, result));
    }

    void run(RuntimeTensor a, RuntimeTensor b, RuntimeTensor out, int[] ia, int[] ib) {
      short[] x = a.i16, y = b.i16, z = out.i16;
      for (int i = 0; i < ia.length; i++) z[out.offset + i] = (short) apply(x[a.offset + ia[i]], y[b.offset + ib[i]]);
    }
  }
}
