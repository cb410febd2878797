package io.kompakt.testdata;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Generated labelled image folders (one sub-folder per class) for tests of data sets and transfer learning. */
public final class ImageFolders {
  private ImageFolders() {}

  /**
   * Three classes, {@code blue}, {@code green} and {@code red}: 40x30 PNGs of noise with one channel raised by 140, so
   * that colour (and brightness, for grey models) tells the class.
   */
  public static Path colours(Path dir, int perClass, long seed) throws IOException {
    Random r = new Random(seed);
    String[] names = {"blue", "green", "red"};
    for (int c = 0; c < 3; c++) {
      Path f = Files.createDirectories(dir.resolve(names[c]));
      for (int i = 0; i < perClass; i++) {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
          for (int x = 0; x < 40; x++) {
            int[] rgb = {r.nextInt(110), r.nextInt(110), r.nextInt(110)};
            rgb[2 - c] += 140; // blue raises channel 2, red channel 0
            img.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
          }
        }
        ImageIO.write(img, "png", f.resolve(i + ".png").toFile());
      }
    }
    return dir;
  }
}
