package io.kompakt.train;

/**
 * DEPTHWISE_CONV_2D for one sample: input [H, W, C], filter [1, KH, KW, C*M], optional bias [C*M], output
 * [OH, OW, C*M]; output channel {@code c*M + m} reads input channel {@code c}.
 */
final class DepthwiseNode extends Node {
  final int h, w, c, m, oh, ow, oc, kh, kw, sh, sw, dh, dw, padH, padW;
  final int filter, bias;
  final Activation act;

  DepthwiseNode(int opIndex, int[] inputs, int output, int[] inShape, int[] fShape, int[] outShape, int sh, int sw, int dh,
      int dw, int padH, int padW, Activation act) {
    super("DEPTHWISE_CONV_2D", opIndex, inputs, output);
    h = inShape[1]; w = inShape[2]; c = inShape[3];
    kh = fShape[1]; kw = fShape[2]; oc = fShape[3];
    m = oc / c;
    oh = outShape[1]; ow = outShape[2];
    this.sh = sh; this.sw = sw; this.dh = dh; this.dw = dw; this.padH = padH; this.padW = padW;
    this.act = act;
    filter = inputs[1];
    bias = inputs.length > 2 ? inputs[2] : -1;
  }

  @Override
  void forward(Workspace ws) {
    float[] in = ws.act[inputs[0]], out = ws.act[output], f = ws.act[filter];
    float[] b = bias >= 0 ? ws.act[bias] : null;
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int base = (y * ow + x) * oc;
        if (b != null) System.arraycopy(b, 0, out, base, oc);
        else java.util.Arrays.fill(out, base, base + oc, 0f);
        for (int ky = 0; ky < kh; ky++) {
          int iy = y * sh - padH + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = x * sw - padW + kx * dw;
            if (ix < 0 || ix >= w) continue;
            int inBase = (iy * w + ix) * c, fb = (ky * kw + kx) * oc;
            if (m == 1) {
              for (int ch = 0; ch < oc; ch++) out[base + ch] += in[inBase + ch] * f[fb + ch];
            } else {
              for (int ch = 0; ch < oc; ch++) out[base + ch] += in[inBase + ch / m] * f[fb + ch];
            }
          }
        }
        act.apply(out, base, oc);
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
        int base = (y * ow + x) * oc;
        if (dB != null) for (int ch = 0; ch < oc; ch++) dB[ch] += dOut[base + ch];
        for (int ky = 0; ky < kh; ky++) {
          int iy = y * sh - padH + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = x * sw - padW + kx * dw;
            if (ix < 0 || ix >= w) continue;
            int inBase = (iy * w + ix) * c, fb = (ky * kw + kx) * oc;
            for (int ch = 0; ch < oc; ch++) {
              float g = dOut[base + ch];
              int ic = inBase + ch / m;
              if (dF != null) dF[fb + ch] += g * in[ic];
              if (dIn != null) dIn[ic] += g * f[fb + ch];
            }
          }
        }
      }
    }
  }
}
