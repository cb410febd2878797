package io.kompakt.measure.eval;

import io.kompakt.engine.AtomicFiles;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The plots of evaluation and experiment reports (XChart, headless), written atomically as PNG and SVG. */
public final class EvalPlots {
  private EvalPlots() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** Writes a chart as PNG to {@code png}. */
  public static void png(Chart<?, ?> chart, Path png) throws IOException {
    BufferedImage img = BitmapEncoder.getBufferedImage(chart);
    AtomicFiles.write(png, out -> javax.imageio.ImageIO.write(img, "png", out));
  }

  /** Writes a chart as SVG to {@code svg}. */
  public static void svg(Chart<?, ?> chart, Path svg) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    VectorGraphicsEncoder.saveVectorGraphic(chart, b, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    AtomicFiles.write(svg, b.toByteArray());
  }

  /** A confusion matrix as a heat map (rows true class, columns predicted). */
  public static HeatMapChart confusion(int[][] confusion, List<String> names, String title) {
    int n = confusion.length;
    HeatMapChart c = new HeatMapChartBuilder().width(Math.max(520, 60 + 46 * n)).height(Math.max(460, 60 + 40 * n)).title(title)
        .xAxisTitle("predicted").yAxisTitle("true class").build();
    List<String> xs = new ArrayList<>(), ys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = i < names.size() ? names.get(i) : String.valueOf(i);
      xs.add(name);
      ys.add(name);
    }
    List<Number[]> cells = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      for (int col = 0; col < n; col++) cells.add(new Number[] {col, n - 1 - r, confusion[r][col]});
    }
    List<String> ysRev = new ArrayList<>(ys);
    java.util.Collections.reverse(ysRev);
    c.getStyler().setShowValue(n <= 20);
    c.getStyler().setXAxisLabelRotation(45);
    c.getStyler().setRangeColors(new Color[] {new Color(0xf7fbff), new Color(0x6baed6), new Color(0x08306b)});
    c.addSeries("images", xs, ysRev, cells);
    return c;
  }

  /** Family of a variant for plotting lines: its name without the leading sparsity ("p30-all+dynamic" -> "all+dynamic"). */
  static String family(Results.Variant v, boolean withSource) {
    String f = v.name().replaceFirst("^p\\d+-", "");
    if (f.equals(v.name()) && !v.name().matches("^p\\d+-.*")) f = v.name();
    return withSource ? v.source() + ": " + f : f;
  }

  /** Sparsity of a grid variant's name ("p30-..." -> 30), or 0. */
  static int sparsity(Results.Variant v) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^p(\\d+)-").matcher(v.name());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** Accuracy (or agreement) against a measure of cost: one line per family, points in order of sparsity. */
  public static XYChart scoreVersus(List<Results.Variant> all, String xTitle, java.util.function.Function<Results.Variant, Double> x,
                                    String yTitle, String title) {
    return versus(all, xTitle, x, Results.Variant::score, yTitle, title);
  }

  /** A measure {@code y} against a cost {@code x}: one line per family, points in order of sparsity. */
  public static XYChart versus(List<Results.Variant> all, String xTitle, java.util.function.Function<Results.Variant, Double> x,
                               java.util.function.Function<Results.Variant, Double> y, String yTitle, String title) {
    boolean multi = all.stream().map(Results.Variant::source).distinct().count() > 1;
    Map<String, List<Results.Variant>> fam = new LinkedHashMap<>();
    for (Results.Variant v : all) {
      if (!v.ok() || y.apply(v) == null || x.apply(v) == null) continue;
      fam.computeIfAbsent(family(v, multi), k -> new ArrayList<>()).add(v);
    }
    XYChart c = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(9);
    c.getStyler().setYAxisDecimalPattern("0.0%");
    for (Map.Entry<String, List<Results.Variant>> e : fam.entrySet()) {
      List<Results.Variant> vs = new ArrayList<>(e.getValue());
      vs.sort(Comparator.comparingInt(EvalPlots::sparsity));
      List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
      for (Results.Variant v : vs) {
        xs.add(x.apply(v));
        ys.add(y.apply(v));
      }
      XYSeries s = c.addSeries(e.getKey() + (vs.size() > 1 ? " (" + sparsityRange(vs) + ")" : ""), xs, ys);
      if (vs.size() == 1) {
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarker(SeriesMarkers.DIAMOND);
      }
    }
    if (fam.isEmpty()) c.addSeries("no results", new double[] {0}, new double[] {0});
    return c;
  }

  private static String sparsityRange(List<Results.Variant> vs) {
    List<String> p = new ArrayList<>();
    for (Results.Variant v : vs) p.add(sparsity(v) + "%");
    return "sparsity " + String.join(", ", p);
  }

  /** Per-class accuracy (recall) of a few variants, bars side by side. */
  public static CategoryChart perClassBars(List<Results.Variant> vs, List<String> classes, String title) {
    CategoryChart c = new CategoryChartBuilder().width(1100).height(520).title(title).xAxisTitle("class").yAxisTitle("accuracy (recall)").build();
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    c.getStyler().setXAxisLabelRotation(30);
    c.getStyler().setYAxisDecimalPattern("0%");
    c.getStyler().setYAxisMin(0.0);
    c.getStyler().setYAxisMax(1.0);
    boolean multi = vs.stream().map(Results.Variant::source).distinct().count() > 1;
    for (Results.Variant v : vs) {
      List<String> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (Results.ClassResult r : v.perClass()) {
        xs.add(r.index() < classes.size() ? classes.get(r.index()) : r.name());
        ys.add(r.recall());
      }
      if (!xs.isEmpty()) c.addSeries(multi ? v.source() + ": " + v.name() : v.name(), xs, ys);
    }
    return c;
  }

  /** Per-class accuracy of every variant as a heat map (rows variants, columns classes). */
  public static HeatMapChart perClassHeatMap(List<Results.Variant> vs, List<String> classes, String title) {
    boolean multi = vs.stream().map(Results.Variant::source).distinct().count() > 1;
    List<Results.Variant> rows = new ArrayList<>();
    for (Results.Variant v : vs) if (v.ok() && !v.perClass().isEmpty()) rows.add(v);
    int n = rows.isEmpty() ? 0 : rows.get(0).perClass().size();
    HeatMapChart c = new HeatMapChartBuilder().width(Math.max(700, 200 + 80 * n)).height(Math.max(300, 120 + 26 * rows.size())).title(title).build();
    List<String> xs = new ArrayList<>(), ys = new ArrayList<>();
    for (int i = 0; i < n; i++) xs.add(i < classes.size() ? classes.get(i) : String.valueOf(i));
    List<Number[]> cells = new ArrayList<>();
    for (int r = 0; r < rows.size(); r++) {
      Results.Variant v = rows.get(rows.size() - 1 - r);
      ys.add(multi ? v.source() + ": " + v.name() : v.name());
      for (int i = 0; i < n && i < v.perClass().size(); i++) cells.add(new Number[] {i, r, Math.round(1000 * v.perClass().get(i).recall()) / 10.0});
    }
    c.getStyler().setShowValue(n <= 20);
    c.getStyler().setXAxisLabelRotation(30);
    c.getStyler().setMin(0);
    c.getStyler().setMax(100);
    c.getStyler().setRangeColors(new Color[] {new Color(0xb2182b), new Color(0xfddbc7), new Color(0x2166ac)});
    if (rows.isEmpty()) {
      xs.add("-");
      ys.add("-");
      cells.add(new Number[] {0, 0, 0});
    }
    c.addSeries("accuracy %", xs, ys, cells);
    return c;
  }

  /** Latency of each image during the evaluation, one line per variant (the first {@code maxImages}). */
  public static XYChart latencySeries(List<Results.Variant> vs, int maxImages, String title) {
    XYChart c = new XYChartBuilder().width(1100).height(500).title(title).xAxisTitle("image").yAxisTitle("latency (ms)").build();
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(0);
    boolean multi = vs.stream().map(Results.Variant::source).distinct().count() > 1;
    for (Results.Variant v : vs) {
      List<Double> ms = v.imageLatencyMs();
      if (ms == null || ms.isEmpty()) continue;
      int n = Math.min(maxImages, ms.size());
      List<Integer> xs = new ArrayList<>();
      for (int i = 0; i < n; i++) xs.add(i + 1);
      c.addSeries(multi ? v.source() + ": " + v.name() : v.name(), xs, ms.subList(0, n));
    }
    if (c.getSeriesMap().isEmpty()) c.addSeries("no results", new double[] {0}, new double[] {0});
    return c;
  }

  /** Histograms of the per-image latency, one outline per variant over common bins (the top 1% left out). */
  public static XYChart latencyHistograms(List<Results.Variant> vs, String title) {
    XYChart c = new XYChartBuilder().width(1100).height(500).title(title).xAxisTitle("latency (ms)").yAxisTitle("share of images").build();
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    c.getStyler().setMarkerSize(0);
    c.getStyler().setYAxisDecimalPattern("0%");
    boolean multi = vs.stream().map(Results.Variant::source).distinct().count() > 1;
    double lo = Double.MAX_VALUE, hi = 0;
    for (Results.Variant v : vs) {
      if (v.imageLatencyMs() == null || v.imageLatencyMs().isEmpty()) continue;
      List<Double> s = new ArrayList<>(v.imageLatencyMs());
      s.sort(null);
      lo = Math.min(lo, s.get(0));
      hi = Math.max(hi, s.get(Math.max(0, (int) Math.ceil(s.size() * 0.99) - 1)));
    }
    int bins = 40;
    double w = hi > lo ? (hi - lo) / bins : 1;
    for (Results.Variant v : vs) {
      List<Double> ms = v.imageLatencyMs();
      if (ms == null || ms.isEmpty()) continue;
      double[] counts = new double[bins];
      for (double x : ms) {
        int b = (int) ((x - lo) / w);
        if (b >= 0 && b < bins) counts[b] += 1.0 / ms.size();
      }
      List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
      for (int b = 0; b < bins; b++) {
        xs.add(lo + b * w);
        ys.add(counts[b]);
        xs.add(lo + (b + 1) * w);
        ys.add(counts[b]);
      }
      c.addSeries(multi ? v.source() + ": " + v.name() : v.name(), xs, ys);
    }
    if (c.getSeriesMap().isEmpty()) c.addSeries("no results", new double[] {0}, new double[] {0});
    return c;
  }

  /** Kilobytes, for axes. */
  static Double kb(long bytes) { return bytes <= 0 ? null : bytes / 1024.0; }

  static String pct(Double d) { return d == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * d); }
}
