package io.kompakt.train;

/**
 * CONV_2D for one sample: input [H, W, C], filter [O, KH, KW, C] (OHWI), optional bias [O], output [OH, OW, O], with
 * TFLite's padding (SAME: the extra unit after), strides, dilations and fused activation. The forward pass reads the
 * filter repacked as [KH][KW][C][O] so that its inner loop runs over output channels; the backward pass reads and
 * writes the OHWI layout (inner loops over input channels).
 */
final class ConvNode extends Node {
  final int h, w, c, oh, ow, o, kh, kw, sh, sw, dh, dw, padH, padW;
  final int filter, bias;
  final Activation act;
  private final float[] packed;
  private final float[][] constants;

  ConvNode(int opIndex, int[] inputs, int output, int[] inShape, int[] fShape, int[] outShape, int sh, int sw, int dh, int dw,
      int padH, int padW, Activation act, float[][] constants) {
    super("CONV_2D", opIndex, inputs, output);
    h = inShape[1]; w = inShape[2]; c = inShape[3];
    o = fShape[0]; kh = fShape[1]; kw = fShape[2];
    oh = outShape[1]; ow = outShape[2];
    this.sh = sh; this.sw = sw; this.dh = dh; this.dw = dw; this.padH = padH; this.padW = padW;
    this.act = act;
    filter = inputs[1];
    bias = inputs.length > 2 ? inputs[2] : -1;
    packed = new float[o * kh * kw * c];
    this.constants = constants;
  }

  @Override
  void refresh() {
    float[] f = constants[filter];
    for (int oc = 0; oc < o; oc++) {
      for (int k = 0; k < kh * kw; k++) {
        for (int ic = 0; ic < c; ic++) packed[(k * c + ic) * o + oc] = f[(oc * kh * kw + k) * c + ic];
      }
    }
  }

  @Override
  void forward(Workspace ws) {
    float[] in = ws.act[inputs[0]], out = ws.act[output];
    float[] b = bias >= 0 ? ws.act[bias] : null;
    float[] p = packed;
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int base = (y * ow + x) * o;
        if (b != null) System.arraycopy(b, 0, out, base, o);
        else java.util.Arrays.fill(out, base, base + o, 0f);
        for (int ky = 0; ky < kh; ky++) {
          int iy = y * sh - padH + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = x * sw - padW + kx * dw;
            if (ix < 0 || ix >= w) continue;
            int inBase = (iy * w + ix) * c, pBase = (ky * kw + kx) * c * o;
            for (int ic = 0; ic < c; ic++) {
              float v = in[inBase + ic];
              if (v == 0f) continue;
              int pb = pBase + ic * o;
              for (int oc = 0; oc < o; oc++) out[base + oc] += v * p[pb + oc];
            }
          }
        }
        act.apply(out, base, o);
      }
    }
  }

  @Override
  void backward(Workspace ws) {
    float[] in = ws.act[inputs[0]], out = ws.act[output], dOut = ws.grad[output];
    float[] dIn = ws.grad[inputs[0]], f = ws.act[filter], dF = ws.grad[filter];
    float[] dB = bias >= 0 ? ws.grad[bias] : null;
    act.backward(out, dOut);
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int base = (y * ow + x) * o;
        if (dB != null) for (int oc = 0; oc < o; oc++) dB[oc] += dOut[base + oc];
        for (int ky = 0; ky < kh; ky++) {
          int iy = y * sh - padH + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = x * sw - padW + kx * dw;
            if (ix < 0 || ix >= w) continue;
            int inBase = (iy * w + ix) * c;
            for (int oc = 0; oc < o; oc++) {
              float g = dOut[base + oc];
              if (g == 0f) continue;
              int fb = ((oc * kh + ky) * kw + kx) * c;
              if (dF != null) for (int ic = 0; ic < c; ic++) dF[fb + ic] += g * in[inBase + ic];
              if (dIn != null) for (int ic = 0; ic < c; ic++) dIn[inBase + ic] += g * f[fb + ic];
            }
          }
        }
      }
    }
  }
}
