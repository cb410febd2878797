package io.kompakt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kompakt.compress.DynamicRangeQuantizer;
import io.kompakt.compress.Float16Quantizer;
import io.kompakt.compress.SizeReport;
import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.compress.quant.QuantReport;
import io.kompakt.data.ImageInput;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kompakt quantize MODEL -o OUT --mode int8 --calib DIR --samples 100}: post-training quantization. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Post-training quantization of a float model, in the layout TFLite's converter writes: full-integer int8",
        "(per-channel weights, calibrated per-tensor activations), uint8 (legacy per-tensor), 16x8, dynamic range (weights",
        "only) or float16 weights. Before calibrating, the full-integer modes fold unfused batch norms and fuse standalone",
        "activations into the layer before them; --equalize (cross-layer equalisation) and --bias-correction are optional.",
        "Prints the sizes and, on a held-out set, each layer's SNR against the float model, top-1 agreement and (with",
        "labels) accuracy."})
final class QuantizeCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "the float .tflite file")
  Path model;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write the quantized model")
  Path output;

  @Option(names = "--mode", defaultValue = "int8", paramLabel = "M", description = "int8, uint8, 16x8, dynamic or float16 (default ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--io", paramLabel = "T", description = "model input/output type: float, int8, uint8 or int16 (default: float; uint8 for --mode uint8)")
  String io;

  @Option(names = "--calib", defaultValue = "random", paramLabel = "DIR|FILE|random",
      description = "calibration data: a folder of images or .npy/.bin tensors, an IDX image file, or random (default ${DEFAULT-VALUE})")
  String calib;

  @Option(names = "--samples", defaultValue = "100", paramLabel = "N", description = "calibration samples (default ${DEFAULT-VALUE}; fewer if the data has fewer)")
  int samples;

  @Option(names = "--eval", paramLabel = "DIR|FILE|random", description = "held-out data for the report (default: the calibration data after the calibration samples)")
  String eval;

  @Option(names = "--eval-samples", defaultValue = "100", paramLabel = "N", description = "held-out samples for the report (default ${DEFAULT-VALUE}; 0: no report)")
  int evalSamples;

  @Option(names = "--method", defaultValue = "minmax", paramLabel = "M",
      description = "activation ranges: minmax, moving-average, percentile, mse or kl (TensorRT's entropy calibration: the clipping of a 2048-bin histogram closest in KL divergence; a second pass over the data) (default ${DEFAULT-VALUE})")
  String method;

  @Option(names = "--percentile", defaultValue = "99.99", paramLabel = "P", description = "for --method percentile (default ${DEFAULT-VALUE})")
  double percentile;

  @Option(names = "--symmetric", description = "symmetric activations (zero point 0; 128 for uint8)")
  boolean symmetric;

  @Option(names = "--power-of-two", description = "every scale a power of two (for shift-only hardware); the report shows the cost")
  boolean powerOfTwo;

  @Option(names = "--per-tensor", description = "one scale per weights tensor instead of per output channel")
  boolean perTensor;

  @Option(names = "--per-channel-dense", description = "per-unit FULLY_CONNECTED weight scales (the latest converter's choice)")
  boolean perChannelDense;

  @Option(names = "--mean", split = ",", paramLabel = "M", description = "images and IDX files: float input = (pixel - mean) / std (default: the model's normalization metadata, else 127.5, as kompakt run and eval)")
  float[] mean;

  @Option(names = "--std", split = ",", paramLabel = "S", description = "see --mean (default: metadata, else 127.5)")
  float[] std;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "seed of random data (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "threads for the runs (default ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--json", description = "print the report as one JSON object")
  boolean json;

  @Option(names = "--no-fold-batch-norm", description = "keep MUL / ADD by per-channel constants after a conv or dense layer (by default int8, uint8 and 16x8 fold them into the layer first)")
  boolean noFoldBatchNorm;

  @Option(names = "--no-fuse-activations", description = "keep standalone RELU / RELU6 / RELU_N1_TO_1 ops after a conv, depthwise, dense or ADD op (by default int8, uint8 and 16x8 fuse them into that op first, as TFLite's converter does)")
  boolean noFuseActivations;

  @Option(names = "--equalize", description = "cross-layer equalisation (Nagel et al. 2019) before calibrating: in consecutive conv / depthwise / dense pairs whose first layer (activation NONE or RELU) feeds only the second, each channel is rescaled so that both layers' weight ranges for it are equal; the float function stays the same. Helps per-tensor weights (--mode uint8, --per-tensor) most")
  boolean equalize;

  @Option(names = "--equalize-relu6", description = "with --equalize: also equalise layers with a fused RELU6, which becomes RELU (as the paper does). This changes the float model: the report compares the outputs with the original model")
  boolean equalizeRelu6;

  @Option(names = "--bias-correction", description = "empirical bias correction: each conv / depthwise / dense bias minus the mean output error that its quantized weights cause on the calibration data (per output channel)")
  boolean biasCorrection;

  /** Options that only the full-integer modes use (calibration, graph preparation, scales). */
  private static final List<String> FULL_INTEGER_ONLY = List.of("--io", "--calib", "--samples", "--method", "--percentile", "--symmetric",
      "--power-of-two", "--per-tensor", "--per-channel-dense", "--no-fold-batch-norm", "--no-fuse-activations", "--equalize",
      "--equalize-relu6", "--bias-correction");

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) throw new NoSuchFileException(model.toString());
    if (samples < 1) throw new IllegalArgumentException("--samples must be at least 1");
    if (evalSamples < 0) throw new IllegalArgumentException("--eval-samples must be 0 or more");
    String m = mode.trim().toLowerCase(Locale.ROOT);
    boolean fullInteger = m.equals("int8") || m.equals("uint8") || m.equals("16x8");
    checkOptions(m, fullInteger);
    Map<String, Object> report = new LinkedHashMap<>();
    Model given = Model.load(model);
    FullIntegerQuantizer.Options o = fullInteger ? options(m) : null;
    Model floatModel = fullInteger ? prepare(given, o, report) : given;
    // with RELU6 replaced the float function changed: outputs are compared with the model as given
    Model original = Boolean.TRUE.equals(report.get("float_model_changed")) ? given : null;
    // the model's normalization metadata, else [-1, 1], as run and eval (one rule: Preprocessing)
    ImageInput.Normalization imageNorm = Preprocessing.forModel(floatModel, 1, mean, std, false).normalization(), idxNorm = imageNorm;
    report.put("model", model.toString());
    report.put("mode", m);
    EditableModel q;
    SampleSource calibData = null;
    int calibCount = 0;
    switch (m) {
      case "dynamic": q = EditableModel.from(floatModel); DynamicRangeQuantizer.quantize(q); break;
      case "float16": q = EditableModel.from(floatModel); Float16Quantizer.quantize(q, 1); break;
      case "int8": case "uint8": case "16x8": {
        calibData = SampleSource.open(calib, imageNorm, idxNorm, seed, samples);
        calibCount = Math.min(samples, calibData.size());
        Calibrator.Needs needs = o.calibrationNeeds();
        SampleSource cd = calibData;
        int cc = calibCount;
        Calibrator cal = withBar("calibrate", calibCount * needs.passes(), bar -> Calibrator.run(floatModel, calibData0(cd, cc),
            needs, threads, bar));
        FullIntegerQuantizer.Result r = FullIntegerQuantizer.quantizeWithNotes(floatModel, cal, o);
        q = r.model();
        report.put("calibration", calibCount + " samples: " + calibData.description());
        if (biasCorrection) report.put("bias_corrected", r.notes());
        if (powerOfTwo) {
          report.put("without_power_of_two", evaluate(floatModel, FullIntegerQuantizer.quantize(floatModel, cal, o.powerOfTwo(false)),
              original, calibData, calibCount, imageNorm, idxNorm, false));
        }
        break;
      }
      default: throw new IllegalArgumentException("--mode is int8, uint8, 16x8, dynamic or float16; got '" + mode + "'");
    }
    SizeReport before = SizeReport.of(EditableModel.from(given)), after = SizeReport.of(q); // the file as given
    new ModelWriter().write(q, output);
    report.put("output", output.toString());
    report.put("float_bytes", before.raw());
    report.put("float_gzip_bytes", before.gzip());
    report.put("quantized_bytes", after.raw());
    report.put("quantized_gzip_bytes", after.gzip());
    Map<String, Object> heldOut = evaluate(floatModel, q, original, calibData, calibCount, imageNorm, idxNorm, true);
    if (heldOut != null) report.put("held_out", heldOut);
    if (calibData != null && evalSamples > 0) {
      Model qm = Model.from(ModelWriter.toBytes(q));
      int n = Math.min(calibCount, evalSamples);
      SampleSource cd = calibData;
      QuantReport.Result r = withBar("report (calibration set)", n, bar -> QuantReport.compare(floatModel, qm, original, cd.range(0, n),
          cd.labels(0, n), threads, bar));
      report.put("calibration_set", summary(r, false));
    }
    if (original != null && heldOut != null) {
      // what replacing RELU6 by RELU alone did to the float model, on the held-out data
      Map<String, Object> change = floatChange(original, floatModel, calibData, calibCount, imageNorm, idxNorm);
      if (change != null) report.put("equalized_float_vs_original", change);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
    } else {
      printText(report, out);
    }
    out.flush();
    return 0;
  }

  private static Calibrator.Source calibData0(SampleSource s, int n) { return s.range(0, n); }

  /** The held-out data: --eval, else the calibration data after the calibration samples; null if there is none. */
  private record HeldOut(SampleSource data, int from, int count) {}

  private HeldOut heldOut(SampleSource calibData, int calibCount, ImageInput.Normalization imageNorm,
      ImageInput.Normalization idxNorm) throws Exception {
    if (evalSamples == 0) return null;
    SampleSource data;
    int from;
    if (eval != null) {
      data = SampleSource.open(eval, imageNorm, idxNorm, seed + 1, evalSamples);
      from = 0;
    } else if (calibData != null && calibData.size() > calibCount && !calib.equalsIgnoreCase("random")) {
      data = calibData;
      from = calibCount;
    } else if (calibData != null && calib.equalsIgnoreCase("random")) {
      data = SampleSource.open("random", imageNorm, idxNorm, seed + 1, evalSamples);
      from = 0;
    } else {
      return null;
    }
    int n = Math.min(evalSamples, data.size() - from);
    return n <= 0 ? null : new HeldOut(data, from, n);
  }

  /** The report on held-out data, the outputs compared with {@code original} when it is not null. */
  private Map<String, Object> evaluate(Model floatModel, EditableModel q, Model original, SampleSource calibData, int calibCount,
      ImageInput.Normalization imageNorm, ImageInput.Normalization idxNorm, boolean layers) throws Exception {
    HeldOut h = heldOut(calibData, calibCount, imageNorm, idxNorm);
    if (h == null) return null;
    Model qm = Model.from(ModelWriter.toBytes(q));
    QuantReport.Result r = withBar("report (held-out set)", h.count(), bar -> QuantReport.compare(floatModel, qm, original,
        h.data().range(h.from(), h.count()), h.data().labels(h.from(), h.count()), threads, bar));
    Map<String, Object> s = summary(r, layers);
    s.put("data", h.count() + " samples: " + h.data().description() + (h.from() > 0 ? " from sample " + h.from() : ""));
    return s;
  }

  /** Top-1 agreement and output SNR of a changed float model against the original, on the held-out data. */
  private Map<String, Object> floatChange(Model original, Model changed, SampleSource calibData, int calibCount,
      ImageInput.Normalization imageNorm, ImageInput.Normalization idxNorm) throws Exception {
    HeldOut h = heldOut(calibData, calibCount, imageNorm, idxNorm);
    if (h == null) return null;
    QuantReport.Result r = withBar("equalized float vs original", h.count(), bar -> QuantReport.compare(original, changed,
        h.data().range(h.from(), h.count()), h.data().labels(h.from(), h.count()), threads, bar));
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("samples", r.samples());
    s.put("top1_agreement", r.agreement());
    s.put("output_snr_db", r.outputSnrDb());
    return s;
  }

  private static Map<String, Object> summary(QuantReport.Result r, boolean layers) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("samples", r.samples());
    s.put("top1_agreement", r.agreement());
    if (r.floatCorrect() >= 0) {
      s.put("float_accuracy", r.floatAccuracy());
      s.put("quantized_accuracy", r.quantAccuracy());
    }
    s.put("output_snr_db", r.outputSnrDb());
    QuantReport.Layer w = r.worst();
    if (w != null) s.put("worst_layer", String.format(Locale.ROOT, "#%d %s %s: %.1f dB", w.op(), w.opName(), w.tensor(), w.snrDb()));
    if (layers) s.put("layers", r.layers());
    return s;
  }

  /** Errors for flags that do not go together. */
  private void checkOptions(String m, boolean fullInteger) {
    if (equalizeRelu6 && !equalize) throw new IllegalArgumentException("--equalize-relu6 needs --equalize");
    if (fullInteger || !(m.equals("dynamic") || m.equals("float16"))) return;
    picocli.CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    List<String> given = FULL_INTEGER_ONLY.stream().filter(pr::hasMatchedOption).toList();
    if (!given.isEmpty()) {
      throw new IllegalArgumentException(String.join(", ", given) + (given.size() == 1 ? " does" : " do") + " not apply to --mode " + m
          + " (no calibration, float activations); " + (given.size() == 1 ? "it is" : "they are") + " for --mode int8, uint8 and 16x8");
    }
  }

  /**
   * For the full-integer modes, the graph passes before calibration (FullIntegerQuantizer.prepare): batch norms left
   * unfused folded, standalone activations fused, cross-layer equalisation if asked.
   */
  private Model prepare(Model given, FullIntegerQuantizer.Options o, Map<String, Object> report) {
    EditableModel e = EditableModel.from(given);
    FullIntegerQuantizer.Preparation p = FullIntegerQuantizer.prepare(e, o);
    if (!p.batchNorms().isEmpty()) report.put("batch_norm_folded", p.batchNorms());
    if (!p.fused().isEmpty()) report.put("activations_fused", p.fused());
    if (p.equalized() != null) {
      report.put("equalized", p.equalized().pairs());
      report.put("equalize_sweeps", p.equalized().iterations());
      if (equalizeRelu6) report.put("relu6_replaced", p.equalized().relu6Replaced());
    }
    report.put("float_model_changed", p.changesFloatModel());
    return p.changed() ? Model.from(ModelWriter.toBytes(e)) : given;
  }

  @SuppressWarnings("unchecked")
  private void printText(Map<String, Object> r, PrintWriter out) {
    out.printf(Locale.ROOT, "mode        %s%n", r.get("mode"));
    if (r.containsKey("batch_norm_folded")) {
      for (Object f : (List<Object>) r.get("batch_norm_folded")) out.printf(Locale.ROOT, "batch norm  %s%n", f);
    }
    if (r.containsKey("activations_fused")) {
      for (Object f : (List<Object>) r.get("activations_fused")) out.printf(Locale.ROOT, "fused       %s%n", f);
    }
    if (r.containsKey("equalized")) {
      List<Object> pairs = (List<Object>) r.get("equalized");
      out.printf(Locale.ROOT, "equalized   %d pairs in %s sweeps%s%n", pairs.size(), r.get("equalize_sweeps"),
          pairs.isEmpty() ? " (no pair whose first layer has activation NONE or RELU" + (equalizeRelu6 ? " or RELU6" : "; RELU6 layers need --equalize-relu6") + ")" : "");
      for (Object f : pairs) out.printf(Locale.ROOT, "  %s%n", f);
      List<Object> replaced = (List<Object>) r.get("relu6_replaced");
      if (replaced != null && !replaced.isEmpty()) {
        out.printf(Locale.ROOT, "relu6       %d layers now RELU: the float model changed, outputs are compared with the original%n", replaced.size());
      }
    }
    if (r.containsKey("bias_corrected")) {
      for (Object f : (List<Object>) r.get("bias_corrected")) out.printf(Locale.ROOT, "bias corr.  %s%n", f);
    }
    if (r.containsKey("calibration")) out.printf(Locale.ROOT, "calibration %s%n", r.get("calibration"));
    out.printf(Locale.ROOT, "float       %,d B (gzip %,d B)%n", r.get("float_bytes"), r.get("float_gzip_bytes"));
    out.printf(Locale.ROOT, "quantized   %,d B (gzip %,d B), %.2fx smaller%n", r.get("quantized_bytes"), r.get("quantized_gzip_bytes"),
        (double) (long) r.get("float_bytes") / (long) r.get("quantized_bytes"));
    Map<String, Object> change = (Map<String, Object>) r.get("equalized_float_vs_original");
    if (change != null) {
      out.printf(Locale.ROOT, "equalized float vs original float (held-out): top-1 agreement %.2f%% of %d; output SNR %.1f dB%n",
          100 * (double) change.get("top1_agreement"), change.get("samples"), change.get("output_snr_db"));
    }
    for (String key : new String[] {"calibration_set", "held_out", "without_power_of_two"}) {
      Map<String, Object> s = (Map<String, Object>) r.get(key);
      if (s == null) continue;
      out.printf(Locale.ROOT, "%s:%s%n", key.replace('_', ' '), s.containsKey("data") ? " " + s.get("data") : "");
      out.printf(Locale.ROOT, "  top-1 agreement with float %.2f%% of %d; output SNR %.1f dB; worst layer %s%n",
          100 * (double) s.get("top1_agreement"), s.get("samples"), s.get("output_snr_db"), s.get("worst_layer"));
      if (s.containsKey("float_accuracy")) {
        out.printf(Locale.ROOT, "  accuracy: float %.2f%%, quantized %.2f%%%n", 100 * (double) s.get("float_accuracy"), 100 * (double) s.get("quantized_accuracy"));
      }
      if (s.containsKey("layers")) {
        out.printf(Locale.ROOT, "  %-5s %-20s %-44s %9s %11s %11s%n", "op", "type", "output", "SNR dB", "max |err|", "max |x|");
        for (QuantReport.Layer l : (List<QuantReport.Layer>) s.get("layers")) {
          out.printf(Locale.ROOT, "  #%-4d %-20s %-44s %9.1f %11.4g %11.4g%n", l.op(), l.opName(), l.tensor(), l.snrDb(), l.maxAbsError(), l.maxAbs());
        }
      }
    }
    out.printf(Locale.ROOT, "wrote %s%n", r.get("output"));
  }

  private FullIntegerQuantizer.Options options(String m) {
    FullIntegerQuantizer.Options o = new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.parse(m))
        .method(Calibrator.Method.parse(method)).percentile(percentile).symmetric(symmetric).powerOfTwo(powerOfTwo)
        .perChannel(!perTensor).perChannelDense(perChannelDense).biasCorrection(biasCorrection).foldBatchNorm(!noFoldBatchNorm)
        .fuseActivations(!noFuseActivations).equalize(equalize).equalizeRelu6(equalizeRelu6);
    String t = io != null ? io.trim().toLowerCase(Locale.ROOT) : m.equals("uint8") ? "uint8" : "float";
    switch (t) {
      case "float": case "float32": o.io(TensorType.FLOAT32); break;
      case "int8": o.io(TensorType.INT8); break;
      case "uint8": o.io(TensorType.UINT8); break;
      case "int16": o.io(TensorType.INT16); break;
      default: throw new IllegalArgumentException("--io is float, int8, uint8 or int16; got '" + io + "'");
    }
    return o;
  }

  interface Job<T> { T run(IntConsumer progress) throws Exception; }

  /** Runs a loop with a progress bar on stderr when there is a console and the loop is long enough to need one. */
  private <T> T withBar(String task, int n, Job<T> job) throws Exception {
    if (System.console() == null || json || n < 5) return job.run(null);
    try (ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(n).setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
      return job.run(i -> pb.step());
    }
  }
}
