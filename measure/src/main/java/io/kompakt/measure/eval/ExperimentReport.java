package io.kompakt.measure.eval;

import io.kompakt.engine.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes an experiment's outputs into a folder: {@code results.json} (everything, readable back for merging),
 * {@code variants.csv} (one row per variant), {@code classes.csv} (one row per variant and class),
 * {@code image_latency.csv} (per-image latency series), PNG and SVG plots, and {@code report.html}, one
 * self-contained page (plots embedded). Results of earlier runs (e.g. a Pi 4) are merged in as further sources.
 */
public final class ExperimentReport {
  private ExperimentReport() {}

  /** The files written, by kind. */
  public record Written(Path json, Path variantsCsv, Path classesCsv, Path latencyCsv, List<Path> plots, Path html) {}

  /** Variants shown in the crowded plots (per-class bars, latency lines): base, then the others by score spread. */
  static final int MAX_LINES = 8;

  public static Written write(Results.Experiment e, List<Results.Experiment> merged, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path json = dir.resolve("results.json");
    AtomicFiles.write(json, Results.mapper().writeValueAsBytes(e));
    List<Results.Variant> all = new ArrayList<>(e.variants());
    Set<String> labels = new LinkedHashSet<>();
    for (Results.Variant v : e.variants()) labels.add(v.source());
    for (Results.Experiment m : merged) {
      // a merged run named like one already shown (e.g. the same results twice) gets a suffix: names stay unique
      Map<String, String> rename = new java.util.HashMap<>();
      for (Results.Variant v : m.variants()) {
        String src = v.source() == null ? m.source().label() : v.source();
        String label = rename.computeIfAbsent(src, k -> {
          String l = k;
          for (int i = 2; labels.contains(l); i++) l = k + " (" + i + ")";
          return l;
        });
        all.add(v.withSource(label));
      }
      labels.addAll(rename.values());
    }
    boolean multi = all.stream().map(Results.Variant::source).distinct().count() > 1;
    Path vcsv = dir.resolve("variants.csv"), ccsv = dir.resolve("classes.csv"), lcsv = dir.resolve("image_latency.csv");
    AtomicFiles.write(vcsv, variantsCsv(all).getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(ccsv, classesCsv(all).getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(lcsv, latencyCsv(all).getBytes(StandardCharsets.UTF_8));

    String metric = e.labelled() ? "top-1 accuracy" : "agreement with " + e.reference();
    List<Path> plots = new ArrayList<>();
    var size = EvalPlots.scoreVersus(all, "file size (KB, raw)", v -> EvalPlots.kb(v.rawBytes()), metric, e.name() + ": " + metric + " vs size");
    var gz = EvalPlots.scoreVersus(all, "file size (KB, gzip)", v -> EvalPlots.kb(v.gzipBytes()), metric, e.name() + ": " + metric + " vs gzip size");
    var lat = EvalPlots.scoreVersus(all, "median latency (ms)", v -> v.benchLatency() != null ? v.benchLatency().medianMs()
        : v.imageLatency() != null ? v.imageLatency().medianMs() : null, metric, e.name() + ": " + metric + " vs latency");
    plots.add(save(size, dir, "accuracy_vs_size", true));
    plots.add(save(gz, dir, "accuracy_vs_gzip_size", true));
    plots.add(save(lat, dir, "accuracy_vs_latency", true));
    if (e.labelled() && all.stream().anyMatch(v -> v.agreement() != null)) {
      plots.add(save(EvalPlots.versus(all, "file size (KB, raw)", v -> EvalPlots.kb(v.rawBytes()), Results.Variant::agreement,
          "top-1 agreement with the reference", "top-1 agreement with " + e.reference() + " vs size"), dir, "agreement_vs_size", true));
    }
    List<Results.Variant> few = selection(all);
    if (e.labelled()) {
      plots.add(save(EvalPlots.perClassBars(few, e.classes(), e.name() + ": per-class accuracy"), dir, "per_class", false));
      plots.add(save(EvalPlots.perClassHeatMap(all, e.classes(), e.name() + ": per-class accuracy (%) of every variant"), dir, "per_class_all", false));
      Results.Variant base = all.stream().filter(v -> v.ok() && v.confusion() != null).findFirst().orElse(null);
      if (base != null) plots.add(save(EvalPlots.confusion(base.confusion(), e.classes(), base.name() + ": confusion matrix"), dir, "confusion_" + base.name(), false));
    }
    plots.add(save(EvalPlots.latencySeries(few, 500, e.name() + ": per-image latency (first 500 images)"), dir, "latency_series", false));
    plots.add(save(EvalPlots.latencyHistograms(few, e.name() + ": per-image latency histograms"), dir, "latency_histograms", false));
    Path html = dir.resolve("report.html");
    AtomicFiles.write(html, html(e, merged, all, plots, multi).getBytes(StandardCharsets.UTF_8));
    return new Written(json, vcsv, ccsv, lcsv, plots, html);
  }

  private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> c, Path dir, String name, boolean svg) throws IOException {
    Path png = dir.resolve(name + ".png");
    EvalPlots.png(c, png);
    if (svg) EvalPlots.svg(c, dir.resolve(name + ".svg"));
    return png;
  }

  /** Base (of each source), then the variants spread over the score range, at most {@link #MAX_LINES}. */
  static List<Results.Variant> selection(List<Results.Variant> all) {
    List<Results.Variant> ok = new ArrayList<>();
    for (Results.Variant v : all) if (v.ok()) ok.add(v);
    if (ok.size() <= MAX_LINES) return ok;
    Set<Results.Variant> pick = new LinkedHashSet<>();
    for (Results.Variant v : ok) if (v.name().equals("base")) pick.add(v);
    List<Results.Variant> rest = new ArrayList<>(ok);
    rest.removeAll(pick);
    rest.sort(Comparator.comparing((Results.Variant v) -> v.score() == null ? 0 : v.score()).reversed());
    int want = MAX_LINES - pick.size();
    for (int i = 0; i < want && !rest.isEmpty(); i++) pick.add(rest.get((int) Math.round(i * (rest.size() - 1) / (double) Math.max(1, want - 1))));
    return new ArrayList<>(pick);
  }

  static String variantsCsv(List<Results.Variant> all) {
    StringBuilder sb = new StringBuilder("source,variant,steps,status,raw_bytes,gzip_bytes,top1,top5,macro_f1,agreement,images_per_second,"
        + "image_median_ms,image_p90_ms,bench_runs,bench_min_ms,bench_median_ms,bench_mean_ms,bench_p90_ms,bench_max_ms,bench_std_ms,"
        + "arena_bytes,model_memory_bytes,peak_rss_bytes,message\n");
    for (Results.Variant v : all) {
      Results.LatencyStats b = v.benchLatency(), i = v.imageLatency();
      sb.append(String.join(",", csv(v.source()), csv(v.name()), csv(v.steps()), v.status(), num(v.rawBytes()), num(v.gzipBytes()),
          num(v.top1()), num(v.top5()), num(v.macroF1()), num(v.agreement()), num(v.imagesPerSecond()),
          num(i == null ? null : i.medianMs()), num(i == null ? null : i.p90Ms()), b == null ? "" : String.valueOf(b.runs()),
          num(b == null ? null : b.minMs()), num(b == null ? null : b.medianMs()), num(b == null ? null : b.meanMs()),
          num(b == null ? null : b.p90Ms()), num(b == null ? null : b.maxMs()), num(b == null ? null : b.stdMs()),
          num(v.arenaBytes()), num(v.modelMemoryBytes()), num(v.peakRssBytes()), csv(v.message()))).append('\n');
    }
    return sb.toString();
  }

  static String classesCsv(List<Results.Variant> all) {
    StringBuilder sb = new StringBuilder("source,variant,class,name,support,precision,recall,f1\n");
    for (Results.Variant v : all) {
      for (Results.ClassResult c : v.perClass()) {
        sb.append(String.join(",", csv(v.source()), csv(v.name()), String.valueOf(c.index()), csv(c.name()), String.valueOf(c.support()),
            num(c.precision()), num(c.recall()), num(c.f1()))).append('\n');
      }
    }
    return sb.toString();
  }

  static String latencyCsv(List<Results.Variant> all) {
    StringBuilder sb = new StringBuilder("source,variant,image,latency_ms\n");
    for (Results.Variant v : all) {
      List<Double> ms = v.imageLatencyMs();
      if (ms == null) continue;
      for (int i = 0; i < ms.size(); i++) {
        sb.append(csv(v.source())).append(',').append(csv(v.name())).append(',').append(i).append(',')
            .append(String.format(Locale.ROOT, "%.6f", ms.get(i))).append('\n');
      }
    }
    return sb.toString();
  }

  /** A CSV field, quoted where needed. */
  static String csv(String s) {
    if (s == null) return "";
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) return "\"" + s.replace("\"", "\"\"") + "\"";
    return s;
  }

  static String num(Number n) {
    if (n == null) return "";
    if (n instanceof Long || n instanceof Integer) return n.toString();
    double d = n.doubleValue();
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "";
  }

  private static String esc(Object o) {
    if (o == null) return "";
    return o.toString().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  static String html(Results.Experiment e, List<Results.Experiment> merged, List<Results.Variant> all, List<Path> plots, boolean multi) throws IOException {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(e.name())).append("</title>\n<style>")
        .append("body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px}table{border-collapse:collapse;font-size:13px;margin:8px 0 20px}")
        .append("td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f0f0f0}td.l,th.l{text-align:left}")
        .append("tr.bad td{color:#999}img{max-width:100%;border:1px solid #eee;margin:6px 0}code{background:#f4f4f4;padding:1px 4px}")
        .append("</style></head><body>\n");
    h.append("<h1>").append(esc(e.name())).append("</h1>\n<table>");
    row(h, "base model", e.baseModel());
    row(h, "data", e.dataset());
    row(h, "images", e.images() + (e.labelled() ? " (labelled)" : " (unlabelled: agreement with " + e.reference() + ")"));
    row(h, "reference for agreement", e.reference());
    row(h, "preprocessing", mapText(e.preprocessing()));
    row(h, "latency", mapText(e.latencyConfig()));
    List<Results.Experiment> sources = new ArrayList<>();
    sources.add(e);
    sources.addAll(merged);
    for (Results.Experiment s : sources) {
      Results.Source src = s.source();
      row(h, "source " + src.label(), src.host() + ", " + src.osArch() + ", " + src.cpus() + " CPUs, " + src.jdk() + ", " + src.simd() + ", " + src.date()
          + String.format(Locale.ROOT, "; %d variants in %.1f s", s.variants().size(), s.seconds()));
    }
    h.append("</table>\n<h2>Variants</h2>\n<table><tr>");
    if (multi) h.append("<th class=l>source</th>");
    h.append("<th class=l>variant</th><th>raw KB</th><th>gzip KB</th><th>top-1</th><th>top-5</th><th>macro F1</th><th>agreement</th>")
        .append("<th>median ms</th><th>p90 ms</th><th>std ms</th><th>per-image median ms</th><th>images/s</th><th>arena KB</th><th>model memory KB</th>")
        .append("<th>peak RSS MB</th><th class=l>steps</th></tr>\n");
    for (Results.Variant v : all) {
      Results.LatencyStats b = v.benchLatency(), i = v.imageLatency();
      h.append(v.ok() ? "<tr>" : "<tr class=bad>");
      if (multi) h.append("<td class=l>").append(esc(v.source())).append("</td>");
      h.append("<td class=l>").append(esc(v.name())).append("</td>");
      if (!v.ok()) {
        h.append("<td colspan=14 class=l>").append(esc(v.status() + ": " + v.message())).append("</td><td class=l>").append(esc(v.steps())).append("</td></tr>\n");
        continue;
      }
      h.append(td(String.format(Locale.ROOT, "%.1f", v.rawBytes() / 1024.0))).append(td(String.format(Locale.ROOT, "%.1f", v.gzipBytes() / 1024.0)))
          .append(td(EvalPlots.pct(v.top1()))).append(td(EvalPlots.pct(v.top5()))).append(td(v.macroF1() == null ? "-" : String.format(Locale.ROOT, "%.3f", v.macroF1())))
          .append(td(EvalPlots.pct(v.agreement())))
          .append(td(b == null ? "-" : f3(b.medianMs()))).append(td(b == null ? "-" : f3(b.p90Ms()))).append(td(b == null ? "-" : f3(b.stdMs())))
          .append(td(i == null ? "-" : f3(i.medianMs()))).append(td(v.imagesPerSecond() == null ? "-" : String.format(Locale.ROOT, "%.0f", v.imagesPerSecond())))
          .append(td(String.format(Locale.ROOT, "%.1f", v.arenaBytes() / 1024.0))).append(td(String.format(Locale.ROOT, "%.1f", v.modelMemoryBytes() / 1024.0)))
          .append(td(v.peakRssBytes() <= 0 ? "-" : String.format(Locale.ROOT, "%.0f", v.peakRssBytes() / 1048576.0)))
          .append("<td class=l>").append(esc(v.steps())).append("</td></tr>\n");
    }
    h.append("</table>\n<p>Sizes are of the files written (pruned weights in TFLite's sparse storage where smaller). Latency: timed runs with ")
        .append("the cooldown above on seeded random inputs (as <code>kompakt bench</code>); per-image latency is each inference during the evaluation. ")
        .append("Model memory: Java heap the loaded model and its prepared interpreter hold (after GC) plus the mapped file. ")
        .append("Peak RSS is the process's high-water mark so far (it only grows over a run).</p>\n");
    for (Path p : plots) {
      h.append("<h3>").append(esc(p.getFileName().toString().replace(".png", "").replace('_', ' '))).append("</h3>\n<img alt=\"")
          .append(esc(p.getFileName())).append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(Files.readAllBytes(p))).append("\">\n");
    }
    if (e.labelled() && !e.classes().isEmpty()) {
      h.append("<h2>Per-class accuracy (recall)</h2>\n<table><tr>");
      if (multi) h.append("<th class=l>source</th>");
      h.append("<th class=l>variant</th>");
      for (String c : e.classes()) h.append("<th>").append(esc(c)).append("</th>");
      h.append("</tr>\n");
      for (Results.Variant v : all) {
        if (!v.ok() || v.perClass().isEmpty()) continue;
        h.append("<tr>");
        if (multi) h.append("<td class=l>").append(esc(v.source())).append("</td>");
        h.append("<td class=l>").append(esc(v.name())).append("</td>");
        for (Results.ClassResult c : v.perClass()) h.append(td(String.format(Locale.ROOT, "%.1f", 100 * c.recall())));
        h.append("</tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<h2>Steps</h2>\n<ul>");
    for (Results.Variant v : all) {
      if (v.notes() == null || v.notes().isEmpty()) continue;
      h.append("<li><b>").append(esc((multi ? v.source() + ": " : "") + v.name())).append("</b>: ").append(esc(String.join("; ", v.notes()))).append("</li>\n");
    }
    h.append("</ul>\n<p>Files: results.json, variants.csv, classes.csv, image_latency.csv, models/*.tflite.</p>\n</body></html>\n");
    return h.toString();
  }

  private static String f3(double d) { return String.format(Locale.ROOT, "%.3f", d); }

  private static String td(String s) { return "<td>" + esc(s) + "</td>"; }

  private static void row(StringBuilder h, String k, Object v) {
    h.append("<tr><th class=l>").append(esc(k)).append("</th><td class=l>").append(esc(v)).append("</td></tr>\n");
  }

  private static String mapText(Map<String, Object> m) {
    if (m == null) return "";
    List<String> parts = new ArrayList<>();
    m.forEach((k, v) -> parts.add(k + " " + v));
    return String.join("; ", parts);
  }
}
