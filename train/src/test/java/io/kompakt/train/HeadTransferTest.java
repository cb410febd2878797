package io.kompakt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kompakt.data.Dataset;
import io.kompakt.data.Preprocessing;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.ModelWriter;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.testdata.Networks;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new head for Kompakt's Fashion-MNIST CNN (seeded random weights: its dense features still depend on the image,
 * where a random MobileNet's collapse to one vector) on a generated three-class image folder.
 */
class HeadTransferTest {
  @Test
  void aNewHeadLearnsNewClassesAndTheWrittenModelRunsIt(@TempDir Path dir) throws Exception {
    Model base = Model.from(ModelWriter.toBytes(Networks.byName("fashion_mnist_cnn", 1)));
    HeadTransfer.Head h = HeadTransfer.find(base);
    assertEquals(64, h.depth());
    assertEquals(10, h.classes());
    Dataset data = Dataset.open(io.kompakt.testdata.ImageFolders.colours(dir.resolve("img"), 12, 1), "train", 0);
    assertEquals(java.util.List.of("blue", "green", "red"), data.classes());
    Preprocessing pre = Preprocessing.forModel(base, 1, null, null, false);
    float[][] x = HeadTransfer.features(base, h, data, pre, 28, 28, 1, null);
    int[] y = new int[data.size()];
    for (int i = 0; i < y.length; i++) y[i] = data.label(i);
    HeadTransfer.Linear head = HeadTransfer.train(x, y, 3, 60, 0.01, 1, null);
    int right = 0;
    for (int i = 0; i < y.length; i++) if (head.predict(x[i]) == y[i]) right++;
    assertTrue(right >= 0.9 * y.length, right + " of " + y.length);

    EditableModel e = HeadTransfer.graft(base, h, head);
    Model out = Model.from(ModelWriter.toBytes(e));
    try (Interpreter it = new Interpreter(out, new Interpreter.Options())) {
      RuntimeTensor in = it.getInputTensor(0), o = it.getOutputTensor(0);
      assertEquals(3, o.size());
      int agree = 0;
      for (int i = 0; i < y.length; i++) {
        pre.fill(in, pre.apply(data.image(i), 28, 28));
        it.invoke();
        int best = 0;
        for (int c = 1; c < 3; c++) if (o.f32[o.offset + c] > o.f32[o.offset + best]) best = c;
        if (best == head.predict(x[i])) agree++;
      }
      assertEquals(y.length, agree, "the written model predicts as the trained head");
    }
    assertArrayEquals(new int[] {1, 3}, out.mainSubgraph().tensor(out.mainSubgraph().outputs()[0]).shape());
  }

  @Test
  void quantizedHeadsAndModelsWithoutAClassifierAreRefused() {
    Model v1 = Model.from(ModelWriter.toBytes(Networks.byName("mobilenet_v1_0.25_96", 1)));
    assertEquals("CONV_2D", HeadTransfer.find(v1).type()); // MobileNet V1's 1x1 conv head, then RESHAPE, SOFTMAX
    EditableModel q = Networks.byName("fashion_mnist_cnn", 1);
    io.kompakt.compress.DynamicRangeQuantizer.quantize(q, io.kompakt.compress.DynamicRangeQuantizer.Options.defaults().withMinElements(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeadTransfer.find(Model.from(ModelWriter.toBytes(q))));
    assertTrue(e.getMessage().contains("dequantize"), e.getMessage());
  }
}
