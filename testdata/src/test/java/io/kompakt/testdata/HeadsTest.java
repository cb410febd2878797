package io.kompakt.testdata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The SSD and DeepLab heads: structure, anchors, and a run in Kompakt. */
class HeadsTest {
  private static Interpreter load(EditableModel m) {
    return new Interpreter(Model.from(ModelWriter.toBytes(m)));
  }

  private static void randomInput(Interpreter it, long seed) {
    RuntimeTensor in = it.getInputTensor(0);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < in.size(); i++) in.f32[in.offset + i] = (float) (r.nextDouble() * 2 - 1);
  }

  @Test
  void ssdAnchorsFollowTheObjectDetectionApi() {
    float[] a = Heads.ssdAnchors(new int[][] {{8, 8}, {4, 4}}, new int[] {3, 6});
    assertEquals(4 * (8 * 8 * 3 + 4 * 4 * 6), a.length);
    float r2 = (float) Math.sqrt(2);
    // first cell of the lowest layer: (0.1, 1), (0.2, 2), (0.2, 1/2) centered at (1/16, 1/16)
    assertArrayEquals(new float[] {0.0625f, 0.0625f, 0.1f, 0.1f, 0.0625f, 0.0625f, 0.2f / r2, 0.2f * r2,
        0.0625f, 0.0625f, 0.2f * r2, 0.2f / r2}, java.util.Arrays.copyOf(a, 12), 1e-6f);
    // the cell to its right, then the second layer's first cell: scale 0.95, ratios 1, 2, 1/2, 3, 1/3, sqrt(0.95)
    assertEquals(0.1875f, a[12 + 1], 1e-6f);
    int l2 = 4 * 8 * 8 * 3;
    assertArrayEquals(new float[] {0.125f, 0.125f, 0.95f, 0.95f}, java.util.Arrays.copyOfRange(a, l2, l2 + 4), 1e-6f);
    assertEquals(Math.sqrt(0.95), a[l2 + 5 * 4 + 2], 1e-6);
  }

  @Test
  void ssdHeadDetectsTenBoxesSortedByScore() {
    EditableModel m = Heads.ssdMobileNetHead(7);
    assertArrayEquals(ModelWriter.toBytes(m), ModelWriter.toBytes(Heads.ssdMobileNetHead(7)), "not deterministic");
    Interpreter it = load(m);
    assertEquals(4, it.getOutputTensorCount());
    randomInput(it, 1);
    it.invoke();
    RuntimeTensor boxes = it.getOutputTensor(0), classes = it.getOutputTensor(1), scores = it.getOutputTensor(2);
    assertArrayEquals(new int[] {1, 10, 4}, boxes.shape);
    assertArrayEquals(new int[] {1, 10}, classes.shape);
    assertEquals(10.0, it.getOutputTensor(3).get(0), "score threshold 1e-8 keeps max_detections boxes");
    for (int i = 0; i < 10; i++) {
      double c = classes.get(i);
      assertTrue(c >= 0 && c < Heads.SSD_CLASSES && c == Math.rint(c), "class " + c);
      assertTrue(scores.get(i) > 0 && scores.get(i) < 1, "score " + scores.get(i));
      if (i > 0) assertTrue(scores.get(i - 1) >= scores.get(i), "scores not descending");
      assertTrue(boxes.get(4 * i) <= boxes.get(4 * i + 2) && boxes.get(4 * i + 1) <= boxes.get(4 * i + 3), "box " + i);
    }
  }

  @Test
  void deepLabHeadLabelsEveryPixel() {
    Interpreter it = load(Heads.deepLabHead(7));
    randomInput(it, 2);
    it.invoke();
    RuntimeTensor labels = it.getOutputTensor(0);
    assertEquals(io.kompakt.engine.model.TensorType.INT32, labels.type);
    assertArrayEquals(new int[] {1, 65, 65}, labels.shape);
    for (int i = 0; i < labels.size(); i++) {
      long l = labels.getLong(i);
      assertTrue(l >= 0 && l < Heads.DEEPLAB_CLASSES, "label " + l);
    }
  }
}
