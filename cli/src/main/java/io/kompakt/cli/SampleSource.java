package io.kompakt.cli;

import io.kompakt.compress.quant.Calibrator;
import io.kompakt.data.Idx;
import io.kompakt.data.ImageInput;
import io.kompakt.data.RgbImage;
import io.kompakt.data.Resize;
import io.kompakt.data.TensorFiles;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Samples for calibration and evaluation, for a model's first input, as float values (written into float inputs
 * as they are, quantized into integer ones by {@link Calibrator#setInput}): a folder of images (JPEG/PNG/BMP,
 * resized and normalized as {@code kompakt run} does) or of {@code .npy}/{@code .bin} tensors (one per sample, in the
 * float model's input type), an IDX image file (MNIST / Fashion-MNIST; labels from the matching labels file), or
 * {@code random} (uniform in [-1, 1)).
 */
final class SampleSource {
  private final String description;
  private final List<Path> files;
  private final Idx.Array idx;
  private final int[] labels;
  private final ImageInput.Normalization norm;
  private final long seed;
  private final int randomCount;

  private SampleSource(String description, List<Path> files, Idx.Array idx, int[] labels, ImageInput.Normalization norm,
      long seed, int randomCount) {
    this.description = description;
    this.files = files;
    this.idx = idx;
    this.labels = labels;
    this.norm = norm;
    this.seed = seed;
    this.randomCount = randomCount;
  }

  /** {@code spec}: a folder, an IDX file, or "random" ({@code randomCount} samples of seed {@code seed}). */
  static SampleSource open(String spec, ImageInput.Normalization imageNorm, ImageInput.Normalization idxNorm, long seed,
      int randomCount) throws IOException {
    if (spec.equalsIgnoreCase("random")) return new SampleSource("random inputs in [-1, 1) (seed " + seed + ")", null, null, null, null, seed, randomCount);
    Path p = Path.of(spec);
    if (Files.isDirectory(p)) {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> s = Files.list(p)) {
        s.filter(Files::isRegularFile).filter(f -> kind(f) != null).sorted().forEach(files::add);
      }
      if (files.isEmpty()) throw new IllegalArgumentException(p + " holds no images (.jpg, .jpeg, .png, .bmp) or tensors (.npy, .bin)");
      return new SampleSource(files.size() + " files of " + p, files, null, null, imageNorm, seed, 0);
    }
    if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString());
    String name = p.getFileName().toString();
    if (!name.contains("idx3-ubyte")) {
      throw new IllegalArgumentException(p + ": calibration data is a folder of images or tensors, an IDX image file (*-images-idx3-ubyte[.gz]) or 'random'");
    }
    Idx.Array images = Idx.read(p);
    if (images.shape().length != 3) throw new IllegalArgumentException(p + " is not an IDX image file: shape " + java.util.Arrays.toString(images.shape()));
    int[] labels = null;
    Path lab = p.resolveSibling(name.replace("images-idx3", "labels-idx1"));
    if (!lab.equals(p) && Files.isRegularFile(lab)) {
      Idx.Array l = Idx.read(lab);
      if (l.count() == images.count()) {
        labels = new int[l.count()];
        for (int i = 0; i < labels.length; i++) labels[i] = l.data()[i] & 0xFF;
      }
    }
    return new SampleSource(images.count() + " images of " + p + (labels != null ? " (labelled)" : ""), null, images, labels, idxNorm, seed, 0);
  }

  private static String kind(Path f) {
    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
    if (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".bmp")) return "image";
    if (n.endsWith(".npy") || n.endsWith(".bin")) return "tensor";
    return null;
  }

  int size() { return files != null ? files.size() : idx != null ? idx.count() : randomCount; }

  String description() { return description; }

  /** The labels of samples {@code from .. from + count}, or null. */
  int[] labels(int from, int count) {
    if (labels == null) return null;
    return java.util.Arrays.copyOfRange(labels, from, from + count);
  }

  /** Samples {@code from .. from + count} as a calibration source. */
  Calibrator.Source range(int from, int count) {
    if (from < 0 || count < 0 || (files != null || idx != null) && from + count > size()) {
      throw new IllegalArgumentException(description + ": samples " + from + ".." + (from + count) + " asked, " + size() + " there");
    }
    if (files == null && idx == null) {
      Calibrator.Source r = Calibrator.random(from + count, seed, -1, 1);
      return new Calibrator.Source() {
        @Override public int count() { return count; }

        @Override public void fill(int index, Interpreter it) throws Exception { r.fill(from + index, it); }
      };
    }
    return new Calibrator.Source() {
      @Override public int count() { return count; }

      @Override public void fill(int index, Interpreter it) throws Exception { fillSample(from + index, it.getInputTensor(0)); }
    };
  }

  private void fillSample(int i, RuntimeTensor t) throws IOException {
    RuntimeTensor f = new RuntimeTensor(0, t.name, TensorType.FLOAT32, t.shape, null);
    f.allocateOwn();
    if (idx != null) {
      int[] s = t.shape;
      int h = idx.shape()[1], w = idx.shape()[2];
      if (s.length != 4 || s[0] != 1 || s[3] != 1 && s[3] != 3) throw new IllegalArgumentException("input " + t + " is not an image input [1, h, w, 1 or 3]");
      byte[] rgb = new byte[3 * h * w];
      for (int p = 0; p < h * w; p++) {
        byte v = idx.data()[i * h * w + p];
        rgb[3 * p] = v; rgb[3 * p + 1] = v; rgb[3 * p + 2] = v;
      }
      RgbImage img = new RgbImage(w, h, rgb);
      if (w != s[2] || h != s[1]) img = Resize.bilinear(img, s[2], s[1]);
      ImageInput.fill(f, img, norm);
    } else {
      Path p = files.get(i);
      if ("image".equals(kind(p))) ImageInput.fill(f, p, norm);
      else if (t.type == TensorType.FLOAT32) TensorFiles.read(p, f);
      else throw new IllegalArgumentException(p + ": tensor files calibrate float inputs only; input " + t + " is " + t.type.lowerName());
    }
    Calibrator.setInput(t, java.util.Arrays.copyOfRange(f.f32, 0, f.size()));
  }
}
