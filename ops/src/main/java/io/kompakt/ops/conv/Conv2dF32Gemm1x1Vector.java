package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 1x1 CONV_2D without padding as a matrix product with the Vector API. Register tile: 4 output pixels x 2 vectors of
 * output channels (8 accumulators); per input channel, two weight loads from the packed [block][inC][2 * lanes]
 * weights and four broadcasts feed eight fused multiply-adds. Blocks are zero-padded. A last, partial block is stored
 * without masks (JDK 17 allocates in masked stores): a block of exactly one vector goes straight to the output; with a
 * single block (narrow layers: 8 or 24 output channels against 16 float lanes) whole vectors are stored and run over
 * into the next pixels' channels, which this work item writes afterwards ({@link #reach}); the rest goes through a
 * scratch slot and {@code System.arraycopy} (which costs more than the multiply-adds in such layers: MobileNet V1 0.25's
 * 112x112x8 -> 16 conv 0.31 -> 0.10 ms, its first 3x3 conv to 8 channels 0.45 -> 0.28 ms, float, JDK 17).
 *
 * <p>Loaded only through {@link Conv2dF32Fast} after {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class Conv2dF32Gemm1x1Vector implements Conv2dF32Fast.Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Output channels per block: two vectors. */
  private static final int WIDTH = 2 * L;
  /** Floats per scratch slot: a block and 64 bytes, so threads' slots never share a cache line. */
  private static final int SLOT = WIDTH + 16;
  /** Output pixels per work item. */
  private static final int PIXELS = 16;

  private final int inC, outC, outH, outW, inH, inW, strideH, strideW, pixels, blocks, items, grain;
  /**
   * Pairs of whole blocks that a work item takes together ({@link #tile4x4}: 4 pixels x 4 vectors, 16 accumulators,
   * where the machine has 32 vector registers); the remaining blocks go one by one. Work items are (pixel block, group),
   * a group being a pair (the first {@code pairs}) or a single block.
   */
  private final int pairs, groups;
  /**
   * With a single, partial block: how many following pixels a pixel's whole-vector stores run into (they must belong
   * to the same work item, which writes them afterwards); -1 where stores never run over.
   */
  private final int reach;
  private final boolean contiguous;
  private final float[] w, bias;
  /** Scratch for the stores of a partial last block: a slot per block of pixels (one thread has a block). */
  private final float[] tail;
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::items;
  private float[] in, out;
  private int inOff, outOff;

  static Conv2dF32Fast.Kernel create(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                                     float max, Parallel parallel) {
    return new Conv2dF32Gemm1x1Vector(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  private Conv2dF32Gemm1x1Vector(Conv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff, float min,
                                 float max, Parallel parallel) {
    this.inC = g.inC();
    this.outC = g.outC();
    this.inH = g.inH();
    this.inW = g.inW();
    this.outH = g.outH();
    this.outW = g.outW();
    this.strideH = g.strideH();
    this.strideW = g.strideW();
    this.contiguous = g.strideH() == 1 && g.strideW() == 1 && g.inH() == g.outH() && g.inW() == g.outW();
    this.pixels = g.batch() * g.outH() * g.outW();
    this.blocks = Conv2dF32Fast.blocks(outC, WIDTH);
    this.pairs = WIDE_TILES ? (outC / WIDTH) / 2 : 0;
    this.groups = blocks - pairs;
    this.items = Conv2dF32Fast.blocks(pixels, PIXELS) * groups;
    this.reach = Conv2dF32Fast.runOverPixels(outC, L);
    this.grain = Conv2dF32Fast.grain((long) PIXELS * inC * WIDTH);
    this.w = Conv2dF32Fast.packFilter(g, filter, fOff, WIDTH);
    this.bias = Conv2dF32Fast.packBias(bias, bOff, outC, WIDTH);
    this.tail = new float[Conv2dF32Fast.blocks(pixels, PIXELS) * SLOT];
    this.min = min;
    this.max = max;
    this.parallel = parallel;
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) {
    this.in = in;
    this.inOff = inOff;
    this.out = out;
    this.outOff = outOff;
    try {
      Conv2dF32Fast.forRange(parallel, items, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private int inputPixel(int p) {
    if (contiguous) return inOff + p * inC;
    int plane = outH * outW, b = p / plane, r = p - b * plane, oy = r / outW, ox = r - oy * outW;
    return inOff + ((b * inH + oy * strideH) * inW + ox * strideW) * inC;
  }

  /**
   * Whether pairs of blocks run as 4 x 4 tiles: with 512-bit vectors (AVX-512) or on aarch64 (NEON), which have 32
   * vector registers for the 16 accumulators, 4 weight vectors and a broadcast; with 16 (AVX2) they would spill.
   * {@code -Dkompakt.wideTiles=true|false} overrides (for comparisons).
   */
  static final boolean WIDE_TILES = wideTiles();

  private static boolean wideTiles() {
    String p = System.getProperty("kompakt.wideTiles");
    if (p != null) return Boolean.parseBoolean(p.trim());
    return S.vectorBitSize() >= 512 || "aarch64".equals(System.getProperty("os.arch"));
  }

  private void items(int from, int to) {
    for (int item = from; item < to; item++) {
      int pb = item / groups, group = item - pb * groups;
      int p = pb * PIXELS, p1 = Math.min(pixels, p + PIXELS);
      if (group < pairs) {
        int blk = 2 * group;
        for (; p + 4 <= p1; p += 4) tile4x4(p, blk);
        for (; p < p1; p++) {
          tile1(p, blk, p1);
          tile1(p, blk + 1, p1);
        }
      } else {
        int blk = group + pairs;
        // a block of one vector of channels (or fewer, whose stores run over into the next pixels): 8 x 1 tiles, not
        // 4 x 2 with half the multiply-adds on zero padding
        boolean oneVector = outC - blk * WIDTH == L, narrow = outC < L && reach > 0;
        if (oneVector || narrow) {
          for (; p + 8 <= p1 && (oneVector || p + 8 + reach <= p1); p += 8) tile8x1(p, blk);
        }
        for (; p + 4 <= p1; p += 4) tile4(p, blk, p1);
        for (; p < p1; p++) tile1(p, blk, p1);
      }
    }
  }

  /**
   * Pixels p .. p + 7, the first vector of block {@code blk} (the block's only real channels): 8 x 1 vectors. The stores
   * go in pixel order, so where channels are fewer than the lanes each runs over into the next pixel's, written next.
   */
  private void tile8x1(int p, int blk) {
    final float[] in = this.in, w = this.w;
    final int inC = this.inC, outC = this.outC;
    int i0 = inputPixel(p), i1 = inputPixel(p + 1), i2 = inputPixel(p + 2), i3 = inputPixel(p + 3);
    int i4 = inputPixel(p + 4), i5 = inputPixel(p + 5), i6 = inputPixel(p + 6), i7 = inputPixel(p + 7);
    int oc0 = blk * WIDTH;
    FloatVector b = FloatVector.fromArray(S, bias, oc0);
    FloatVector a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    for (int ic = 0, k = blk * inC * WIDTH; ic < inC; ic++, k += WIDTH) {
      FloatVector wv = FloatVector.fromArray(S, w, k);
      a0 = wv.fma(FloatVector.broadcast(S, in[i0 + ic]), a0);
      a1 = wv.fma(FloatVector.broadcast(S, in[i1 + ic]), a1);
      a2 = wv.fma(FloatVector.broadcast(S, in[i2 + ic]), a2);
      a3 = wv.fma(FloatVector.broadcast(S, in[i3 + ic]), a3);
      a4 = wv.fma(FloatVector.broadcast(S, in[i4 + ic]), a4);
      a5 = wv.fma(FloatVector.broadcast(S, in[i5 + ic]), a5);
      a6 = wv.fma(FloatVector.broadcast(S, in[i6 + ic]), a6);
      a7 = wv.fma(FloatVector.broadcast(S, in[i7 + ic]), a7);
    }
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    int o = outOff + p * outC + oc0;
    a0.max(min).min(max).intoArray(out, o);
    a1.max(min).min(max).intoArray(out, o + outC);
    a2.max(min).min(max).intoArray(out, o + 2 * outC);
    a3.max(min).min(max).intoArray(out, o + 3 * outC);
    a4.max(min).min(max).intoArray(out, o + 4 * outC);
    a5.max(min).min(max).intoArray(out, o + 5 * outC);
    a6.max(min).min(max).intoArray(out, o + 6 * outC);
    a7.max(min).min(max).intoArray(out, o + 7 * outC);
  }

  /** Pixels p .. p + 3, whole blocks {@code blk} and {@code blk + 1}: 4 x 4 vectors. */
  private void tile4x4(int p, int blk) {
    final float[] in = this.in, w = this.w, bias = this.bias;
    final int inC = this.inC, outC = this.outC;
    int i0 = inputPixel(p), i1 = inputPixel(p + 1), i2 = inputPixel(p + 2), i3 = inputPixel(p + 3);
    int oc0 = blk * WIDTH;
    FloatVector b0 = FloatVector.fromArray(S, bias, oc0), b1 = FloatVector.fromArray(S, bias, oc0 + L);
    FloatVector b2 = FloatVector.fromArray(S, bias, oc0 + 2 * L), b3 = FloatVector.fromArray(S, bias, oc0 + 3 * L);
    FloatVector a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
    FloatVector a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
    // the pair's weights: block blk from k, block blk + 1 from k + inC * WIDTH
    final int next = inC * WIDTH;
    for (int ic = 0, k = blk * inC * WIDTH; ic < inC; ic++, k += WIDTH) {
      FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
      FloatVector w2 = FloatVector.fromArray(S, w, k + next), w3 = FloatVector.fromArray(S, w, k + next + L);
      FloatVector x = FloatVector.broadcast(S, in[i0 + ic]);
      a00 = w0.fma(x, a00);
      a01 = w1.fma(x, a01);
      a02 = w2.fma(x, a02);
      a03 = w3.fma(x, a03);
      x = FloatVector.broadcast(S, in[i1 + ic]);
      a10 = w0.fma(x, a10);
      a11 = w1.fma(x, a11);
      a12 = w2.fma(x, a12);
      a13 = w3.fma(x, a13);
      x = FloatVector.broadcast(S, in[i2 + ic]);
      a20 = w0.fma(x, a20);
      a21 = w1.fma(x, a21);
      a22 = w2.fma(x, a22);
      a23 = w3.fma(x, a23);
      x = FloatVector.broadcast(S, in[i3 + ic]);
      a30 = w0.fma(x, a30);
      a31 = w1.fma(x, a31);
      a32 = w2.fma(x, a32);
      a33 = w3.fma(x, a33);
    }
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    int o = outOff + p * outC + oc0;
    a00.max(min).min(max).intoArray(out, o);
    a01.max(min).min(max).intoArray(out, o + L);
    a02.max(min).min(max).intoArray(out, o + 2 * L);
    a03.max(min).min(max).intoArray(out, o + 3 * L);
    o += outC;
    a10.max(min).min(max).intoArray(out, o);
    a11.max(min).min(max).intoArray(out, o + L);
    a12.max(min).min(max).intoArray(out, o + 2 * L);
    a13.max(min).min(max).intoArray(out, o + 3 * L);
    o += outC;
    a20.max(min).min(max).intoArray(out, o);
    a21.max(min).min(max).intoArray(out, o + L);
    a22.max(min).min(max).intoArray(out, o + 2 * L);
    a23.max(min).min(max).intoArray(out, o + 3 * L);
    o += outC;
    a30.max(min).min(max).intoArray(out, o);
    a31.max(min).min(max).intoArray(out, o + L);
    a32.max(min).min(max).intoArray(out, o + 2 * L);
    a33.max(min).min(max).intoArray(out, o + 3 * L);
  }

  /** Pixels p .. p + 3 of a work item that ends before pixel {@code end}. */
  private void tile4(int p, int blk, int end) {
    final float[] in = this.in, w = this.w;
    final int inC = this.inC, outC = this.outC;
    int i0 = inputPixel(p), i1 = inputPixel(p + 1), i2 = inputPixel(p + 2), i3 = inputPixel(p + 3);
    int oc0 = blk * WIDTH;
    FloatVector b0 = FloatVector.fromArray(S, bias, oc0), b1 = FloatVector.fromArray(S, bias, oc0 + L);
    FloatVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
    for (int ic = 0, k = blk * inC * WIDTH; ic < inC; ic++, k += WIDTH) {
      FloatVector w0 = FloatVector.fromArray(S, w, k), w1 = FloatVector.fromArray(S, w, k + L);
      FloatVector x = FloatVector.broadcast(S, in[i0 + ic]);
      a00 = w0.fma(x, a00);
      a01 = w1.fma(x, a01);
      x = FloatVector.broadcast(S, in[i1 + ic]);
      a10 = w0.fma(x, a10);
      a11 = w1.fma(x, a11);
      x = FloatVector.broadcast(S, in[i2 + ic]);
      a20 = w0.fma(x, a20);
      a21 = w1.fma(x, a21);
      x = FloatVector.broadcast(S, in[i3 + ic]);
      a30 = w0.fma(x, a30);
      a31 = w1.fma(x, a31);
    }
    int o = outOff + p * outC + oc0;
    final float[] out = this.out;
    final float min = this.min, max = this.max;
    // a whole block; or a single narrow block (under two vectors of channels) whose stores run over into the next
    // pixels of this work item, written afterwards in pixel order
    boolean runOver = reach > 0 && p + 4 + reach <= end;
    if (outC - oc0 >= WIDTH || runOver && outC > L) {
      a00.max(min).min(max).intoArray(out, o);
      a01.max(min).min(max).intoArray(out, o + L);
      a10.max(min).min(max).intoArray(out, o + outC);
      a11.max(min).min(max).intoArray(out, o + outC + L);
      a20.max(min).min(max).intoArray(out, o + 2 * outC);
      a21.max(min).min(max).intoArray(out, o + 2 * outC + L);
      a30.max(min).min(max).intoArray(out, o + 3 * outC);
      a31.max(min).min(max).intoArray(out, o + 3 * outC + L);
    } else if (outC - oc0 == L || runOver) {
      a00.max(min).min(max).intoArray(out, o);
      a10.max(min).min(max).intoArray(out, o + outC);
      a20.max(min).min(max).intoArray(out, o + 2 * outC);
      a30.max(min).min(max).intoArray(out, o + 3 * outC);
    } else {
      // partial block: through this item's slot of the scratch array (JDK 17 allocates in masked stores)
      final float[] tail = this.tail;
      int t = (p / PIXELS) * SLOT, width = outC - oc0;
      a00.max(min).min(max).intoArray(tail, t);
      a01.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o, width);
      a10.max(min).min(max).intoArray(tail, t);
      a11.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + outC, width);
      a20.max(min).min(max).intoArray(tail, t);
      a21.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + 2 * outC, width);
      a30.max(min).min(max).intoArray(tail, t);
      a31.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o + 3 * outC, width);
    }
  }

  private void tile1(int p, int blk, int end) {
    final float[] in = this.in, w = this.w;
    final int inC = this.inC;
    int i0 = inputPixel(p), oc0 = blk * WIDTH;
    FloatVector a0 = FloatVector.fromArray(S, bias, oc0), a1 = FloatVector.fromArray(S, bias, oc0 + L);
    // four sets of accumulators over the input channels taken in turn (8 independent chains of multiply-adds, not 2:
    // a layer of one pixel, such as a classifier head, is otherwise bound by the fused multiply-add's latency), added
    // at the end; a fixed order per output element whatever the threads
    FloatVector zero = FloatVector.zero(S);
    FloatVector b0 = zero, b1 = zero, c0 = zero, c1 = zero, d0 = zero, d1 = zero;
    int ic = 0, k = blk * inC * WIDTH;
    for (; ic + 4 <= inC; ic += 4, k += 4 * WIDTH) {
      FloatVector x = FloatVector.broadcast(S, in[i0 + ic]);
      a0 = FloatVector.fromArray(S, w, k).fma(x, a0);
      a1 = FloatVector.fromArray(S, w, k + L).fma(x, a1);
      x = FloatVector.broadcast(S, in[i0 + ic + 1]);
      b0 = FloatVector.fromArray(S, w, k + WIDTH).fma(x, b0);
      b1 = FloatVector.fromArray(S, w, k + WIDTH + L).fma(x, b1);
      x = FloatVector.broadcast(S, in[i0 + ic + 2]);
      c0 = FloatVector.fromArray(S, w, k + 2 * WIDTH).fma(x, c0);
      c1 = FloatVector.fromArray(S, w, k + 2 * WIDTH + L).fma(x, c1);
      x = FloatVector.broadcast(S, in[i0 + ic + 3]);
      d0 = FloatVector.fromArray(S, w, k + 3 * WIDTH).fma(x, d0);
      d1 = FloatVector.fromArray(S, w, k + 3 * WIDTH + L).fma(x, d1);
    }
    for (; ic < inC; ic++, k += WIDTH) {
      FloatVector x = FloatVector.broadcast(S, in[i0 + ic]);
      a0 = FloatVector.fromArray(S, w, k).fma(x, a0);
      a1 = FloatVector.fromArray(S, w, k + L).fma(x, a1);
    }
    a0 = a0.add(b0).add(c0.add(d0));
    a1 = a1.add(b1).add(c1.add(d1));
    int o = outOff + p * outC + oc0;
    if (outC - oc0 >= WIDTH || reach > 0 && p + 1 + reach <= end) {
      a0.max(min).min(max).intoArray(out, o);
      if (outC - oc0 > L) a1.max(min).min(max).intoArray(out, o + L);
    } else if (outC - oc0 == L) {
      a0.max(min).min(max).intoArray(out, o);
    } else {
      int t = (p / PIXELS) * SLOT;
      a0.max(min).min(max).intoArray(tail, t);
      a1.max(min).min(max).intoArray(tail, t + L);
      System.arraycopy(tail, t, out, o, outC - oc0);
    }
  }
}
