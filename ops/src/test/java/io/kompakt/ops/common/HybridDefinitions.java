package io.kompakt.ops.common;

import java.util.Random;

/**
 * Hybrid (dynamic-range) FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D written down from TensorFlow Lite's
 * formulas (tensor_utils' Symmetric/AsymmetricQuantizeFloats, fully_connected.cc EvalHybridDense, conv.cc
 * EvalHybrid / EvalHybridPerChannel with the optimized HybridConv / HybridConvPerChannel, depthwise_conv.cc
 * EvalHybridPerChannel with DepthwiseConvHybridGeneral), independently of the kernels: the integer part in long
 * over an im2col matrix or a zero-point-padded image, as TFLite's optimized kernels lay it out, the float part in
 * the order TFLite rounds it.
 */
public final class HybridDefinitions {
  private HybridDefinitions() {}

  /** One quantized row: values, scale, zero point. */
  public record Row(int[] q, float scale, int zeroPoint) {}

  /** std::round of a float (halves away from zero): exact, as a float plus 0.5 is exact in double. */
  static long roundFloat(float v) {
    double d = v;
    return d < 0 ? -(long) Math.floor(-d + 0.5) : (long) Math.floor(d + 0.5);
  }

  /** C round of a double. */
  static long roundDouble(double d) {
    java.math.BigDecimal b = new java.math.BigDecimal(d).setScale(0, java.math.RoundingMode.HALF_UP); // HALF_UP is away from zero
    return b.longValueExact();
  }

  static int clamp(long v, int lo, int hi) { return (int) Math.max(lo, Math.min(hi, v)); }

  public static Row symmetric(float[] x, int off, int n) {
    float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      lo = Math.min(lo, x[off + i]);
      hi = Math.max(hi, x[off + i]);
    }
    int[] q = new int[n];
    float range = Math.max(Math.abs(lo), Math.abs(hi));
    if (range == 0f) return new Row(q, 1f, 0);
    float inverse = 127 / range;
    for (int i = 0; i < n; i++) q[i] = clamp(roundFloat(x[off + i] * inverse), -127, 127);
    return new Row(q, range / 127, 0);
  }

  public static Row asymmetric(float[] x, int off, int n) {
    float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      lo = Math.min(lo, x[off + i]);
      hi = Math.max(hi, x[off + i]);
    }
    int[] q = new int[n];
    double rmin = Math.min(lo, 0.0), rmax = Math.max(hi, 0.0);
    if (rmin == rmax) return new Row(q, 1f, 0);
    double qmin = -128, qmax = 127;
    double scale = (rmax - rmin) / (qmax - qmin);
    double fromMin = qmin - rmin / scale, fromMax = qmax - rmax / scale;
    double z = Math.abs(qmin) + Math.abs(rmin / scale) < Math.abs(qmax) + Math.abs(rmax / scale) ? fromMin : fromMax;
    int zp = z <= qmin ? -128 : z >= qmax ? 127 : (int) roundDouble(z);
    float s = (float) scale, inverse = 1.0f / s;
    for (int i = 0; i < n; i++) q[i] = clamp(roundFloat(zp + x[off + i] * inverse), -128, 127);
    return new Row(q, s, zp);
  }

  static float weightScale(float[] scales, int c) { return scales.length == 1 ? scales[0] : scales[c]; }

  /**
   * FULLY_CONNECTED: {@code out[b, u] = act(bias[u] + (sum w*q - rowSum * zp) * (s_b * s_w))}; a zero input
   * gives {@code act(bias)}. {@code min}/{@code max} are infinite for NONE (TFLite leaves the values alone).
   */
  public static float[] fullyConnected(int batch, int depth, int units, float[] x, byte[] w, float[] wScales, float[] bias,
                                       boolean asymmetric, float min, float max) {
    float[] out = new float[batch * units];
    boolean zero = true;
    for (float v : x) zero &= v == 0f;
    for (int b = 0; b < batch; b++) {
      Row r = asymmetric ? asymmetric(x, b * depth, depth) : symmetric(x, b * depth, depth);
      for (int u = 0; u < units; u++) {
        float v = bias == null ? 0f : bias[u];
        if (!zero) {
          long dot = 0, rowSum = 0;
          for (int d = 0; d < depth; d++) {
            dot += (long) w[u * depth + d] * r.q()[d];
            rowSum += w[u * depth + d];
          }
          long acc = dot - rowSum * r.zeroPoint();
          float scale = r.scale() * weightScale(wScales, u);
          v = v + (float) (int) acc * scale;
        }
        out[b * units + u] = Math.min(Math.max(v, min), max);
      }
    }
    return out;
  }

  /** Whether TFLite's CONV_2D takes the per-channel path: several scales, not all equal. */
  public static boolean convPerChannel(float[] scales) {
    for (float s : scales) if (s != scales[0]) return true;
    return false;
  }

  /**
   * CONV_2D (NHWC, OHWI, stride, dilation, padding): per channel, images quantized asymmetrically, im2col padded with
   * the zero point, {@code acc = W * col - rowSum * zp}; per tensor, symmetric, padding 0;
   * {@code out = clamp(acc * (s_b * s_w) + bias)}.
   */
  public static float[] conv(int batch, int inH, int inW, int inC, int outH, int outW, int outC, int kH, int kW,
                             int sH, int sW, int dH, int dW, int padTop, int padLeft, float[] x, byte[] w,
                             float[] wScales, float[] bias, float min, float max) {
    boolean perChannel = convPerChannel(wScales);
    float[] out = new float[batch * outH * outW * outC];
    int image = inH * inW * inC, cols = kH * kW * inC;
    long[] rowSum = new long[outC];
    for (int oc = 0; oc < outC; oc++) for (int k = 0; k < cols; k++) rowSum[oc] += w[oc * cols + k];
    for (int b = 0; b < batch; b++) {
      Row r = perChannel ? asymmetric(x, b * image, image) : symmetric(x, b * image, image);
      int[] col = new int[cols];
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          for (int ky = 0; ky < kH; ky++) {
            for (int kx = 0; kx < kW; kx++) {
              int iy = oy * sH - padTop + ky * dH, ix = ox * sW - padLeft + kx * dW;
              boolean inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW;
              for (int ic = 0; ic < inC; ic++) {
                col[(ky * kW + kx) * inC + ic] = inside ? r.q()[(iy * inW + ix) * inC + ic] : r.zeroPoint();
              }
            }
          }
          for (int oc = 0; oc < outC; oc++) {
            long dot = 0;
            for (int k = 0; k < cols; k++) dot += (long) w[oc * cols + k] * col[k];
            int acc = (int) (dot - rowSum[oc] * r.zeroPoint());
            float v = (float) acc * (r.scale() * (perChannel ? wScales[oc] : wScales[0]));
            if (bias != null) v = v + bias[oc];
            out[((b * outH + oy) * outW + ox) * outC + oc] = Math.min(Math.max(v, min), max);
          }
        }
      }
    }
    return out;
  }

  /**
   * DEPTHWISE_CONV_2D: images quantized asymmetrically; over an image padded with its zero point,
   * {@code acc = sum w * (q - zp)}; {@code out = clamp((acc * s_b) * s_w + bias)}.
   */
  public static float[] depthwise(int batch, int inH, int inW, int inC, int mult, int outH, int outW, int kH, int kW,
                                  int sH, int sW, int dH, int dW, int padTop, int padLeft, float[] x, byte[] w,
                                  float[] wScales, float[] bias, float min, float max) {
    int outC = inC * mult, image = inH * inW * inC;
    float[] out = new float[batch * outH * outW * outC];
    // padded image: a border wide enough for every tap
    int border = Math.max((kH - 1) * dH, (kW - 1) * dW) + Math.max(padTop, padLeft) + Math.max(sH, sW) * Math.max(outH, outW);
    int pH = inH + 2 * border, pW = inW + 2 * border;
    for (int b = 0; b < batch; b++) {
      Row r = asymmetric(x, b * image, image);
      int[] padded = new int[pH * pW * inC];
      java.util.Arrays.fill(padded, r.zeroPoint());
      for (int y = 0; y < inH; y++) {
        for (int xx = 0; xx < inW; xx++) {
          for (int c = 0; c < inC; c++) padded[((y + border) * pW + xx + border) * inC + c] = r.q()[(y * inW + xx) * inC + c];
        }
      }
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          for (int oc = 0; oc < outC; oc++) {
            int ic = oc / mult;
            long acc = 0;
            for (int ky = 0; ky < kH; ky++) {
              for (int kx = 0; kx < kW; kx++) {
                int py = oy * sH - padTop + ky * dH + border, px = ox * sW - padLeft + kx * dW + border;
                acc += (long) w[(ky * kW + kx) * outC + oc] * (padded[(py * pW + px) * inC + ic] - r.zeroPoint());
              }
            }
            float v = (float) (int) acc * r.scale();
            v = v * weightScale(wScales, oc);
            if (bias != null) v = v + bias[oc];
            out[((b * outH + oy) * outW + ox) * outC + oc] = Math.min(Math.max(v, min), max);
          }
        }
      }
    }
    return out;
  }

  /**
   * Random float activations, row by row (a row being {@code rowSize} values): uniform in varied magnitudes, all
   * zero, all positive, all negative, constant, or halves of [-127, 127] with 127 present (ties everywhere for the
   * symmetric quantizer), or an all-zero row among others.
   */
  public static float[] activations(Random r, int rows, int rowSize) {
    float[] x = new float[rows * rowSize];
    for (int b = 0; b < rows; b++) {
      int mode = r.nextInt(8);
      double magnitude = Math.pow(10, -3 + 6 * r.nextDouble());
      for (int i = 0; i < rowSize; i++) {
        double u = r.nextDouble() * 2 - 1;
        double v;
        switch (mode) {
          case 1: v = 0; break;
          case 2: v = Math.abs(u) * magnitude; break;
          case 3: v = -Math.abs(u) * magnitude; break;
          case 4: v = magnitude; break;
          case 5: v = Math.floor(u * 254) / 2; break;
          default: v = u * magnitude;
        }
        x[b * rowSize + i] = (float) v;
      }
      if (mode == 5) x[b * rowSize + r.nextInt(rowSize)] = r.nextBoolean() ? 127f : -127f;
    }
    return x;
  }

  /** Random int8 weights in [-127, 127], sometimes with an all-zero channel of {@code channelSize} values. */
  public static byte[] weights(Random r, int n) {
    byte[] w = new byte[n];
    for (int i = 0; i < n; i++) w[i] = (byte) (r.nextInt(255) - 127);
    return w;
  }

  /** Weight scales: one, several distinct, or several equal (TFLite's conv then takes its per-tensor path). */
  public static float[] weightScales(Random r, int channels, int kind) {
    float base = (float) Math.pow(2, -12 + 8 * r.nextDouble());
    if (kind == 0 || channels == 1) return new float[] {base};
    float[] s = new float[channels];
    for (int c = 0; c < channels; c++) s[c] = kind == 1 ? (float) (base * Math.pow(2, 3 * r.nextDouble() - 1.5)) : base;
    if (kind == 1 && channels > 1 && s[1] == s[0]) s[1] = Math.nextUp(s[0]);
    return s;
  }
}
