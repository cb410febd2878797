package io.kompakt.measure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG plots of measurements (XChart, headless). */
public final class Plots {
  private Plots() {}

  /** Per-run latency as a line and its histogram, side by side, written atomically to {@code png}. */
  public static void latency(LatencyBench.Result r, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Integer> xs = new ArrayList<>();
    for (int i = 0; i < r.runsMs().size(); i++) xs.add(i + 1);
    String title = Path.of(r.model()).getFileName() + " (" + r.kernels() + ", " + r.threads() + " thread" + (r.threads() > 1 ? "s" : "") + ")";
    XYChart line = new XYChartBuilder().width(700).height(420).title(title).xAxisTitle("run").yAxisTitle("latency (ms)").build();
    line.getStyler().setLegendVisible(false);
    line.addSeries("latency", xs, r.runsMs());
    Histogram h = histogram(r.runsMs(), Math.max(5, Math.min(40, (int) Math.sqrt(r.runsMs().size()) * 2)));
    List<String> labels = h.labels();
    List<Integer> counts = h.counts();
    CategoryChart hist = new CategoryChartBuilder().width(700).height(420).title("median " + String.format(java.util.Locale.ROOT, "%.3f", r.medianMs()) + " ms")
        .xAxisTitle("latency (ms)").yAxisTitle("runs").build();
    hist.getStyler().setLegendVisible(false);
    hist.getStyler().setXAxisLabelRotation(60);
    hist.addSeries("runs", labels, counts);
    java.awt.image.BufferedImage a = BitmapEncoder.getBufferedImage(line), b = BitmapEncoder.getBufferedImage(hist);
    java.awt.image.BufferedImage both = new java.awt.image.BufferedImage(a.getWidth() + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = both.createGraphics();
    g.drawImage(a, 0, 0, null);
    g.drawImage(b, a.getWidth(), 0, null);
    g.dispose();
    io.kompakt.engine.AtomicFiles.write(png, out -> javax.imageio.ImageIO.write(both, "png", out));
  }

  /** A histogram's bars: a label (bin centre, ms) and a count each. */
  public record Histogram(List<String> labels, List<Integer> counts) {}

  /**
   * Latencies in {@code bins} equal bins from the least to the 99th percentile (nearest rank), and, if any run is
   * slower than that, one more bar labelled {@code "> p99"} counting those runs, so that a few stalls (a GC, the host)
   * do not squeeze every other run into the first bin. Every run is counted once.
   */
  public static Histogram histogram(List<Double> ms, int bins) {
    if (bins < 1) throw new IllegalArgumentException("bins " + bins);
    List<String> labels = new ArrayList<>();
    List<Integer> counts = new ArrayList<>();
    if (ms.isEmpty()) return new Histogram(labels, counts);
    List<Double> sorted = new ArrayList<>(ms);
    sorted.sort(null);
    double lo = sorted.get(0), hi = sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * 0.99) - 1));
    double width = hi > lo ? (hi - lo) / bins : 1;
    int over = 0;
    for (int b = 0; b < bins; b++) {
      labels.add(String.format(java.util.Locale.ROOT, "%.2f", lo + (b + 0.5) * width));
      counts.add(0);
    }
    for (double v : ms) {
      if (v > hi) {
        over++;
        continue;
      }
      int b = Math.min(bins - 1, (int) ((v - lo) / width));
      counts.set(b, counts.get(b) + 1);
    }
    if (over > 0) {
      labels.add(String.format(java.util.Locale.ROOT, "> %.2f", hi));
      counts.add(over);
    }
    return new Histogram(labels, counts);
  }

  /**
   * Lines of y against x, one per series (name to {xs, ys}), e.g. a pruning sensitivity curve per layer; the legend is
   * shown for up to 16 series. Written atomically to {@code png}.
   */
  public static void lines(String title, String xTitle, String yTitle, java.util.Map<String, double[][]> series, Path png)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(1000).height(620).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendVisible(series.size() <= 16);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    for (java.util.Map.Entry<String, double[][]> e : series.entrySet()) {
      double[] ys = e.getValue()[1].clone();
      for (int i = 0; i < ys.length; i++) if (!Double.isFinite(ys[i])) ys[i] = Double.NaN;
      chart.addSeries(e.getKey(), e.getValue()[0], ys).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.CIRCLE);
    }
    java.awt.image.BufferedImage img = BitmapEncoder.getBufferedImage(chart);
    io.kompakt.engine.AtomicFiles.write(png, out -> javax.imageio.ImageIO.write(img, "png", out));
  }

  /**
   * Training curves: loss per epoch (left) and accuracy per epoch (right), one line per named series, written
   * atomically to {@code png}. Series may be shorter than others (e.g. no test figure yet).
   */
  public static void trainingCurves(String title, java.util.Map<String, List<Double>> loss, java.util.Map<String, List<Double>> accuracy,
      Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart l = new XYChartBuilder().width(700).height(420).title(title + ": loss").xAxisTitle("epoch").yAxisTitle("cross-entropy").build();
    XYChart a = new XYChartBuilder().width(700).height(420).title(title + ": accuracy").xAxisTitle("epoch").yAxisTitle("accuracy").build();
    addSeries(l, loss);
    addSeries(a, accuracy);
    java.awt.image.BufferedImage x = BitmapEncoder.getBufferedImage(l), y = BitmapEncoder.getBufferedImage(a);
    java.awt.image.BufferedImage both = new java.awt.image.BufferedImage(x.getWidth() + y.getWidth(), Math.max(x.getHeight(), y.getHeight()),
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = both.createGraphics();
    g.drawImage(x, 0, 0, null);
    g.drawImage(y, x.getWidth(), 0, null);
    g.dispose();
    io.kompakt.engine.AtomicFiles.write(png, out -> javax.imageio.ImageIO.write(both, "png", out));
  }

  private static void addSeries(XYChart c, java.util.Map<String, List<Double>> series) {
    for (java.util.Map.Entry<String, List<Double>> e : series.entrySet()) {
      if (e.getValue().isEmpty()) continue;
      List<Integer> xs = new ArrayList<>();
      for (int i = 0; i < e.getValue().size(); i++) xs.add(i + 1);
      c.addSeries(e.getKey(), xs, e.getValue());
    }
  }
}
