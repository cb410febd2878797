package io.kompakt.train;

import io.kompakt.data.Idx;

/** Labelled samples for training and evaluation, read one at a time into a float array. Thread-safe for reading. */
public interface Dataset {
  int size();

  /** The class of sample {@code i}, in [0, classes). */
  int label(int i);

  /** Writes sample {@code i}'s input values into {@code dst} (the model input's size). */
  void sample(int i, float[] dst);

  /** Values per sample. */
  int sampleSize();

  /**
   * IDX images (MNIST, Fashion-MNIST), pixels scaled as {@code (p - mean) / std}; {@code channels} copies of each grey
   * value (1 for a grey model input, 3 for an RGB one).
   */
  static Dataset of(Idx.LabelledImages images, double mean, double std, int channels) {
    if (!(std > 0)) throw new IllegalArgumentException("std must be positive, is " + std);
    if (channels < 1) throw new IllegalArgumentException("channels must be positive");
    int pixels = images.height() * images.width();
    byte[] data = images.images().data();
    float[] table = new float[256];
    for (int p = 0; p < 256; p++) table[p] = (float) ((p - mean) / std);
    return new Dataset() {
      @Override public int size() { return images.size(); }
      @Override public int label(int i) { return images.label(i); }
      @Override public int sampleSize() { return pixels * channels; }
      @Override public void sample(int i, float[] dst) {
        int base = i * pixels;
        if (channels == 1) {
          for (int k = 0; k < pixels; k++) dst[k] = table[data[base + k] & 0xff];
        } else {
          for (int k = 0; k < pixels; k++) {
            float v = table[data[base + k] & 0xff];
            for (int c = 0; c < channels; c++) dst[k * channels + c] = v;
          }
        }
      }
    };
  }

  /** Samples held in memory: {@code inputs[i]} with class {@code labels[i]} (small and generated data sets). */
  static Dataset of(float[][] inputs, int[] labels) {
    if (inputs.length != labels.length) throw new IllegalArgumentException(inputs.length + " inputs but " + labels.length + " labels");
    if (inputs.length == 0) throw new IllegalArgumentException("no samples");
    int n = inputs[0].length;
    for (float[] x : inputs) if (x.length != n) throw new IllegalArgumentException("samples differ in size");
    return new Dataset() {
      @Override public int size() { return inputs.length; }
      @Override public int label(int i) { return labels[i]; }
      @Override public int sampleSize() { return n; }
      @Override public void sample(int i, float[] dst) { System.arraycopy(inputs[i], 0, dst, 0, n); }
    };
  }

  /** The first {@code n} samples (or all, if fewer). */
  default Dataset head(int n) {
    Dataset d = this;
    int m = Math.min(n, size());
    return new Dataset() {
      @Override public int size() { return m; }
      @Override public int label(int i) { return d.label(i); }
      @Override public int sampleSize() { return d.sampleSize(); }
      @Override public void sample(int i, float[] dst) { d.sample(i, dst); }
    };
  }
}
