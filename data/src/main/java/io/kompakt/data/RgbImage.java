package io.kompakt.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
public record RgbImage(int width, int height, byte[] rgb) {

  /** Decodes a JPEG, PNG, BMP or GIF file (grayscale and palette images become RGB; alpha is dropped). */
  public static RgbImage read(Path file) throws IOException {
    if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
    BufferedImage img = ImageIO.read(file.toFile());
    if (img == null) throw new IOException(file + ": not an image Java can decode (JPEG, PNG, BMP, GIF)");
    int w = img.getWidth(), h = img.getHeight();
    byte[] rgb = new byte[w * h * 3];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x], o = (y * w + x) * 3;
        rgb[o] = (byte) (p >> 16);
        rgb[o + 1] = (byte) (p >> 8);
        rgb[o + 2] = (byte) p;
      }
    }
    return new RgbImage(w, h, rgb);
  }

  /** Pixel channel value 0..255. */
  public int at(int x, int y, int c) { return rgb[(y * width + x) * 3 + c] & 0xFF; }
}
