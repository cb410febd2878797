package io.kompakt.data;

import io.kompakt.engine.run.RuntimeTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a data set's images become a model's input, declared once and recorded in every report: an optional
 * centre crop (a fraction of the shorter side, as the ImageNet evaluations' 0.875), a bilinear resize to the
 * input's height and width exactly as Pillow does it (which also up-scales, e.g. 28x28 MNIST to a 75x75
 * InceptionV3 input), the channel order (RGB or BGR), and then by the input's type: float32
 * {@code (x - mean[c]) / std[c]}; uint8 raw pixels; int8 pixels minus 128. Grayscale images (IDX) fill every
 * channel of an RGB input with the same value; a one-channel input takes the luminance of a colour image
 * (ITU-R 601, as Pillow's "L").
 *
 * @param crop fraction of the shorter side kept by a centre crop, in (0, 1]; 1 keeps the whole image
 * @param mean per-channel mean for float inputs (one value applies to every channel)
 * @param std per-channel standard deviation for float inputs, never 0
 * @param bgr whether the model expects blue, green, red
 * @param normalizationSource where mean and std came from ("default", "model metadata", "user")
 */
public record Preprocessing(double crop, float[] mean, float[] std, boolean bgr, String normalizationSource) {
  public Preprocessing {
    if (!(crop > 0 && crop <= 1)) throw new IllegalArgumentException("crop must be in (0, 1], got " + crop);
    if (mean == null || mean.length == 0 || std == null || std.length == 0) throw new IllegalArgumentException("mean and std need at least one value");
    for (float s : std) if (s == 0 || !Float.isFinite(s)) throw new IllegalArgumentException("std must be finite and not 0: " + Arrays.toString(std));
    for (float m : mean) if (!Float.isFinite(m)) throw new IllegalArgumentException("mean must be finite: " + Arrays.toString(mean));
    mean = mean.clone();
    std = std.clone();
    if (normalizationSource == null) normalizationSource = "user";
  }

  /** No crop, RGB, float inputs scaled to [-1, 1] ((x - 127.5) / 127.5, as {@code kompakt run} does). */
  public static Preprocessing defaults() {
    return new Preprocessing(1, new float[] {127.5f}, new float[] {127.5f}, false, "default");
  }

  /**
   * The preprocessing for a model: {@code mean} and {@code std} where given, else the model's TFLite Metadata
   * normalization where it has one, else [-1, 1] ((x - 127.5) / 127.5), as {@code kompakt run} does.
   */
  public static Preprocessing forModel(io.kompakt.engine.model.Model model, double crop, float[] mean, float[] std, boolean bgr) {
    float[] mn = mean, sd = std;
    String source = mean != null && std != null ? "user" : null;
    if ((mn == null || sd == null) && model != null && model.tfliteMetadata() != null) {
      double[][] n = io.kompakt.engine.model.MetadataView.inputNormalization(model.tfliteMetadata());
      if (n != null) {
        if (mn == null) mn = floats(n[0]);
        if (sd == null) sd = floats(n[1]);
        source = "model metadata" + (mean != null || std != null ? " and user" : "");
      }
    }
    if (mn == null || sd == null) source = mean != null || std != null ? "user, default for the rest" : "default [-1, 1]";
    if (mn == null) mn = new float[] {127.5f};
    if (sd == null) sd = new float[] {127.5f};
    return new Preprocessing(crop, mn, sd, bgr, source);
  }

  private static float[] floats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
    return f;
  }

  public Preprocessing withCrop(double c) { return new Preprocessing(c, mean, std, bgr, normalizationSource); }

  public Preprocessing withNormalization(float[] m, float[] s, String source) { return new Preprocessing(crop, m, s, bgr, source); }

  public Preprocessing withBgr(boolean b) { return new Preprocessing(crop, mean, std, b, normalizationSource); }

  /** The normalization handed to {@link ImageInput}. */
  public ImageInput.Normalization normalization() { return new ImageInput.Normalization(mean, std); }

  /** The image cropped, resized to {@code w} x {@code h} and in the model's channel order. */
  public RgbImage apply(RgbImage img, int w, int h) {
    RgbImage x = crop < 1 ? centreCrop(img, crop) : img;
    x = Resize.bilinear(x, w, h);
    return bgr ? swapRedBlue(x) : x;
  }

  /** Writes an image into an NHWC image input [1, h, w, 1 or 3]: {@link #apply} then the input type's scaling. */
  public void fill(RuntimeTensor input, RgbImage img) {
    int[] s = input.shape;
    if (s.length != 4 || s[0] != 1 || (s[3] != 1 && s[3] != 3)) {
      throw new IllegalArgumentException("input " + input + " is not an image input [1, height, width, 1 or 3]");
    }
    ImageInput.fill(input, apply(img, s[2], s[1]), normalization());
  }

  /** The central {@code fraction} of the shorter side, a square-ish window of the same aspect as the original. */
  public static RgbImage centreCrop(RgbImage img, double fraction) {
    int w = Math.max(1, (int) Math.round(img.width() * fraction)), h = Math.max(1, (int) Math.round(img.height() * fraction));
    int x0 = (img.width() - w) / 2, y0 = (img.height() - h) / 2;
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) System.arraycopy(img.rgb(), ((y0 + y) * img.width() + x0) * 3, out, y * w * 3, w * 3);
    return new RgbImage(w, h, out);
  }

  static RgbImage swapRedBlue(RgbImage img) {
    byte[] p = img.rgb().clone();
    for (int i = 0; i < p.length; i += 3) {
      byte r = p[i];
      p[i] = p[i + 2];
      p[i + 2] = r;
    }
    return new RgbImage(img.width(), img.height(), p);
  }

  /** One line for reports and logs. */
  public String describe() {
    return String.format(Locale.ROOT, "%sbilinear resize (Pillow) to the input size, %s, float inputs (x - %s) / %s (%s); uint8 raw, int8 minus 128",
        crop < 1 ? String.format(Locale.ROOT, "centre crop %.3f, ", crop) : "", bgr ? "BGR" : "RGB", fmt(mean), fmt(std), normalizationSource);
  }

  /** The fields as a map, for JSON reports. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("crop", crop);
    m.put("resize", "bilinear (Pillow) to the input's height and width");
    m.put("channel_order", bgr ? "BGR" : "RGB");
    m.put("grayscale", "replicated to RGB inputs; one-channel inputs take the luminance (ITU-R 601)");
    m.put("mean", toList(mean));
    m.put("std", toList(std));
    m.put("normalization_source", normalizationSource);
    m.put("integer_inputs", "uint8 raw pixels, int8 pixels minus 128");
    return m;
  }

  private static java.util.List<Float> toList(float[] a) {
    java.util.List<Float> l = new java.util.ArrayList<>();
    for (float f : a) l.add(f);
    return l;
  }

  private static String fmt(float[] a) {
    if (a.length == 1) return trim(a[0]);
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < a.length; i++) sb.append(i > 0 ? ", " : "").append(trim(a[i]));
    return sb.append(']').toString();
  }

  private static String trim(float f) {
    return f == Math.rint(f) ? String.valueOf((long) f) : String.valueOf(f);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Preprocessing p && p.crop == crop && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std) && p.bgr == bgr;
  }

  @Override
  public int hashCode() { return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std) + Double.hashCode(crop) + (bgr ? 1 : 0); }

  @Override
  public String toString() { return describe(); }
}
