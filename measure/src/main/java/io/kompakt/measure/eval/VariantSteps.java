package io.kompakt.measure.eval;

import io.kompakt.compress.Dequantizer;
import io.kompakt.compress.DynamicRangeQuantizer;
import io.kompakt.compress.Float16Quantizer;
import io.kompakt.compress.Pruner;
import io.kompakt.compress.SparseEncoder;
import io.kompakt.compress.quant.Calibrator;
import io.kompakt.compress.quant.FullIntegerQuantizer;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.TensorType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The steps a variant of an experiment is made of, by name: each changes an {@link EditableModel} in place and
 * says what it did. Built in: {@code prune}, {@code dynamic} (dynamic-range int8 weights), {@code float16},
 * {@code dequantize}, {@code sparse} (TFLite's sparse storage of pruned weights), {@code int8} / {@code uint8}
 * (full-integer post-training quantization, calibrated on the experiment's images: {@link FullIntegerQuantizer}).
 */
public final class VariantSteps {
  private VariantSteps() {}

  /** One step: changes the model in place and returns a one-line description of what it did. */
  @FunctionalInterface
  public interface Step {
    String apply(EditableModel m, Params params);
  }

  /** A step that this build cannot run (the variant is reported as not available, the rest of the plan runs). */
  public static final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(String message) { super(message); }
  }

  private static final Map<String, Step> STEPS = Collections.synchronizedMap(new LinkedHashMap<>());

  static {
    register("prune", VariantSteps::prune);
    register("dynamic", VariantSteps::dynamic);
    register("float16", VariantSteps::float16);
    register("dequantize", VariantSteps::dequantize);
    register("sparse", VariantSteps::sparse);
    register("int8", (m, p) -> fullInteger(m, p, "int8"));
    register("uint8", (m, p) -> fullInteger(m, p, "uint8"));
  }

  /** Adds or replaces a step (e.g. {@code int8} once a full-integer quantizer exists). */
  public static void register(String name, Step step) { STEPS.put(name.toLowerCase(Locale.ROOT), step); }

  /** The registered names. */
  public static List<String> names() {
    synchronized (STEPS) {
      return new ArrayList<>(STEPS.keySet());
    }
  }

  /** The step of that name, or an error listing the known ones. */
  public static Step get(String name) {
    Step s = STEPS.get(name.toLowerCase(Locale.ROOT));
    if (s == null) throw new IllegalArgumentException("unknown step '" + name + "'; known: " + String.join(", ", names()));
    return s;
  }

  /** A step's parameters (from the plan), read with type checks; {@link #checkUsed} rejects misspelt keys. */
  public static final class Params {
    private final String step;
    /** Sample inputs for calibration, or null. */
    Calibrator.Source calibration;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    public Params(String step, Map<String, Object> values) {
      this.step = step;
      this.values = values == null ? Map.of() : new LinkedHashMap<>(values);
    }

    public Map<String, Object> values() { return Collections.unmodifiableMap(values); }

    public double getDouble(String key, double def) {
      Object v = take(key);
      if (v == null) return def;
      if (v instanceof Number n) return n.doubleValue();
      throw bad(key, v, "a number");
    }

    public int getInt(String key, int def) {
      Object v = take(key);
      if (v == null) return def;
      if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.intValue();
      throw bad(key, v, "an integer");
    }

    public boolean getBoolean(String key, boolean def) {
      Object v = take(key);
      if (v == null) return def;
      if (v instanceof Boolean b) return b;
      throw bad(key, v, "true or false");
    }

    public String getString(String key, String def) {
      Object v = take(key);
      if (v == null) return def;
      if (v instanceof String s) return s;
      throw bad(key, v, "a string");
    }

    public List<String> getStrings(String key) {
      Object v = take(key);
      if (v == null) return null;
      if (v instanceof String s) return List.of(s.split(","));
      if (v instanceof List<?> l) {
        List<String> out = new ArrayList<>();
        for (Object o : l) {
          if (!(o instanceof String s)) throw bad(key, v, "a list of strings");
          out.add(s);
        }
        return out;
      }
      throw bad(key, v, "a list of strings");
    }

    private Object take(String key) {
      read.add(key);
      return values.get(key);
    }

    private IllegalArgumentException bad(String key, Object v, String what) {
      return new IllegalArgumentException("step " + step + ": '" + key + "' must be " + what + ", not " + v);
    }

    /** Fails on keys no getter asked for (a misspelt option would otherwise be ignored silently). */
    public void checkUsed() {
      for (String k : values.keySet()) {
        if (!read.contains(k)) throw new IllegalArgumentException("step " + step + " has no option '" + k + "'" + (read.isEmpty() ? " (it takes none)" : "; it takes " + String.join(", ", read)));
      }
    }
  }

  /** Applies one named step and checks that every parameter was understood. */
  public static String apply(String name, EditableModel m, Map<String, Object> params) {
    return apply(name, m, params, null);
  }

  /**
   * Applies one named step; {@code calibration} gives the steps that calibrate (int8, uint8) their sample inputs, or
   * is null (they then calibrate on random inputs and say so).
   */
  public static String apply(String name, EditableModel m, Map<String, Object> params, Calibrator.Source calibration) {
    Params p = new Params(name, params);
    p.calibration = calibration;
    String what = get(name).apply(m, p);
    p.checkUsed();
    return what;
  }

  static String prune(EditableModel m, Params p) {
    Pruner.Options o = new Pruner.Options().sparsity(p.getDouble("sparsity", 0.5))
        .structure(Pruner.Structure.parse(p.getString("pattern", "unstructured")));
    String scope = p.getString("scope", "layer").toLowerCase(Locale.ROOT);
    switch (scope) {
      case "layer": o.scope(Pruner.Scope.LAYER); break;
      case "global": o.scope(Pruner.Scope.GLOBAL); break;
      default: throw new IllegalArgumentException("step prune: scope is layer or global, not " + scope);
    }
    List<String> ops = p.getStrings("ops");
    if (ops != null) o.ops(opTypes(ops));
    String include = p.getString("include", null);
    if (include != null) o.include(include);
    List<String> skip = p.getStrings("skip");
    if (skip != null) o.skip(new LinkedHashSet<>(skip));
    Pruner.Report r = Pruner.prune(m, o);
    return String.format(Locale.ROOT, "pruned %d layers (%,d weights) from %.1f%% to %.1f%% zeros", r.layers().size(), r.weights(), 100 * r.before(), 100 * r.after());
  }

  /** conv, depthwise, dense (or fc), or the builtin names. */
  public static Set<String> opTypes(List<String> names) {
    Set<String> out = new LinkedHashSet<>();
    for (String s : names) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "conv": case "conv_2d": out.add("CONV_2D"); break;
        case "depthwise": case "depthwise_conv_2d": out.add("DEPTHWISE_CONV_2D"); break;
        case "dense": case "fc": case "fully_connected": out.add("FULLY_CONNECTED"); break;
        default: throw new IllegalArgumentException("op type '" + s + "': conv, depthwise or dense");
      }
    }
    return out;
  }

  static String dynamic(EditableModel m, Params p) {
    DynamicRangeQuantizer.Options o = DynamicRangeQuantizer.Options.defaults()
        .withMinElements(p.getInt("min_elements", 1024))
        .withPerChannel(p.getBoolean("per_channel", true))
        .withPerChannelDense(p.getBoolean("per_channel_dense", false));
    DynamicRangeQuantizer.Report r = DynamicRangeQuantizer.quantize(m, o);
    return String.format(Locale.ROOT, "dynamic-range int8 weights: %d tensors (%,d -> %,d bytes), %d left float (small)",
        r.quantized(), r.floatBytes(), r.int8Bytes(), r.skippedSmall());
  }

  /**
   * Full-integer quantization of the model as it stands (after earlier steps): calibrated on the first
   * {@code samples} (default 200) images of the experiment's data, or on random inputs when there are none. Options:
   * {@code method} (minmax, moving-average, percentile, mse, kl), {@code io} (float, int8, uint8), {@code per_channel},
   * {@code power_of_two}, {@code symmetric}, {@code fold_batch_norm} (default true: MUL / ADD by per-channel constants
   * after a layer folded into it first), {@code fuse_activations} (default true: standalone RELU / RELU6 / RELU_N1_TO_1
   * fused into the op before them), {@code equalize} and {@code equalize_relu6} (cross-layer equalisation, default
   * false), {@code bias_correction} (default false).
   */
  static String fullInteger(EditableModel m, Params p, String scheme) {
    int samples = p.getInt("samples", 200);
    if (samples < 1) throw new IllegalArgumentException("step " + scheme + ": samples must be at least 1, not " + samples);
    Calibrator.Method method = Calibrator.Method.parse(p.getString("method", "minmax"));
    FullIntegerQuantizer.Options o = new FullIntegerQuantizer.Options().scheme(FullIntegerQuantizer.Scheme.parse(scheme))
        .method(method).perChannel(p.getBoolean("per_channel", true)).powerOfTwo(p.getBoolean("power_of_two", false))
        .symmetric(p.getBoolean("symmetric", false)).foldBatchNorm(p.getBoolean("fold_batch_norm", true))
        .fuseActivations(p.getBoolean("fuse_activations", true)).equalize(p.getBoolean("equalize", false))
        .equalizeRelu6(p.getBoolean("equalize_relu6", false)).biasCorrection(p.getBoolean("bias_correction", false));
    String io = p.getString("io", "float").toLowerCase(Locale.ROOT);
    switch (io) {
      case "float": case "float32": o.io(TensorType.FLOAT32); break;
      case "int8": o.io(TensorType.INT8); break;
      case "uint8": o.io(TensorType.UINT8); break;
      default: throw new IllegalArgumentException("step " + scheme + ": io is float, int8 or uint8, not " + io);
    }
    Calibrator.Source all = p.calibration;
    String from;
    Calibrator.Source source;
    if (all == null || all.count() == 0) {
      source = Calibrator.random(samples, 1, -1, 1);
      from = samples + " random inputs";
    } else {
      int n = Math.min(samples, all.count());
      source = new Calibrator.Source() {
        @Override public int count() { return n; }
        @Override public void fill(int index, io.kompakt.engine.run.Interpreter it) throws Exception { all.fill(index, it); }
      };
      from = "the first " + n + " images";
    }
    try {
      FullIntegerQuantizer.prepare(m, o);
      Model floatModel = Model.from(ModelWriter.toBytes(m));
      Calibrator c = Calibrator.run(floatModel, source, o.calibrationNeeds(), 1, null);
      m.replaceWith(FullIntegerQuantizer.quantize(floatModel, c, o));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("step " + scheme + ": calibration failed: " + e.getMessage(), e);
    }
    return String.format(Locale.ROOT, "full-integer %s (%s calibration on %s, %s I/O)", scheme,
        method.name().toLowerCase(Locale.ROOT).replace('_', '-'), from, io);
  }

  static String float16(EditableModel m, Params p) {
    int n = Float16Quantizer.quantize(m, p.getInt("min_elements", 1024));
    return "float16 weights: " + n + " constants";
  }

  static String dequantize(EditableModel m, Params p) {
    Dequantizer.Report r = Dequantizer.dequantize(m, p.getBoolean("clamp", true));
    return "dequantized: " + r.constants() + " constants, " + r.removedOps() + " ops removed";
  }

  static String sparse(EditableModel m, Params p) {
    SparseEncoder.Report r = SparseEncoder.encode(m, new SparseEncoder.Options().tryBlocks(p.getBoolean("try_blocks", true)));
    return "sparse storage: " + r.encoded().size() + " tensors behind " + r.densifyOps() + " DENSIFY ops";
  }
}
