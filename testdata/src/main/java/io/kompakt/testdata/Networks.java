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
    m.put("mobilenet_v2_1.0_224", seed -> mobileNetV2(1.0, 224, 1001, seed));
    m.put("mobilenet_v2_0.35_96", seed -> mobileNetV2(0.35, 96, 1001, seed));
    m.put("mobilenet_v3_large_224", seed -> mobileNetV3(V3.LARGE, 224, 1001, seed));
    m.put("mobilenet_v3_small_224", seed -> mobileNetV3(V3.SMALL, 224, 1001, seed));
    m.put("mobilenet_v3_small_minimalistic_224", seed -> mobileNetV3(V3.SMALL_MINIMALISTIC, 224, 1001, seed));
    m.put("efficientnet_lite0_224", seed -> efficientNetLite0(224, 1000, seed));
    m.put("inception_v3_blocks_75", seed -> inceptionBlocks(75, 10, seed));
    m.put("ssd_mobilenet_head_128", Heads::ssdMobileNetHead);
    m.put("deeplab_v3_head_65", Heads::deepLabHead);
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

  /** Keras' rounding of channel counts to a multiple of 8 (never below 90% of the value). */
  static int divisible(double v, int divisor) {
    int n = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
    return n < 0.9 * v ? n + divisor : n;
  }

  /**
   * MobileNet V2 (Sandler et al. 2018): inverted residual blocks (1x1 expansion, ReLU6; 3x3 depthwise, ReLU6;
   * linear 1x1 projection; residual add where shapes allow), a 1280-channel head, global pooling, dense, softmax.
   */
  public static EditableModel mobileNetV2(double alpha, int resolution, int classes, long seed) {
    GraphBuilder g = new GraphBuilder("MobileNet V2 " + alpha + " " + resolution, seed);
    Tensor x = g.input("input", 1, resolution, resolution, 3);
    x = g.conv2d(x, divisible(32 * alpha, 8), 3, 2, true, "RELU6");
    int[][] cfg = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    for (int[] c : cfg) {
      int out = divisible(c[1] * alpha, 8);
      for (int i = 0; i < c[2]; i++) {
        int stride = i == 0 ? c[3] : 1;
        Tensor in = x;
        int inC = x.shape[3];
        if (c[0] != 1) x = g.conv2d(x, inC * c[0], 1, 1, true, "RELU6");
        x = g.depthwise(x, 3, stride, true, "RELU6");
        x = g.conv2d(x, out, 1, 1, true, "NONE");
        if (stride == 1 && inC == out) x = g.add(x, in, "NONE");
      }
    }
    x = g.conv2d(x, alpha > 1.0 ? divisible(1280 * alpha, 8) : 1280, 1, 1, true, "RELU6");
    x = g.globalAveragePool(x);
    x = g.reshape(x, 1, x.shape[3]);
    x = g.dense(x, classes, "NONE");
    g.output(g.softmax(x));
    return g.model();
  }

  /** MobileNet V3 variants. */
  public enum V3 { LARGE, SMALL, SMALL_MINIMALISTIC }

  /**
   * MobileNet V3 (Howard et al. 2019) as Keras builds it: bottlenecks with optional squeeze-and-excite (hard
   * sigmoid) and hard-swish; minimalistic: no SE, ReLU only, 3x3 kernels.
   */
  public static EditableModel mobileNetV3(V3 variant, int resolution, int classes, long seed) {
    boolean minimal = variant == V3.SMALL_MINIMALISTIC;
    GraphBuilder g = new GraphBuilder("MobileNet V3 " + variant.name().toLowerCase(java.util.Locale.ROOT) + " " + resolution, seed);
    Tensor x = g.input("input", 1, resolution, resolution, 3);
    String hs = minimal ? "RELU" : "HARD_SWISH";
    x = g.conv2d(x, 16, 3, 2, true, hs);
    // kernel, expansion, out, squeeze-excite, hard-swish, stride
    int[][] large = {{3, 16, 16, 0, 0, 1}, {3, 64, 24, 0, 0, 2}, {3, 72, 24, 0, 0, 1}, {5, 72, 40, 1, 0, 2}, {5, 120, 40, 1, 0, 1},
        {5, 120, 40, 1, 0, 1}, {3, 240, 80, 0, 1, 2}, {3, 200, 80, 0, 1, 1}, {3, 184, 80, 0, 1, 1}, {3, 184, 80, 0, 1, 1},
        {3, 480, 112, 1, 1, 1}, {3, 672, 112, 1, 1, 1}, {5, 672, 160, 1, 1, 2}, {5, 960, 160, 1, 1, 1}, {5, 960, 160, 1, 1, 1}};
    int[][] small = {{3, 16, 16, 1, 0, 2}, {3, 72, 24, 0, 0, 2}, {3, 88, 24, 0, 0, 1}, {5, 96, 40, 1, 1, 2}, {5, 240, 40, 1, 1, 1},
        {5, 240, 40, 1, 1, 1}, {5, 120, 48, 1, 1, 1}, {5, 144, 48, 1, 1, 1}, {5, 288, 96, 1, 1, 2}, {5, 576, 96, 1, 1, 1},
        {5, 576, 96, 1, 1, 1}};
    int[][] cfg = variant == V3.LARGE ? large : small;
    for (int[] c : cfg) {
      int kernel = minimal ? 3 : c[0];
      boolean se = c[3] == 1 && !minimal;
      String act = c[4] == 1 && !minimal ? "HARD_SWISH" : "RELU";
      Tensor in = x;
      int inC = x.shape[3];
      if (c[1] != inC) x = g.conv2d(x, c[1], 1, 1, true, act);
      x = g.depthwise(x, kernel, c[5], true, act);
      if (se) {
        Tensor s = g.globalAveragePool(x);
        s = g.conv2d(s, divisible(c[1] / 4.0, 8), 1, 1, true, "RELU");
        s = g.conv2d(s, c[1], 1, 1, true, "NONE");
        x = g.mul(x, g.hardSigmoid(s));
      }
      x = g.conv2d(x, c[2], 1, 1, true, "NONE");
      if (c[5] == 1 && inC == c[2]) x = g.add(x, in, "NONE");
    }
    x = g.conv2d(x, variant == V3.LARGE ? 960 : 576, 1, 1, true, hs);
    x = g.globalAveragePool(x);
    x = g.conv2d(x, variant == V3.LARGE ? 1280 : 1024, 1, 1, true, hs);
    x = g.conv2d(x, classes, 1, 1, true, "NONE");
    x = g.reshape(x, 1, classes);
    g.output(g.softmax(x));
    return g.model();
  }

  /** EfficientNet-Lite0: MBConv blocks without squeeze-excite, ReLU6, fixed stem and head. */
  public static EditableModel efficientNetLite0(int resolution, int classes, long seed) {
    GraphBuilder g = new GraphBuilder("EfficientNet-Lite0 " + resolution, seed);
    Tensor x = g.input("input", 1, resolution, resolution, 3);
    x = g.conv2d(x, 32, 3, 2, true, "RELU6");
    // expansion, kernel, stride, out, repeats
    int[][] cfg = {{1, 3, 1, 16, 1}, {6, 3, 2, 24, 2}, {6, 5, 2, 40, 2}, {6, 3, 2, 80, 3}, {6, 5, 1, 112, 3}, {6, 5, 2, 192, 4}, {6, 3, 1, 320, 1}};
    for (int[] c : cfg) {
      for (int i = 0; i < c[4]; i++) {
        int stride = i == 0 ? c[2] : 1;
        Tensor in = x;
        int inC = x.shape[3];
        if (c[0] != 1) x = g.conv2d(x, inC * c[0], 1, 1, true, "RELU6");
        x = g.depthwise(x, c[1], stride, true, "RELU6");
        x = g.conv2d(x, c[3], 1, 1, true, "NONE");
        if (stride == 1 && inC == c[3]) x = g.add(x, in, "NONE");
      }
    }
    x = g.conv2d(x, 1280, 1, 1, true, "RELU6");
    x = g.globalAveragePool(x);
    x = g.reshape(x, 1, 1280);
    x = g.dense(x, classes, "NONE");
    g.output(g.softmax(x));
    return g.model();
  }

  /**
   * InceptionV3-style blocks on a small input (the seeds upscale MNIST to 75x75 for InceptionV3): a VALID stem,
   * max pooling, two Inception-A modules (1x1; 1x1 then 5x5; 1x1 then two 3x3; 3x3 average pool then 1x1,
   * concatenated), global pooling, dense, softmax.
   */
  public static EditableModel inceptionBlocks(int resolution, int classes, long seed) {
    GraphBuilder g = new GraphBuilder("InceptionV3 blocks " + resolution, seed);
    Tensor x = g.input("input", 1, resolution, resolution, 3);
    x = g.conv2d(x, 32, 3, 2, false, "RELU");
    x = g.conv2d(x, 32, 3, 1, false, "RELU");
    x = g.conv2d(x, 64, 3, 1, true, "RELU");
    x = g.pool("MAX_POOL_2D", x, 3, 2, false);
    for (int poolFeatures : new int[] {32, 64}) {
      Tensor b1 = g.conv2d(x, 64, 1, 1, true, "RELU");
      Tensor b5 = g.conv2d(g.conv2d(x, 48, 1, 1, true, "RELU"), 64, 5, 1, true, "RELU");
      Tensor b3 = g.conv2d(g.conv2d(g.conv2d(x, 64, 1, 1, true, "RELU"), 96, 3, 1, true, "RELU"), 96, 3, 1, true, "RELU");
      Tensor bp = g.conv2d(g.pool("AVERAGE_POOL_2D", x, 3, 1, true), poolFeatures, 1, 1, true, "RELU");
      x = g.concatChannels(b1, b5, b3, bp);
    }
    x = g.globalAveragePool(x);
    x = g.reshape(x, 1, x.shape[3]);
    x = g.dense(x, classes, "NONE");
    g.output(g.softmax(x));
    return g.model();
  }

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
