package io.kompakt.ops.conv;

import io.kompakt.engine.run.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * DEPTHWISE_CONV_2D with the Vector API for few channels (a divisor of the lanes, below them: 1, 2, 4, 8 with 16 float
 * lanes), stride 1, no dilation, multiplier 1: one vector holds {@code P = lanes / C} neighbouring output pixels with
 * all their channels, which lie side by side in NHWC, and so do the inputs of each tap for those pixels. Per tap one
 * load of the input, one fused multiply-add with the tap's weights repeated P times; register tile: 4 vectors (4P
 * pixels). {@link DepthwiseConv2dF32Vector} would fill only C of its lanes (MobileNet V1 0.25's first depthwise layer,
 * 8 channels, half of a 512-bit vector). Pixels whose taps leave the input along x (the borders) and the last pixels of
 * a row that fill no whole vector go one element at a time, over their valid taps. Every element adds bias, then its
 * taps in (ky, kx) order with fused multiply-adds, whichever path takes it; work items are output rows, so results do
 * not depend on the thread count. The taps of a row are one flat loop (JDK 17 boxes vector accumulators across nested
 * loops). Loaded only through {@link DepthwiseConv2dF32Fast} after
 * {@link io.kompakt.ops.common.VectorSupport#available()}.
 */
final class DepthwiseConv2dF32PixelsVector implements DepthwiseConv2dF32Fast.Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private final int batch, inH, inW, c, p, outH, outW, kH, kW, padTop, padLeft, x0, x1, grain;
  /** Per tap (ky, kx), ky outermost: input offset from the pixel's tap (0, 0). */
  private final int[] tapIn;
  /** Per tap: the tap's C weights repeated P times (one vector); and the bias, repeated. */
  private final float[] wRep, biasRep, w, bias;
  private final float min, max;
  private final Parallel parallel;
  private final Parallel.Body body = this::rows;
  private float[] in, out;
  private int inOff, outOff;

  /** Whether this kernel serves the geometry: see the class comment. */
  static boolean applies(DepthwiseConv2dReference.Geometry g) {
    return g.depthMultiplier() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
        && g.inC() < L && L % g.inC() == 0;
  }

  static DepthwiseConv2dF32Fast.Kernel create(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff,
                                              float min, float max, Parallel parallel) {
    return new DepthwiseConv2dF32PixelsVector(g, filter, fOff, bias, bOff, min, max, parallel);
  }

  private DepthwiseConv2dF32PixelsVector(DepthwiseConv2dReference.Geometry g, float[] filter, int fOff, float[] bias, int bOff,
                                         float min, float max, Parallel parallel) {
    if (!applies(g)) throw new IllegalArgumentException("the pixels-per-vector depthwise kernel does not serve " + g);
    batch = g.batch();
    inH = g.inH();
    inW = g.inW();
    c = g.inC();
    p = L / c;
    outH = g.outH();
    outW = g.outW();
    kH = g.kH();
    kW = g.kW();
    padTop = g.padTop();
    padLeft = g.padLeft();
    // pixels x whose taps x + kx - padLeft all lie in [0, inW)
    x0 = Math.min(outW, Math.max(0, padLeft));
    x1 = Math.max(x0, Math.min(outW, inW - kW + padLeft + 1));
    int taps = kH * kW;
    tapIn = new int[taps];
    w = new float[taps * c];
    wRep = new float[taps * L];
    for (int ky = 0; ky < kH; ky++) {
      for (int kx = 0; kx < kW; kx++) {
        int t = ky * kW + kx;
        tapIn[t] = (ky * inW + kx) * c;
        System.arraycopy(filter, fOff + t * c, w, t * c, c);
        for (int j = 0; j < L; j++) wRep[t * L + j] = filter[fOff + t * c + j % c];
      }
    }
    this.bias = new float[c];
    if (bias != null) System.arraycopy(bias, bOff, this.bias, 0, c);
    biasRep = new float[L];
    for (int j = 0; j < L; j++) biasRep[j] = this.bias[j % c];
    this.min = min;
    this.max = max;
    this.grain = Conv2dF32Fast.grain((long) outW * c * taps);
    this.parallel = parallel;
  }

  @Override
  public void run(float[] in, int inOff, float[] out, int outOff) {
    this.in = in;
    this.inOff = inOff;
    this.out = out;
    this.outOff = outOff;
    try {
      Conv2dF32Fast.forRange(parallel, batch * outH, grain, body);
    } finally {
      this.in = null;
      this.out = null;
    }
  }

  private void rows(int from, int to) {
    for (int row = from; row < to; row++) {
      int b = row / outH, oy = row - b * outH;
      int kyLo = Math.max(0, padTop - oy), kyHi = Math.min(kH, inH + padTop - oy);
      // input offset of pixel x's tap (0, 0) is base + x * c (taps above or below the input are never read)
      int base = inOff + ((b * inH + oy - padTop) * inW - padLeft) * c;
      int o = outOff + (b * outH + oy) * outW * c;
      for (int x = 0; x < x0; x++) pixel(base, o, x, kyLo, kyHi);
      int x = x0;
      if (kyLo < kyHi) {
        for (; x + 4 * p <= x1; x += 4 * p) tile4(base + x * c, o + x * c, kyLo * kW, kyHi * kW);
        for (; x + p <= x1; x += p) tile1(base + x * c, o + x * c, kyLo * kW, kyHi * kW);
      }
      for (; x < outW; x++) pixel(base, o, x, kyLo, kyHi);
    }
  }

  private void tile4(int i, int o, int t0, int t1) {
    final float[] in = this.in, wRep = this.wRep;
    final int[] tapIn = this.tapIn;
    FloatVector b = FloatVector.fromArray(S, biasRep, 0);
    FloatVector a0 = b, a1 = b, a2 = b, a3 = b;
    for (int t = t0; t < t1; t++) {
      FloatVector wv = FloatVector.fromArray(S, wRep, t * L);
      int k = i + tapIn[t];
      a0 = FloatVector.fromArray(S, in, k).fma(wv, a0);
      a1 = FloatVector.fromArray(S, in, k + L).fma(wv, a1);
      a2 = FloatVector.fromArray(S, in, k + 2 * L).fma(wv, a2);
      a3 = FloatVector.fromArray(S, in, k + 3 * L).fma(wv, a3);
    }
    final float[] out = this.out;
    a0.max(min).min(max).intoArray(out, o);
    a1.max(min).min(max).intoArray(out, o + L);
    a2.max(min).min(max).intoArray(out, o + 2 * L);
    a3.max(min).min(max).intoArray(out, o + 3 * L);
  }

  private void tile1(int i, int o, int t0, int t1) {
    final float[] in = this.in;
    FloatVector a = FloatVector.fromArray(S, biasRep, 0);
    for (int t = t0; t < t1; t++) a = FloatVector.fromArray(S, in, i + tapIn[t]).fma(FloatVector.fromArray(S, wRep, t * L), a);
    a.max(min).min(max).intoArray(out, o);
  }

  /** One output pixel, element by element, over its valid taps (the same order and fused multiply-adds). */
  private void pixel(int base, int o, int x, int kyLo, int kyHi) {
    final float[] in = this.in, out = this.out, w = this.w;
    int kxLo = Math.max(0, padLeft - x), kxHi = Math.min(kW, inW + padLeft - x);
    for (int ch = 0; ch < c; ch++) {
      float acc = bias[ch];
      for (int ky = kyLo; ky < kyHi; ky++) {
        for (int kx = kxLo; kx < kxHi; kx++) {
          int t = ky * kW + kx;
          acc = Math.fma(in[base + x * c + tapIn[t] + ch], w[t * c + ch], acc);
        }
      }
      out[o + x * c + ch] = Math.min(Math.max(acc, min), max);
    }
  }
}
