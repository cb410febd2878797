package io.kompakt.measure.eval;

import io.kompakt.data.Dataset;
import io.kompakt.data.Preprocessing;
import io.kompakt.data.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A data set's images decoded, cropped, resized to one input size and put in the model's channel order once, so
 * that every variant of an experiment is fed identical pixels without decoding them again. Kept in memory when
 * they fit in {@link #CACHE_BYTES}; otherwise decoded on every use.
 */
public final class PreparedImages {
  /** Largest cache (bytes of pixels) kept in memory. */
  public static final long CACHE_BYTES = 384L << 20;

  private final Dataset data;
  private final Preprocessing pre;
  private final int width, height;
  private final RgbImage[] cache;

  public PreparedImages(Dataset data, Preprocessing pre, int width, int height) {
    this.data = data;
    this.pre = pre;
    this.width = width;
    this.height = height;
    this.cache = (long) width * height * 3 * data.size() <= CACHE_BYTES ? new RgbImage[data.size()] : null;
  }

  public Dataset dataset() { return data; }

  public Preprocessing preprocessing() { return pre; }

  public int width() { return width; }

  public int height() { return height; }

  public int size() { return data.size(); }

  /** Image {@code i} at the input size (already cropped, resized and in channel order). */
  public RgbImage get(int i) {
    if (cache != null && cache[i] != null) return cache[i];
    RgbImage img;
    try {
      img = pre.apply(data.image(i), width, height);
    } catch (IOException e) {
      throw new UncheckedIOException(data.id(i) + ": " + e.getMessage(), e);
    }
    if (cache != null) cache[i] = img;
    return img;
  }
}
