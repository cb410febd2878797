package io.kompakt.compress.quant;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.common.Padding;
import java.util.ArrayList;
import java.util.List;

/**
 * For each CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED of a float model, the mean of what each of its weights
 * multiplies, over every output position and sample seen: for a convolution the mean input patch {@code [KH][KW][C]}
 * (taps falling into the padding count as zeros), for a dense layer the mean input row {@code [I]}. A layer being
 * linear before its bias, {@code sum(dW * mean)} over an output channel's weights is the mean change of that
 * channel's output when its weights change by {@code dW}: what empirical bias correction subtracts.
 */
final class LayerInputMeans {
  private final Acc[] byOp;
  private final List<List<Acc>> byTensor;

  private LayerInputMeans(Acc[] byOp, List<List<Acc>> byTensor) {
    this.byOp = byOp;
    this.byTensor = byTensor;
  }

  static LayerInputMeans of(Model model) {
    Subgraph g = model.mainSubgraph();
    Acc[] byOp = new Acc[g.operators().size()];
    List<List<Acc>> byTensor = new ArrayList<>();
    for (int i = 0; i < g.tensors().size(); i++) byTensor.add(new ArrayList<>());
    for (Operator op : g.operators()) {
      String type = op.name();
      if (!GraphEdits.isConvLike(type) || op.inputs().length < 2 || op.inputs()[0] < 0 || op.inputs()[1] < 0) continue;
      int x = op.inputs()[0];
      if (g.tensor(x).type() != TensorType.FLOAT32) continue;
      int[] w = g.tensor(op.inputs()[1]).shape();
      Acc a = new Acc(type, w, op.options());
      byOp[op.index()] = a;
      byTensor.get(x).add(a);
    }
    return new LayerInputMeans(byOp, byTensor);
  }

  /** Adds a tensor's values (a graph input after it was filled, or an op's output) to the layers that read it. */
  void observe(RuntimeTensor t) {
    if (t.index < 0 || t.index >= byTensor.size() || t.type != TensorType.FLOAT32) return;
    for (Acc a : byTensor.get(t.index)) a.add(t);
  }

  /** The mean input patch (or row) of op {@code op}, or null if it is not such a layer or saw nothing. */
  double[] mean(int op) {
    Acc a = op >= 0 && op < byOp.length ? byOp[op] : null;
    if (a == null || a.count == 0) return null;
    double[] m = a.sum.clone();
    for (int i = 0; i < m.length; i++) m[i] /= a.count;
    return m;
  }

  /**
   * The mean change of each output channel of a {@code type} layer (weights of shape {@code shape}) when its weights
   * change by {@code delta}, for inputs of mean {@code mean} ({@link #mean}): {@code sum(delta * mean)} over the
   * channel's weights.
   */
  static double[] meanOutputChange(String type, int[] shape, float[] delta, double[] mean) {
    switch (type) {
      case "DEPTHWISE_CONV_2D": {
        int taps = shape[1] * shape[2], out = shape[3], in = mean.length / taps, multiplier = out / in;
        if (in * taps != mean.length || in * multiplier != out) throw new IllegalArgumentException("depthwise filter " + java.util.Arrays.toString(shape) + " and mean of " + mean.length);
        double[] e = new double[out];
        for (int t = 0; t < taps; t++) for (int o = 0; o < out; o++) e[o] += delta[t * out + o] * mean[t * in + o / multiplier];
        return e;
      }
      case "CONV_2D": case "FULLY_CONNECTED": {
        int out = shape[0], per = delta.length / out;
        if (per != mean.length) throw new IllegalArgumentException(type + " weights " + java.util.Arrays.toString(shape) + " and mean of " + mean.length);
        double[] e = new double[out];
        for (int o = 0; o < out; o++) {
          double sum = 0;
          for (int j = 0; j < per; j++) sum += delta[o * per + j] * mean[j];
          e[o] = sum;
        }
        return e;
      }
      default: throw new IllegalArgumentException("not a conv-like op: " + type);
    }
  }

  private static final class Acc {
    final String type;
    final int kh, kw, sh, sw, dh, dw, in;
    final boolean same;
    double[] sum;
    long count;

    Acc(String type, int[] w, FlatTable o) {
      this.type = type;
      if (type.equals("FULLY_CONNECTED")) {
        in = w[1];
        kh = kw = sh = sw = dh = dw = 1;
        same = false;
      } else {
        in = -1;
        kh = w[1];
        kw = w[2];
        same = o.getEnumName("padding").equals("SAME");
        sh = o.getInt("stride_h");
        sw = o.getInt("stride_w");
        dh = o.getInt("dilation_h_factor");
        dw = o.getInt("dilation_w_factor");
      }
    }

    void add(RuntimeTensor t) {
      float[] x = t.f32;
      int off = t.offset;
      if (in > 0) { // dense: the mean row
        if (sum == null) sum = new double[in];
        int rows = t.size() / in;
        for (int r = 0; r < rows; r++) for (int j = 0; j < in; j++) sum[j] += x[off + r * in + j];
        count += rows;
        return;
      }
      int n = t.dim(0), h = t.dim(1), w = t.dim(2), c = t.dim(3);
      if (sum == null) sum = new double[kh * kw * c];
      int oh = Padding.outSize(same, h, kh, sh, dh), ow = Padding.outSize(same, w, kw, sw, dw);
      int ph = Padding.padBefore(same, h, kh, sh, dh, oh), pw = Padding.padBefore(same, w, kw, sw, dw, ow);
      for (int b = 0; b < n; b++) {
        for (int ky = 0; ky < kh; ky++) {
          for (int kx = 0; kx < kw; kx++) {
            int tap = (ky * kw + kx) * c;
            for (int oy = 0; oy < oh; oy++) {
              int iy = oy * sh - ph + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (int ox = 0; ox < ow; ox++) {
                int ix = ox * sw - pw + kx * dw;
                if (ix < 0 || ix >= w) continue;
                int base = off + ((b * h + iy) * w + ix) * c;
                for (int k = 0; k < c; k++) sum[tap + k] += x[base + k];
              }
            }
          }
        }
      }
      count += (long) n * oh * ow;
    }
  }
}
