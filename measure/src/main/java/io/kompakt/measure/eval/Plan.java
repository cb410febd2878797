package io.kompakt.measure.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.measure.LatencyBench;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An experiment plan (JSON): a base model, a data set with its preprocessing, how to time, and the variants —
 * listed one by one and/or as a grid (sparsities x layer selections x quantizations, the seeds' workflow). Paths
 * are relative to the plan's folder. See {@code docs/experiments.md} for the format.
 */
public record Plan(Path file, String name, Path base, Path reference, Path data, String split, int limit, double crop,
                   float[] mean, float[] std, boolean bgr, Evaluator.Options evaluation, LatencyBench.Config latency,
                   boolean sparseStorage, List<Variant> variants) {

  /** A variant: a name and the steps that make it from the base model (none: the base itself). */
  public record Variant(String name, List<StepSpec> steps) {
    /** The steps as text, e.g. "prune(sparsity=0.3) + dynamic". */
    public String describe() {
      if (steps.isEmpty()) return "base model";
      List<String> parts = new ArrayList<>();
      for (StepSpec s : steps) parts.add(s.params().isEmpty() ? s.step() : s.step() + s.params());
      return String.join(" + ", parts);
    }
  }

  /** One step of a variant and its parameters. */
  public record StepSpec(String step, Map<String, Object> params) {}

  private static final Set<String> TOP_KEYS = Set.of("name", "base", "reference", "data", "split", "limit", "preprocessing",
      "evaluation", "latency", "sparse_storage", "layers", "grid", "variants", "include_base");

  /** Reads and checks a plan file. */
  public static Plan read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such plan file");
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage()
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
    }
    try {
      return parse(root, file.toAbsolutePath().getParent(), file);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** Builds a plan from a JSON tree; relative paths resolve against {@code dir}. */
  public static Plan parse(JsonNode root, Path dir, Path file) {
    if (root == null || !root.isObject()) throw new IllegalArgumentException("a plan is a JSON object");
    checkKeys(root, TOP_KEYS, "plan");
    Path base = path(root, "base", dir, true);
    Path reference = path(root, "reference", dir, false);
    Path data = path(root, "data", dir, true);
    String split = text(root, "split", "t10k");
    int limit = integer(root, "limit", 0);
    if (limit < 0) throw new IllegalArgumentException("limit must be 0 (all) or more, not " + limit);

    JsonNode pre = object(root, "preprocessing");
    checkKeys(pre, Set.of("crop", "mean", "std", "bgr"), "preprocessing");
    double crop = number(pre, "crop", 1);
    float[] mean = floats(pre, "mean"), std = floats(pre, "std");
    boolean bgr = bool(pre, "bgr", false);

    JsonNode ev = object(root, "evaluation");
    checkKeys(ev, Set.of("threads", "kernels", "cooldown_ms"), "evaluation");
    Evaluator.Options evaluation = new Evaluator.Options(integer(ev, "threads", 1), kernels(text(ev, "kernels", "auto")), integer(ev, "cooldown_ms", 0));

    JsonNode lat = object(root, "latency");
    checkKeys(lat, Set.of("runs", "warmup", "warmup_seconds", "cooldown_ms", "threads", "kernels"), "latency");
    int runs = integer(lat, "runs", 30);
    LatencyBench.Config latency = runs == 0 ? null : new LatencyBench.Config(integer(lat, "warmup", 5), number(lat, "warmup_seconds", 0.5), runs, 0,
        integer(lat, "cooldown_ms", 0), integer(lat, "threads", evaluation.threads()), kernels(text(lat, "kernels", text(ev, "kernels", "auto"))), 1);

    Map<String, Map<String, Object>> layers = new LinkedHashMap<>();
    layers.put("all", Map.of());
    layers.put("conv", Map.of("ops", List.of("conv", "depthwise")));
    layers.put("dense", Map.of("ops", List.of("dense")));
    JsonNode ln = object(root, "layers");
    for (Iterator<Map.Entry<String, JsonNode>> it = ln.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isObject()) throw new IllegalArgumentException("layers." + e.getKey() + " must be an object of prune options");
      layers.put(e.getKey(), params(e.getValue()));
    }

    List<Variant> variants = new ArrayList<>();
    if (bool(root, "include_base", true)) variants.add(new Variant("base", List.of()));
    JsonNode grid = object(root, "grid");
    if (grid.size() > 0) variants.addAll(grid(grid, layers));
    JsonNode vs = root.get("variants");
    if (vs != null) {
      if (!vs.isArray()) throw new IllegalArgumentException("variants must be a list");
      for (JsonNode v : vs) {
        if (!v.isObject()) throw new IllegalArgumentException("each variant is an object with name and steps");
        checkKeys(v, Set.of("name", "steps"), "variant");
        String name = text(v, "name", null);
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a variant has no name");
        List<StepSpec> steps = new ArrayList<>();
        JsonNode sn = v.get("steps");
        if (sn != null) {
          if (!sn.isArray()) throw new IllegalArgumentException("variant " + name + ": steps must be a list");
          for (JsonNode s : sn) steps.add(step(s, name));
        }
        variants.add(new Variant(name, steps));
      }
    }
    Set<String> names = new LinkedHashSet<>();
    for (Variant v : variants) {
      if (!names.add(v.name())) throw new IllegalArgumentException("two variants are named '" + v.name() + "'");
      if (!v.name().matches("[A-Za-z0-9._+-]+")) throw new IllegalArgumentException("variant name '" + v.name() + "' may hold only letters, digits and . _ + -");
      for (StepSpec s : v.steps()) VariantSteps.get(s.step());
    }
    if (variants.isEmpty()) throw new IllegalArgumentException("the plan has no variants");
    return new Plan(file, text(root, "name", file == null ? "experiment" : file.getFileName().toString()), base, reference, data, split, limit,
        crop, mean, std, bgr, evaluation, latency, bool(root, "sparse_storage", true), variants);
  }

  /** sparsity x layers x quantize; "none" means no quantization step; quantized unpruned variants come first. */
  private static List<Variant> grid(JsonNode g, Map<String, Map<String, Object>> layers) {
    checkKeys(g, Set.of("sparsity", "layers", "quantize", "prune"), "grid");
    List<Double> sparsities = new ArrayList<>();
    JsonNode sp = g.get("sparsity");
    if (sp == null || !sp.isArray() || sp.isEmpty()) throw new IllegalArgumentException("grid.sparsity must be a list of numbers, e.g. [0.3, 0.6, 0.9]");
    for (JsonNode n : sp) {
      if (!n.isNumber() || n.asDouble() < 0 || n.asDouble() > 1) throw new IllegalArgumentException("grid.sparsity: " + n + " is not in [0, 1]");
      sparsities.add(n.asDouble());
    }
    List<String> layerNames = strings(g, "layers", List.of("all"));
    for (String l : layerNames) {
      if (!layers.containsKey(l)) throw new IllegalArgumentException("grid.layers: no layer selection '" + l + "'; defined: " + String.join(", ", layers.keySet()));
    }
    List<String> quant = strings(g, "quantize", List.of("none"));
    Map<String, Object> prune = params(object(g, "prune"));
    List<Variant> out = new ArrayList<>();
    for (String q : quant) {
      if (!q.equals("none")) out.add(new Variant(q, List.of(new StepSpec(q, Map.of()))));
    }
    for (double s : sparsities) {
      for (String l : layerNames) {
        Map<String, Object> p = new LinkedHashMap<>(prune);
        p.putAll(layers.get(l));
        p.put("sparsity", s);
        String pname = String.format(Locale.ROOT, "p%02d-%s", Math.round(s * 100), l);
        for (String q : quant) {
          List<StepSpec> steps = new ArrayList<>(List.of(new StepSpec("prune", p)));
          if (!q.equals("none")) steps.add(new StepSpec(q, Map.of()));
          out.add(new Variant(q.equals("none") ? pname : pname + "+" + q, steps));
        }
      }
    }
    return out;
  }

  private static StepSpec step(JsonNode s, String variant) {
    if (s.isTextual()) return new StepSpec(s.asText(), Map.of());
    if (!s.isObject() || s.get("step") == null || !s.get("step").isTextual()) {
      throw new IllegalArgumentException("variant " + variant + ": a step is a name or an object {\"step\": NAME, options...}");
    }
    Map<String, Object> p = params(s);
    p.remove("step");
    return new StepSpec(s.get("step").asText(), p);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> params(JsonNode n) {
    return n == null || n.isMissingNode() ? new LinkedHashMap<>() : new LinkedHashMap<>(new ObjectMapper().convertValue(n, Map.class));
  }

  private static void checkKeys(JsonNode n, Set<String> known, String where) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!known.contains(k)) throw new IllegalArgumentException(where + ": unknown key '" + k + "'; known: " + String.join(", ", new java.util.TreeSet<>(known)));
    }
  }

  private static JsonNode object(JsonNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return new ObjectMapper().createObjectNode();
    if (!v.isObject()) throw new IllegalArgumentException(key + " must be an object");
    return v;
  }

  private static Path path(JsonNode n, String key, Path dir, boolean required) {
    String s = text(n, key, null);
    if (s == null) {
      if (required) throw new IllegalArgumentException("'" + key + "' is missing");
      return null;
    }
    Path p = Path.of(s);
    return dir == null || p.isAbsolute() ? p : dir.resolve(p).normalize();
  }

  private static String text(JsonNode n, String key, String def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isTextual()) throw new IllegalArgumentException(key + " must be a string, not " + v);
    return v.asText();
  }

  private static int integer(JsonNode n, String key, int def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isIntegralNumber()) throw new IllegalArgumentException(key + " must be an integer, not " + v);
    return v.asInt();
  }

  private static double number(JsonNode n, String key, double def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isNumber()) throw new IllegalArgumentException(key + " must be a number, not " + v);
    return v.asDouble();
  }

  private static boolean bool(JsonNode n, String key, boolean def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isBoolean()) throw new IllegalArgumentException(key + " must be true or false, not " + v);
    return v.asBoolean();
  }

  private static float[] floats(JsonNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return null;
    if (v.isNumber()) return new float[] {(float) v.asDouble()};
    if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException(key + " must be a number or a list of numbers");
    float[] f = new float[v.size()];
    for (int i = 0; i < f.length; i++) {
      if (!v.get(i).isNumber()) throw new IllegalArgumentException(key + " must be a number or a list of numbers");
      f[i] = (float) v.get(i).asDouble();
    }
    return f;
  }

  private static List<String> strings(JsonNode n, String key, List<String> def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException(key + " must be a non-empty list of strings");
    List<String> out = new ArrayList<>();
    for (JsonNode x : v) {
      if (!x.isTextual()) throw new IllegalArgumentException(key + " must be a list of strings");
      out.add(x.asText());
    }
    return out;
  }

  /** "auto", "reference", "scalar" or "vector". */
  public static Interpreter.Kernels kernels(String s) {
    try {
      return Interpreter.Kernels.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kernels must be auto, reference, scalar or vector, not '" + s + "'");
    }
  }
}
