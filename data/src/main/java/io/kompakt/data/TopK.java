package io.kompakt.data;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.ArrayList;
import java.util.List;

/** The K highest scores of a classifier's output: higher value first, ties by lower class index. */
public final class TopK {
  private TopK() {}

  /** One class: its index and its score (quantized outputs dequantized with the tensor's scale and zero point). */
  public record Entry(int index, double score) {}

  public static List<Entry> of(RuntimeTensor out, int k) {
    int n = out.size();
    double[] scores = new double[n];
    boolean quantized = out.type != TensorType.FLOAT32 && out.quantization.isQuantized();
    for (int i = 0; i < n; i++) scores[i] = quantized ? out.scale() * (out.get(i) - out.zeroPoint()) : out.get(i);
    List<Entry> best = new ArrayList<>();
    boolean[] taken = new boolean[n];
    for (int r = 0; r < Math.min(k, n); r++) {
      int arg = -1;
      for (int i = 0; i < n; i++) {
        if (taken[i]) continue;
        if (arg < 0 || out.get(i) > out.get(arg)) arg = i; // compare raw values: exact for quantized outputs
      }
      taken[arg] = true;
      best.add(new Entry(arg, scores[arg]));
    }
    return best;
  }
}
