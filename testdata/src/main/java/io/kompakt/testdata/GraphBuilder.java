package io.kompakt.testdata;

import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Builds float32 CNNs layer by layer on an {@link EditableModel}, with seeded random weights, in NHWC as
 * TFLite lays them out (conv filters OHWI, depthwise 1HWC, dense [out, in]). Shapes are computed here, so a
 * network reads like its Keras definition.
 */
public final class GraphBuilder {
  private final EditableModel model = new EditableModel();
  private final EditableModel.Subgraph graph;
  private final SplittableRandom random;
  private int counter;

  public GraphBuilder(String name, long seed) {
    graph = model.addSubgraph("main");
    model.description = name + " (Kompakt testdata, seed " + seed + ")";
    random = new SplittableRandom(seed);
  }

  /** The model built so far. Call {@link #output} first. */
  public EditableModel model() { return model; }

  /** A graph input. */
  public Tensor input(String name, int... shape) {
    Tensor t = graph.add(new Tensor(name, TensorType.FLOAT32, shape));
    graph.inputs.add(t);
    return t;
  }

  /** Marks a graph output. */
  public Tensor output(Tensor t) {
    graph.outputs.add(t);
    return t;
  }

  private String name(String op) { return op + "_" + (counter++); }

  private Tensor activation(String name, int... shape) { return graph.add(new Tensor(name, TensorType.FLOAT32, shape)); }

  /** A constant float tensor of random values, uniform in [-scale, scale]. */
  public Tensor constant(String name, double scale, int... shape) {
    Tensor t = new Tensor(name, TensorType.FLOAT32, shape);
    int n = (int) t.elementCount();
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) b.putFloat((float) ((random.nextDouble() * 2 - 1) * scale));
    b.flip();
    t.buffer = model.addBuffer(b);
    return graph.add(t);
  }

  /** A constant int32 tensor. */
  public Tensor constantInts(String name, int[] values, int... shape) {
    Tensor t = new Tensor(name, TensorType.INT32, shape);
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) b.putInt(v);
    b.flip();
    t.buffer = model.addBuffer(b);
    return graph.add(t);
  }

  private Operator op(String code, FlatTable options, Tensor out, Tensor... in) {
    Operator op = new Operator(OpCode.builtin(code));
    for (Tensor t : in) op.inputs.add(t);
    op.outputs.add(out);
    op.options = options;
    graph.add(op);
    return op;
  }

  private static int outSize(int in, int k, int stride, int dilation, boolean same) {
    int effective = (k - 1) * dilation + 1;
    return same ? (in + stride - 1) / stride : (in - effective + stride) / stride;
  }

  /** CONV_2D with bias; activation NONE, RELU, RELU6 (fused) or HARD_SWISH (a separate op, as TFLite has it). */
  public Tensor conv2d(Tensor x, int filters, int kernel, int stride, boolean same, String activation) {
    if (activation.equals("HARD_SWISH")) return hardSwish(conv2d(x, filters, kernel, stride, same, "NONE"));
    int[] s = x.shape;
    String n = name("conv");
    double scale = Math.sqrt(2.0 / (kernel * kernel * s[3]));
    Tensor w = constant(n + "/weights", scale, filters, kernel, kernel, s[3]);
    Tensor b = constant(n + "/bias", 0.1, filters);
    Tensor y = activation(n, s[0], outSize(s[1], kernel, stride, 1, same), outSize(s[2], kernel, stride, 1, same), filters);
    op("CONV_2D", FlatTable.of("Conv2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_w", stride)
        .set("stride_h", stride).set("fused_activation_function", activation), y, x, w, b);
    return y;
  }

  /** DEPTHWISE_CONV_2D with bias (depth multiplier 1); activation as for {@link #conv2d}. */
  public Tensor depthwise(Tensor x, int kernel, int stride, boolean same, String activation) {
    if (activation.equals("HARD_SWISH")) return hardSwish(depthwise(x, kernel, stride, same, "NONE"));
    int[] s = x.shape;
    String n = name("depthwise");
    Tensor w = constant(n + "/weights", Math.sqrt(2.0 / (kernel * kernel)), 1, kernel, kernel, s[3]);
    Tensor b = constant(n + "/bias", 0.1, s[3]);
    Tensor y = activation(n, s[0], outSize(s[1], kernel, stride, 1, same), outSize(s[2], kernel, stride, 1, same), s[3]);
    op("DEPTHWISE_CONV_2D", FlatTable.of("DepthwiseConv2DOptions").set("padding", same ? "SAME" : "VALID")
        .set("stride_w", stride).set("stride_h", stride).set("depth_multiplier", 1)
        .set("fused_activation_function", activation), y, x, w, b);
    return y;
  }

  /** MAX_POOL_2D or AVERAGE_POOL_2D. */
  public Tensor pool(String code, Tensor x, int size, int stride, boolean same) {
    int[] s = x.shape;
    Tensor y = activation(name(code.toLowerCase(java.util.Locale.ROOT)), s[0], outSize(s[1], size, stride, 1, same),
        outSize(s[2], size, stride, 1, same), s[3]);
    op(code, FlatTable.of("Pool2DOptions").set("padding", same ? "SAME" : "VALID").set("stride_w", stride)
        .set("stride_h", stride).set("filter_width", size).set("filter_height", size), y, x);
    return y;
  }

  /** MEAN over height and width, keeping dims: global average pooling. */
  public Tensor globalAveragePool(Tensor x) {
    int[] s = x.shape;
    Tensor axes = constantInts(name("mean_axes"), new int[] {1, 2}, 2);
    Tensor y = activation(name("mean"), s[0], 1, 1, s[3]);
    op("MEAN", FlatTable.of("ReducerOptions").set("keep_dims", true), y, x, axes);
    return y;
  }

  /** RESHAPE to a new shape. */
  public Tensor reshape(Tensor x, int... shape) {
    Tensor newShape = constantInts(name("shape"), shape, shape.length);
    Tensor y = activation(name("reshape"), shape);
    op("RESHAPE", FlatTable.of("ReshapeOptions").set("new_shape", shape), y, x, newShape);
    return y;
  }

  /** FULLY_CONNECTED over the last dimension. */
  public Tensor dense(Tensor x, int units, String activation) {
    int in = x.shape[x.shape.length - 1];
    String n = name("dense");
    Tensor w = constant(n + "/weights", Math.sqrt(2.0 / in), units, in);
    Tensor b = constant(n + "/bias", 0.1, units);
    Tensor y = activation(n, x.shape[0], units);
    op("FULLY_CONNECTED", FlatTable.of("FullyConnectedOptions").set("fused_activation_function", activation), y, x, w, b);
    return y;
  }

  /** ADD (b may broadcast against a). */
  public Tensor add(Tensor a, Tensor b, String activation) {
    Tensor y = activation(name("add"), a.shape.clone());
    op("ADD", FlatTable.of("AddOptions").set("fused_activation_function", activation), y, a, b);
    return y;
  }

  /** A unary op without options (HARD_SWISH, RELU, RELU6, LOGISTIC, TANH). */
  public Tensor unary(String code, Tensor x) {
    Tensor y = activation(name(code.toLowerCase(java.util.Locale.ROOT)), x.shape.clone());
    op(code, null, y, x);
    return y;
  }

  public Tensor hardSwish(Tensor x) { return unary("HARD_SWISH", x); }

  /** MUL with broadcasting (e.g. [1,h,w,c] x [1,1,1,c]). */
  public Tensor mul(Tensor a, Tensor b) {
    int[] shape = a.shape.length >= b.shape.length ? a.shape.clone() : b.shape.clone();
    for (int i = 0; i < shape.length; i++) {
      int ia = i - (shape.length - a.shape.length), ib = i - (shape.length - b.shape.length);
      shape[i] = Math.max(ia < 0 ? 1 : a.shape[ia], ib < 0 ? 1 : b.shape[ib]);
    }
    Tensor y = activation(name("mul"), shape);
    op("MUL", FlatTable.of("MulOptions"), y, a, b);
    return y;
  }

  /** A scalar float constant. */
  public Tensor scalar(String name, float value) {
    Tensor t = new Tensor(name, TensorType.FLOAT32);
    ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
    b.flip();
    t.buffer = model.addBuffer(b);
    return graph.add(t);
  }

  /** Keras' hard sigmoid relu6(x + 3) / 6, as the converter lowers it: ADD, RELU6, MUL. */
  public Tensor hardSigmoid(Tensor x) {
    Tensor shifted = add(x, scalar(name("three"), 3f), "RELU6");
    return mul(shifted, scalar(name("sixth"), 1f / 6f));
  }

  /** CONCATENATION along the channel axis. */
  public Tensor concatChannels(Tensor... xs) {
    int[] shape = xs[0].shape.clone();
    shape[3] = 0;
    for (Tensor x : xs) shape[3] += x.shape[3];
    Tensor y = activation(name("concat"), shape);
    op("CONCATENATION", FlatTable.of("ConcatenationOptions").set("axis", 3), y, xs);
    return y;
  }

  /** SOFTMAX with beta 1. */
  public Tensor softmax(Tensor x) {
    Tensor y = activation(name("softmax"), x.shape.clone());
    op("SOFTMAX", FlatTable.of("SoftmaxOptions").set("beta", 1.0), y, x);
    return y;
  }
}
