package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kompakt.data.Resize;
import io.kompakt.data.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Kompakt's image decoding and bilinear resize give the goldens' uint8 inputs byte for byte (they used Pillow). */
class ImagePreprocessingTest {
  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"cat,mobilenet_v1_0.25_224_quant", "bird,mobilenet_v1_0.25_128_quant", "hot_dog,mobilenet_v1_0.5_160_quant",
      "grace_hopper,mobilenet_v1_0.25_224_quant", "parrot,mobilenet_v1_0.25_128_quant", "dragonfly,mobilenet_v1_0.5_160_quant"})
  void resizedImageEqualsGoldenInput(String image, String model) throws Exception {
    assumeTrue(Shared.available(), Shared.SKIP_MESSAGE);
    Path file;
    try (Stream<Path> s = Files.list(Shared.resolve("images"))) {
      file = s.filter(p -> p.getFileName().toString().startsWith(image + ".")).findFirst().orElseThrow();
    }
    byte[] golden = Files.readAllBytes(Shared.resolve("golden").resolve(model).resolve("image-" + image).resolve("input_0.bin"));
    int side = (int) Math.round(Math.sqrt(golden.length / 3.0));
    assertArrayEquals(golden, Resize.bilinear(RgbImage.read(file), side, side).rgb());
  }
}
