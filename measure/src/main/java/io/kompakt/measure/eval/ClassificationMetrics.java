package io.kompakt.measure.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Accuracy of a classifier over labelled images: top-1 and top-5, a confusion matrix (rows: true class, columns:
 * predicted), and per class precision, recall (= the class's accuracy) and F1. Images without a label (-1) are
 * left out. A class with no prediction has precision 0, one with no image recall 0 (as scikit-learn's
 * {@code zero_division=0}); macro averages are over the classes that have images.
 */
public record ClassificationMetrics(int images, int top1Correct, int top5Correct, int[][] confusion, List<PerClass> perClass) {

  /** One class: its images (support), what was predicted as it, and the three ratios. */
  public record PerClass(int index, String name, int support, int predicted, int correct, double precision, double recall, double f1) {}

  /**
   * @param labels true class per image (-1: unlabelled, skipped)
   * @param top predicted classes per image, best first (at least one)
   * @param classNames names by index; the number of classes is the larger of its size and the largest label or prediction + 1
   */
  public static ClassificationMetrics of(int[] labels, int[][] top, List<String> classNames) {
    if (labels.length != top.length) throw new IllegalArgumentException(labels.length + " labels but " + top.length + " predictions");
    int n = classNames.size();
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0) continue;
      n = Math.max(n, labels[i] + 1);
      n = Math.max(n, top[i][0] + 1);
    }
    int[][] confusion = new int[n][n];
    int images = 0, top1 = 0, top5 = 0;
    for (int i = 0; i < labels.length; i++) {
      int y = labels[i];
      if (y < 0) continue;
      images++;
      confusion[y][top[i][0]]++;
      if (top[i][0] == y) top1++;
      for (int k = 0; k < Math.min(5, top[i].length); k++) {
        if (top[i][k] == y) {
          top5++;
          break;
        }
      }
    }
    List<PerClass> per = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      int support = 0, predicted = 0;
      for (int k = 0; k < n; k++) {
        support += confusion[c][k];
        predicted += confusion[k][c];
      }
      int tp = confusion[c][c];
      double p = predicted == 0 ? 0 : (double) tp / predicted, r = support == 0 ? 0 : (double) tp / support;
      per.add(new PerClass(c, c < classNames.size() ? classNames.get(c) : String.valueOf(c), support, predicted, tp, p, r,
          p + r == 0 ? 0 : 2 * p * r / (p + r)));
    }
    return new ClassificationMetrics(images, top1, top5, confusion, per);
  }

  public double top1() { return images == 0 ? Double.NaN : (double) top1Correct / images; }

  public double top5() { return images == 0 ? Double.NaN : (double) top5Correct / images; }

  /** Mean F1 over the classes that have images. */
  public double macroF1() {
    double s = 0;
    int k = 0;
    for (PerClass c : perClass) {
      if (c.support() == 0) continue;
      s += c.f1();
      k++;
    }
    return k == 0 ? Double.NaN : s / k;
  }

  /** The fraction of images where two runs' top-1 classes agree (all images, labelled or not). */
  public static double agreement(int[][] a, int[][] b) {
    if (a.length != b.length) throw new IllegalArgumentException(a.length + " vs " + b.length + " predictions");
    if (a.length == 0) return Double.NaN;
    int same = 0;
    for (int i = 0; i < a.length; i++) if (a[i][0] == b[i][0]) same++;
    return (double) same / a.length;
  }

  /** The confusion matrix as aligned text (rows true, columns predicted), class indices as headers. */
  public String confusionText() {
    int n = confusion.length, w = 4;
    for (int[] row : confusion) for (int v : row) w = Math.max(w, String.valueOf(v).length() + 1);
    StringBuilder sb = new StringBuilder(String.format("%" + w + "s", "t\\p"));
    for (int c = 0; c < n; c++) sb.append(String.format("%" + w + "d", c));
    sb.append('\n');
    for (int r = 0; r < n; r++) {
      sb.append(String.format("%" + w + "d", r));
      for (int c = 0; c < n; c++) sb.append(String.format("%" + w + "d", confusion[r][c]));
      sb.append("   ").append(perClass.get(r).name()).append('\n');
    }
    return sb.toString();
  }
}
