package io.kompakt.testdata;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * The project's own test networks, float32 with seeded random weights: the architectures users deploy.
 * Each is a function of a seed, so a test or benchmark makes the same model every time.
 */
public final class Networks {
  private Networks() {}

  /** Every network by name, as {@code kompakt generate} lists them. */
  public static Map<String, LongFunction<EditableModel>> all() {
    Map<String, LongFunction<EditableModel>> m = new LinkedHashMap<>();
    m.put("mobilenet_v1_0.25_96", seed -> mobileNetV1(0.25, 96, 1001, seed));
    m.put("mobilenet_v1_0.25_224", seed -> mobileNetV1(0.25, 224, 1001, seed));
    m.put("mobilenet_v1_1.0_224", seed -> mobileNetV1(1.0, 224, 1001, seed));
    m.put("fashion_mnist_cnn", Networks::fashionMnistCnn);
    return m;
  }

  /** A network by name; the message lists the names when unknown. */
  public static EditableModel byName(String name, long seed) {
    LongFunction<EditableModel> f = all().get(name);
    if (f == null) throw new IllegalArgumentException("no network '" + name + "'; known: " + String.join(", ", all().keySet()));
    return f.apply(seed);
  }

  /**
   * MobileNet V1 (Howard et al. 2017) as Keras builds it: a 3x3 stride-2 conv, 13 depthwise-separable blocks,
   * global average pooling, a 1x1 conv classifier, softmax; ReLU6 throughout; channels scaled by {@code alpha}.
   */
  public static EditableModel mobileNetV1(double alpha, int resolution, int classes, long seed) {
    GraphBuilder g = new GraphBuilder("MobileNet V1 " + alpha + " " + resolution, seed);
    Tensor x = g.input("input", 1, resolution, resolution, 3);
    x = g.conv2d(x, ch(32, alpha), 3, 2, true, "RELU6");
    int[][] blocks = {{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1},
        {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    for (int[] b : blocks) {
      x = g.depthwise(x, 3, b[1], true, "RELU6");
      x = g.conv2d(x, ch(b[0], alpha), 1, 1, true, "RELU6");
    }
    x = g.globalAveragePool(x);
    x = g.conv2d(x, classes, 1, 1, true, "NONE");
    x = g.reshape(x, 1, classes);
    g.output(g.softmax(x));
    return g.model();
  }

  private static int ch(int c, double alpha) { return Math.max(8, (int) Math.round(c * alpha)); }

  /** A small CNN for 28x28 grayscale images (Fashion-MNIST): two conv+pool stages, a dense layer, softmax. */
  public static EditableModel fashionMnistCnn(long seed) {
    GraphBuilder g = new GraphBuilder("Fashion-MNIST CNN", seed);
    Tensor x = g.input("image", 1, 28, 28, 1);
    x = g.conv2d(x, 16, 3, 1, true, "RELU");
    x = g.pool("MAX_POOL_2D", x, 2, 2, false);
    x = g.conv2d(x, 32, 3, 1, true, "RELU");
    x = g.pool("MAX_POOL_2D", x, 2, 2, false);
    x = g.reshape(x, 1, 7 * 7 * 32);
    x = g.dense(x, 64, "RELU");
    x = g.dense(x, 10, "NONE");
    g.output(g.softmax(x));
    return g.model();
  }
}
