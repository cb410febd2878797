package io.kompakt.data;

import static org.junit.jupiter.api.Assertions.*;

import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.RuntimeTensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PreprocessingTest {
  static RgbImage ramp(int w, int h) {
    byte[] p = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        p[(y * w + x) * 3] = (byte) (10 * x);
        p[(y * w + x) * 3 + 1] = (byte) (10 * y);
        p[(y * w + x) * 3 + 2] = (byte) (x + y);
      }
    }
    return new RgbImage(w, h, p);
  }

  @Test
  void centreCropKeepsTheMiddle() {
    RgbImage c = Preprocessing.centreCrop(ramp(8, 4), 0.5);
    assertEquals(4, c.width());
    assertEquals(2, c.height());
    assertEquals(20, c.at(0, 0, 0)); // x0 = 2
    assertEquals(10, c.at(0, 0, 1)); // y0 = 1
    assertEquals(50, c.at(3, 1, 0));
  }

  /** A crop then a resize to the same size is the crop itself; BGR swaps red and blue only. */
  @Property(tries = 40)
  void applyIsCropThenResizeThenChannelOrder(@ForAll @IntRange(min = 2, max = 12) int w, @ForAll @IntRange(min = 2, max = 12) int h) {
    RgbImage img = ramp(w, h);
    Preprocessing p = Preprocessing.defaults().withCrop(0.5).withBgr(true);
    RgbImage crop = Preprocessing.centreCrop(img, 0.5);
    RgbImage out = p.apply(img, crop.width(), crop.height());
    for (int y = 0; y < crop.height(); y++) {
      for (int x = 0; x < crop.width(); x++) {
        assertEquals(crop.at(x, y, 2), out.at(x, y, 0));
        assertEquals(crop.at(x, y, 1), out.at(x, y, 1));
        assertEquals(crop.at(x, y, 0), out.at(x, y, 2));
      }
    }
  }

  @Test
  void fillScalesByTheInputType() {
    RgbImage img = ramp(2, 2);
    Preprocessing p = Preprocessing.defaults().withNormalization(new float[] {0, 10, 20}, new float[] {255, 2, 4}, "user");
    RuntimeTensor f = new RuntimeTensor(0, "in", TensorType.FLOAT32, new int[] {1, 2, 2, 3}, null);
    f.allocateOwn();
    p.fill(f, img);
    // pixel (1, 1): r = 10, g = 10, b = 2
    assertEquals(10 / 255f, f.f32[9], 1e-7);
    assertEquals(0f, f.f32[10], 1e-7);
    assertEquals((2 - 20) / 4f, f.f32[11], 1e-7);
    RuntimeTensor q = new RuntimeTensor(0, "in", TensorType.INT8, new int[] {1, 2, 2, 3}, Quantization.perTensor(1, -128));
    q.allocateOwn();
    p.fill(q, img);
    assertEquals(10 - 128, q.i8[9]);
    RuntimeTensor gray = new RuntimeTensor(0, "in", TensorType.UINT8, new int[] {1, 2, 2, 1}, Quantization.perTensor(1, 0));
    gray.allocateOwn();
    Preprocessing.defaults().fill(gray, new RgbImage(2, 2, new byte[] {7, 7, 7, 8, 8, 8, 9, 9, 9, (byte) 200, (byte) 200, (byte) 200}));
    assertArrayEquals(new byte[] {7, 8, 9, (byte) 200}, java.util.Arrays.copyOfRange(gray.i8, gray.offset, gray.offset + 4), "gray stays exact");
    RuntimeTensor bad = new RuntimeTensor(0, "in", TensorType.FLOAT32, new int[] {1, 4}, null);
    assertThrows(IllegalArgumentException.class, () -> p.fill(bad, img));
  }

  @Test
  void defaultsSourcesAndChecks() {
    Preprocessing d = Preprocessing.forModel(null, 1, null, null, false);
    assertArrayEquals(new float[] {127.5f}, d.mean());
    assertEquals("default [-1, 1]", d.normalizationSource());
    Preprocessing u = Preprocessing.forModel(null, 0.875, new float[] {0}, new float[] {255}, true);
    assertEquals("user", u.normalizationSource());
    assertTrue(u.describe().contains("centre crop 0.875") && u.describe().contains("BGR") && u.describe().contains("(x - 0) / 255"), u.describe());
    assertEquals("BGR", u.toMap().get("channel_order"));
    assertThrows(IllegalArgumentException.class, () -> Preprocessing.defaults().withCrop(0));
    assertThrows(IllegalArgumentException.class, () -> Preprocessing.defaults().withCrop(1.5));
    assertThrows(IllegalArgumentException.class, () -> Preprocessing.defaults().withNormalization(new float[] {0}, new float[] {0}, "user"));
  }
}
