package io.kompakt.data;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fills a model's image input from an image file: resized bilinearly to the input's height and width, then
 * by the input's type: float32 {@code (x - mean) / std} per channel (default mean = std = 127.5, i.e. [-1, 1]);
 * uint8 raw pixels; int8 pixels minus 128. One-channel inputs take the luminance (ITU-R 601, as Pillow's "L").
 */
public final class ImageInput {
  private ImageInput() {}

  /** Normalization of float inputs: {@code (x - mean[c]) / std[c]}; one value applies to every channel. */
  public record Normalization(float[] mean, float[] std) {
    public static final Normalization MINUS_ONE_TO_ONE = new Normalization(new float[] {127.5f}, new float[] {127.5f});

    float mean(int c) { return mean[Math.min(c, mean.length - 1)]; }

    float std(int c) { return std[Math.min(c, std.length - 1)]; }

    @Override
    public String toString() { return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std); }
  }

  /** Reads an image file and writes it into an NHWC input tensor (batch 1; height, width, 1 or 3 channels). */
  public static void fill(RuntimeTensor input, Path image, Normalization norm) throws IOException {
    int[] s = input.shape;
    if (s.length != 4 || s[0] != 1 || (s[3] != 1 && s[3] != 3)) {
      throw new IllegalArgumentException("input " + input + " is not an image input [1, height, width, 1 or 3]");
    }
    RgbImage img = Resize.bilinear(RgbImage.read(image), s[2], s[1]);
    fill(input, img, norm);
  }

  /** Writes an image (already of the input's size) into the input tensor. */
  public static void fill(RuntimeTensor input, RgbImage img, Normalization norm) {
    int h = input.shape[1], w = input.shape[2], c = input.shape[3];
    if (img.width() != w || img.height() != h) throw new IllegalArgumentException("image is " + img.width() + "x" + img.height() + ", input wants " + w + "x" + h);
    byte[] rgb = img.rgb();
    for (int p = 0; p < w * h; p++) {
      for (int k = 0; k < c; k++) {
        int v;
        if (c == 1) {
          int r = rgb[3 * p] & 0xFF, g = rgb[3 * p + 1] & 0xFF, b = rgb[3 * p + 2] & 0xFF;
          v = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16; // Pillow's L conversion
        } else {
          v = rgb[3 * p + k] & 0xFF;
        }
        int i = input.offset + p * c + k;
        if (input.type == TensorType.FLOAT32) input.f32[i] = (v - norm.mean(k)) / norm.std(k);
        else if (input.type == TensorType.UINT8) input.i8[i] = (byte) v;
        else if (input.type == TensorType.INT8) input.i8[i] = (byte) (v - 128);
        else throw new IllegalArgumentException("input " + input + ": images go into float32, uint8 or int8 inputs, not " + input.type.lowerName());
      }
    }
  }
}
