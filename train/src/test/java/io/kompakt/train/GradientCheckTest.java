package io.kompakt.train;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.testdata.GraphBuilder;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Every op's backward pass against finite differences, over random shapes, strides, paddings and activations. The
 * loss is softmax cross-entropy, so every graph ends in at least 2 values (conv filters and depthwise channels from 2).
 */
class GradientCheckTest {
  private static final String[] ACTS = {"NONE", "RELU", "RELU6"};

  @Property(tries = 12)
  void conv2d(@ForAll @IntRange(min = 3, max = 7) int h, @ForAll @IntRange(min = 3, max = 7) int w,
      @ForAll @IntRange(min = 1, max = 3) int c, @ForAll @IntRange(min = 2, max = 4) int filters,
      @ForAll @IntRange(min = 1, max = 3) int kernel, @ForAll @IntRange(min = 1, max = 2) int stride,
      @ForAll boolean same, @ForAll @IntRange(min = 0, max = 2) int act, @ForAll @IntRange(min = 0, max = 1000) int seed) {
    GraphBuilder b = new GraphBuilder("conv", seed);
    Tensor x = b.input("x", 1, h, w, c);
    x = b.conv2d(x, 2, 1, 1, true, "NONE"); // so that the tested conv's input gradient is checked too
    x = b.conv2d(x, filters, kernel, stride, same || kernel > Math.min(h, w), ACTS[act]);
    b.output(x);
    GradCheck.check(b.model(), seed, 40);
  }

  @Property(tries = 12)
  void depthwise(@ForAll @IntRange(min = 3, max = 7) int h, @ForAll @IntRange(min = 3, max = 7) int w,
      @ForAll @IntRange(min = 2, max = 4) int c, @ForAll @IntRange(min = 1, max = 3) int kernel,
      @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll boolean same, @ForAll @IntRange(min = 0, max = 2) int act,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    GraphBuilder b = new GraphBuilder("depthwise", seed);
    Tensor x = b.input("x", 1, h, w, 2);
    x = b.conv2d(x, c, 1, 1, true, "NONE");
    x = b.depthwise(x, kernel, stride, same || kernel > Math.min(h, w), ACTS[act]);
    b.output(x);
    GradCheck.check(b.model(), seed, 40);
  }

  @Property(tries = 10)
  void pools(@ForAll @IntRange(min = 2, max = 7) int h, @ForAll @IntRange(min = 2, max = 7) int w,
      @ForAll @IntRange(min = 1, max = 3) int size, @ForAll @IntRange(min = 1, max = 2) int stride, @ForAll boolean same,
      @ForAll boolean max, @ForAll @IntRange(min = 0, max = 1000) int seed) {
    GraphBuilder b = new GraphBuilder("pool", seed);
    Tensor x = b.input("x", 1, h, w, 2);
    x = b.conv2d(x, 3, 3, 1, true, "NONE");
    x = b.pool(max ? "MAX_POOL_2D" : "AVERAGE_POOL_2D", x, size, stride, same || size > Math.min(h, w));
    b.output(x);
    GradCheck.check(b.model(), seed, 40);
  }

  @Property(tries = 8)
  void denseAndReshape(@ForAll @IntRange(min = 1, max = 12) int units, @ForAll @IntRange(min = 0, max = 2) int act,
      @ForAll @IntRange(min = 0, max = 1000) int seed) {
    GraphBuilder b = new GraphBuilder("dense", seed);
    Tensor x = b.input("x", 1, 4, 4, 2);
    x = b.conv2d(x, 3, 3, 2, true, "RELU");
    x = b.reshape(x, 1, 2 * 2 * 3);
    x = b.dense(x, units, ACTS[act]);
    x = b.dense(x, 5, "NONE");
    b.output(x);
    GradCheck.check(b.model(), seed, 40);
  }

  @Test
  void unaryActivations() {
    int seed = 0;
    for (String op : new String[] {"RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH", "HARD_SWISH"}) {
      GraphBuilder b = new GraphBuilder(op, ++seed);
      Tensor x = b.input("x", 1, 4, 4, 2);
      x = b.conv2d(x, 4, 3, 1, true, "NONE");
      b.output(b.unary(op, b.add(x, x, "NONE"))); // doubled: values reach beyond the bounds of RELU6 and HARD_SWISH
      GradCheck.check(b.model(), seed, 40);
    }
  }

  @Test
  void addMulMeanBroadcasting() {
    for (int seed = 1; seed <= 4; seed++) {
      // squeeze-and-excite: MEAN over H and W, conv, hard sigmoid (ADD scalar, RELU6, MUL scalar), MUL broadcasting
      GraphBuilder b = new GraphBuilder("se", seed);
      Tensor x = b.input("x", 1, 5, 4, 3);
      x = b.conv2d(x, 4, 3, 1, true, "RELU");
      Tensor s = b.globalAveragePool(x);
      s = b.conv2d(s, 4, 1, 1, true, "NONE");
      x = b.mul(x, b.hardSigmoid(s));
      Tensor y = b.conv2d(x, 4, 1, 1, true, "NONE");
      b.output(b.add(y, x, seed % 2 == 0 ? "RELU" : "NONE"));
      GradCheck.check(b.model(), seed, 30);
    }
  }

  @Test
  void concatenation() {
    for (int seed = 1; seed <= 3; seed++) {
      GraphBuilder b = new GraphBuilder("concat", seed);
      Tensor x = b.input("x", 1, 4, 3, 2);
      Tensor a = b.conv2d(x, 2, 1, 1, true, "NONE"), c = b.conv2d(x, 3, 3, 1, true, "NONE");
      b.output(b.conv2d(b.concatChannels(a, c, a), 2, 1, 1, true, "NONE"));
      GradCheck.check(b.model(), seed, 30);
    }
  }

  @Test
  void softmaxCrossEntropyHeadAndInnerSoftmax() {
    for (int seed = 1; seed <= 3; seed++) {
      GraphBuilder b = new GraphBuilder("head", seed);
      Tensor x = b.input("x", 1, 6, 6, 1);
      x = b.conv2d(x, 4, 3, 2, true, "RELU");
      x = b.pool("MAX_POOL_2D", x, 2, 2, false);
      x = b.reshape(x, 1, 4);
      x = b.dense(x, 7, "NONE");
      Tensor inner = b.softmax(x); // a softmax inside the graph: its own backward pass
      x = b.dense(inner, 4, "NONE");
      b.output(b.softmax(x)); // the final softmax: folded into the cross-entropy
      EditableModel m = b.model();
      GradCheck.check(m, seed, 30);
    }
  }

  @Test
  void fashionMnistCnn() {
    // every value moves thousands of activations: more of them cross a kink somewhere
    GradCheck.check(io.kompakt.testdata.Networks.fashionMnistCnn(3), 3, 12, 0.5);
  }
}
