package io.kompakt.train;

/**
 * MAX_POOL_2D or AVERAGE_POOL_2D for one sample, as TFLite computes them: the window's in-bounds part only (the
 * average divides by the in-bounds count; padding never wins a max). Max pooling keeps the position of each
 * maximum (first one on ties) in the thread's scratch for the backward pass.
 */
final class PoolNode extends Node {
  final boolean max;
  final int h, w, c, oh, ow, fh, fw, sh, sw, padH, padW;
  final Activation act;

  PoolNode(String op, int opIndex, int[] inputs, int output, int[] inShape, int[] outShape, int fh, int fw, int sh, int sw,
      int padH, int padW, Activation act) {
    super(op, opIndex, inputs, output);
    max = op.equals("MAX_POOL_2D");
    h = inShape[1]; w = inShape[2]; c = inShape[3];
    oh = outShape[1]; ow = outShape[2];
    this.fh = fh; this.fw = fw; this.sh = sh; this.sw = sw; this.padH = padH; this.padW = padW;
    this.act = act;
  }

  @Override
  int[] scratch() { return max ? new int[oh * ow * c] : null; }

  @Override
  void forward(Workspace ws) {
    float[] in = ws.act[inputs[0]], out = ws.act[output];
    int[] arg = ws.scratch[id];
    for (int y = 0; y < oh; y++) {
      int y0 = Math.max(0, y * sh - padH), y1 = Math.min(h, y * sh - padH + fh);
      for (int x = 0; x < ow; x++) {
        int x0 = Math.max(0, x * sw - padW), x1 = Math.min(w, x * sw - padW + fw);
        int base = (y * ow + x) * c;
        for (int ch = 0; ch < c; ch++) {
          if (max) {
            float best = Float.NEGATIVE_INFINITY;
            int at = (y0 * w + x0) * c + ch;
            for (int iy = y0; iy < y1; iy++) {
              for (int ix = x0; ix < x1; ix++) {
                int k = (iy * w + ix) * c + ch;
                if (in[k] > best) { best = in[k]; at = k; }
              }
            }
            out[base + ch] = best;
            arg[base + ch] = at;
          } else {
            float sum = 0;
            for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) sum += in[(iy * w + ix) * c + ch];
            out[base + ch] = sum / ((y1 - y0) * (x1 - x0));
          }
        }
        act.apply(out, base, c);
      }
    }
  }

  @Override
  void backward(Workspace ws) {
    float[] dIn = ws.grad[inputs[0]];
    if (dIn == null) return;
    float[] out = ws.act[output], dOut = ws.grad[output];
    act.backward(out, dOut);
    int[] arg = ws.scratch[id];
    for (int y = 0; y < oh; y++) {
      int y0 = Math.max(0, y * sh - padH), y1 = Math.min(h, y * sh - padH + fh);
      for (int x = 0; x < ow; x++) {
        int x0 = Math.max(0, x * sw - padW), x1 = Math.min(w, x * sw - padW + fw);
        int base = (y * ow + x) * c;
        for (int ch = 0; ch < c; ch++) {
          float g = dOut[base + ch];
          if (max) {
            dIn[arg[base + ch]] += g;
          } else {
            g /= (y1 - y0) * (x1 - x0);
            for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) dIn[(iy * w + ix) * c + ch] += g;
          }
        }
      }
    }
  }
}
