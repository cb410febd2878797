package io.kompakt.train;

import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.Model;
import io.kompakt.engine.model.Operator;
import io.kompakt.engine.model.Subgraph;
import io.kompakt.engine.model.Tensor;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * The training graph of a float32 {@code .tflite} model: its main subgraph's operators in order, each with a forward
 * and a backward pass for one sample, and the trainable tensors ({@link Param}): the float32 weights and biases of
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops, unless frozen. Every other constant stays as in the file.
 *
 * <p>Supported ops: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D, AVERAGE_POOL_2D, RELU, RELU6,
 * RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, ADD, SUB, MUL, MEAN, RESHAPE, SQUEEZE, CONCATENATION, SOFTMAX; fused
 * activations NONE, RELU, RELU6, RELU_N1_TO_1. The model must have one float32 input with batch size 1 and one float32
 * output (the class scores; a final SOFTMAX is folded into the cross-entropy loss). Anything else is refused with an
 * {@link IllegalArgumentException} naming the op and what is wrong.
 */
public final class TrainGraph {
  private final Model model;
  private final int tensorCount;
  private final float[][] constants;
  private final boolean[] activation;
  private final boolean[] needsGrad;
  private final int[] sampleSize;
  private final int[][] shapes;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Param> params = new ArrayList<>();
  private final int input, output, logits, classes;
  private final boolean softmaxHead;

  /** The graph of a model, every conv / depthwise / dense weight and bias trainable. */
  public static TrainGraph of(Model model) { return of(model, name -> true); }

  /**
   * The graph of a model; {@code trainable} says, by tensor name, which conv / depthwise / dense weights and biases are
   * trained (the others are frozen).
   */
  public static TrainGraph of(Model model, Predicate<String> trainable) { return new TrainGraph(model, trainable); }

  private TrainGraph(Model model, Predicate<String> trainable) {
    this.model = model;
    Subgraph g = model.mainSubgraph();
    tensorCount = g.tensors().size();
    constants = new float[tensorCount][];
    activation = new boolean[tensorCount];
    needsGrad = new boolean[tensorCount];
    sampleSize = new int[tensorCount];
    shapes = new int[tensorCount][];
    if (g.inputs().length != 1) throw bad("has " + g.inputs().length + " inputs; training needs exactly one (the image)");
    if (g.outputs().length != 1) throw bad("has " + g.outputs().length + " outputs; training needs exactly one (the class scores)");
    input = g.inputs()[0];
    output = g.outputs()[0];
    Tensor in = g.tensor(input);
    if (in.type() != TensorType.FLOAT32) throw bad("input " + in + " is " + in.type().lowerName() + "; training needs a float32 model (dequantize it first)");
    if (in.shape().length == 0 || in.shape()[0] != 1) throw bad("input " + in + " must have batch size 1 (the trainer batches itself)");
    for (int t = 0; t < tensorCount; t++) {
      Tensor x = g.tensor(t);
      shapes[t] = x.shape().clone();
      long n = x.elementCount();
      if (n > Integer.MAX_VALUE / 2) throw bad("tensor " + x + " is too large");
      sampleSize[t] = (int) n;
    }
    activation[input] = true;
    for (Operator op : g.operators()) {
      String name = op.name();
      if (op.outputs().length != 1) throw unsupported(op, "has " + op.outputs().length + " outputs");
      int out = op.outputs()[0];
      Tensor ot = g.tensor(out);
      if (ot.type() != TensorType.FLOAT32) throw unsupported(op, "output " + ot + " is " + ot.type().lowerName() + ", not float32");
      if (activation[out] || ot.isConstant()) throw unsupported(op, "output " + ot + " is written twice or is a constant");
      boolean weighted = name.equals("CONV_2D") || name.equals("DEPTHWISE_CONV_2D") || name.equals("FULLY_CONNECTED");
      List<Integer> ins = new ArrayList<>();
      for (int k = 0; k < op.inputs().length; k++) {
        int t = op.inputs()[k];
        if (t < 0) continue;
        Tensor x = g.tensor(t);
        boolean shapeInput = (name.equals("RESHAPE") || name.equals("MEAN")) && k == 1;
        if (!shapeInput) {
          if (x.isConstant()) loadConstant(op, x, weighted && k >= 1 && trainable.test(x.name()), k == 1);
          else if (!activation[t]) throw unsupported(op, "input " + x + " is neither a constant nor computed before");
          else if (x.type() != TensorType.FLOAT32) throw unsupported(op, "input " + x + " is " + x.type().lowerName());
        }
        ins.add(t);
      }
      int[] inputs = ins.stream().mapToInt(Integer::intValue).toArray();
      Node node = node(op, inputs, out, g);
      node.id = nodes.size();
      nodes.add(node);
      activation[out] = true;
    }
    if (!activation[output]) throw bad("output " + g.tensor(output) + " is not computed by any op");
    Node last = nodes.isEmpty() ? null : nodes.get(nodes.size() - 1);
    softmaxHead = last instanceof SoftmaxNode && last.output == output && ((SoftmaxNode) last).rows == 1;
    logits = softmaxHead ? last.inputs[0] : output;
    classes = sampleSize[output];
    if (classes < 2) throw bad("output " + g.tensor(output) + " has " + classes + " value(s); a classifier needs at least 2");
    if (softmaxHead && ((SoftmaxNode) last).beta != 1f) throw bad("the final SOFTMAX has beta " + ((SoftmaxNode) last).beta + "; only 1 is supported");
    // which tensors depend on a trainable tensor (their gradients are needed)
    for (Param p : params) needsGrad[p.tensor] = true;
    for (Node n : nodes) {
      boolean any = false;
      for (int t : n.inputs) any |= needsGrad[t];
      needsGrad[n.output] = any;
    }
    refresh();
  }

  private void loadConstant(Operator op, Tensor x, boolean train, boolean isWeight) {
    if (constants[x.index()] != null) {
      if (train && params.stream().noneMatch(p -> p.tensor == x.index())) {
        throw unsupported(op, "weights " + x + " are shared with another op; training shared weights is not supported");
      }
      return;
    }
    if (x.sparsity() != null) throw unsupported(op, "constant " + x + " is stored sparse; densify the model first");
    if (x.type() != TensorType.FLOAT32) {
      throw unsupported(op, "constant " + x + " is " + x.type().lowerName() + "; training needs float32 weights (kompakt dequantize first)");
    }
    float[] v = new float[(int) x.elementCount()];
    if (x.storedBytes() != 4L * v.length) throw unsupported(op, "constant " + x + " holds " + x.storedBytes() + " bytes, not " + 4L * v.length);
    x.dataView().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    constants[x.index()] = v;
    if (train) params.add(new Param(x.index(), x.name(), x.shape(), v, isWeight, op.name()));
  }

  private Node node(Operator op, int[] in, int out, Subgraph g) {
    String name = op.name();
    FlatTable o = op.options();
    int[] os = shapes[out];
    switch (name) {
      case "CONV_2D": {
        need(op, in.length >= 2, "needs an input and a filter");
        int[] is = rank4(op, in[0]), fs = rank4(op, in[1]);
        need(op, fs[3] == is[3], "grouped convolution is not supported");
        need(op, constants[in[1]] != null, "the filter must be constant");
        need(op, in.length < 3 || constants[in[2]] != null, "the bias must be constant");
        int sh = o.getInt("stride_h"), sw = o.getInt("stride_w"), dh = o.getInt("dilation_h_factor"), dw = o.getInt("dilation_w_factor");
        boolean same = o.getEnumName("padding").equals("SAME");
        check(op, os, 1, is[1], is[2], fs[0], same, fs[1], fs[2], sh, sw, dh, dw);
        return new ConvNode(op.index(), in, out, is, fs, os, sh, sw, dh, dw, pad(same, is[1], fs[1], sh, dh, os[1]),
            pad(same, is[2], fs[2], sw, dw, os[2]), Activation.of(o.getEnumName("fused_activation_function")), constants);
      }
      case "DEPTHWISE_CONV_2D": {
        need(op, in.length >= 2, "needs an input and a filter");
        int[] is = rank4(op, in[0]), fs = rank4(op, in[1]);
        need(op, fs[0] == 1 && fs[3] % is[3] == 0, "filter " + Arrays.toString(fs) + " does not fit input " + Arrays.toString(is));
        need(op, constants[in[1]] != null, "the filter must be constant");
        need(op, in.length < 3 || constants[in[2]] != null, "the bias must be constant");
        int sh = o.getInt("stride_h"), sw = o.getInt("stride_w"), dh = o.getInt("dilation_h_factor"), dw = o.getInt("dilation_w_factor");
        boolean same = o.getEnumName("padding").equals("SAME");
        check(op, os, 1, is[1], is[2], fs[3], same, fs[1], fs[2], sh, sw, dh, dw);
        return new DepthwiseNode(op.index(), in, out, is, fs, os, sh, sw, dh, dw, pad(same, is[1], fs[1], sh, dh, os[1]),
            pad(same, is[2], fs[2], sw, dw, os[2]), Activation.of(o.getEnumName("fused_activation_function")));
      }
      case "FULLY_CONNECTED": {
        need(op, in.length >= 2, "needs an input and weights");
        int[] ws = shapes[in[1]];
        need(op, ws.length == 2, "weights must be 2-D, are " + Arrays.toString(ws));
        need(op, constants[in[1]] != null, "the weights must be constant");
        need(op, in.length < 3 || constants[in[2]] != null, "the bias must be constant");
        int units = ws[0], depth = ws[1];
        need(op, sampleSize[in[0]] % depth == 0, "input of " + sampleSize[in[0]] + " values is not a multiple of " + depth);
        int rows = sampleSize[in[0]] / depth;
        need(op, sampleSize[out] == rows * units, "output " + Arrays.toString(os) + " is not " + rows + " x " + units);
        if (o != null) need(op, o.getEnumName("weights_format").equals("DEFAULT"), "shuffled weights are not supported");
        return new DenseNode(op.index(), in, out, rows, depth, units,
            Activation.of(o == null ? "NONE" : o.getEnumName("fused_activation_function")), constants);
      }
      case "MAX_POOL_2D": case "AVERAGE_POOL_2D": {
        int[] is = rank4(op, in[0]);
        int fh = o.getInt("filter_height"), fw = o.getInt("filter_width"), sh = o.getInt("stride_h"), sw = o.getInt("stride_w");
        boolean same = o.getEnumName("padding").equals("SAME");
        check(op, os, 1, is[1], is[2], is[3], same, fh, fw, sh, sw, 1, 1);
        int padH = pad(same, is[1], fh, sh, 1, os[1]), padW = pad(same, is[2], fw, sw, 1, os[2]);
        need(op, (os[1] - 1) * sh - padH < is[1] && (os[2] - 1) * sw - padW < is[2], "a pooling window lies outside the input");
        return new PoolNode(name, op.index(), in, out, is, os, fh, fw, sh, sw, padH, padW,
            Activation.of(o.getEnumName("fused_activation_function")));
      }
      case "RELU": case "RELU6": case "RELU_N1_TO_1": case "LOGISTIC": case "TANH": case "HARD_SWISH":
        need(op, sampleSize[in[0]] == sampleSize[out], "input and output sizes differ");
        return new UnaryNode(name, op.index(), in, out);
      case "ADD": case "SUB": case "MUL": {
        need(op, in.length == 2, "needs two inputs");
        String act = o == null || !o.type().fields().stream().anyMatch(f -> f.name().equals("fused_activation_function"))
            ? "NONE" : o.getEnumName("fused_activation_function");
        try {
          return new BinaryNode(name, op.index(), in, out, shapes[in[0]], shapes[in[1]], os, Activation.of(act));
        } catch (IllegalArgumentException e) {
          throw unsupported(op, e.getMessage());
        }
      }
      case "MEAN": {
        need(op, in.length == 2, "needs an input and axes");
        int[] axes = ints(op, g.tensor(in[1]));
        int[] is = shapes[in[0]];
        MeanNode n;
        try {
          n = new MeanNode(op.index(), new int[] {in[0]}, out, is, axes);
        } catch (IllegalArgumentException e) {
          throw unsupported(op, e.getMessage());
        }
        int expect = 1;
        for (int m : n.map) expect = Math.max(expect, m + 1);
        need(op, sampleSize[out] == expect, "output " + Arrays.toString(os) + " does not match the reduction");
        return n;
      }
      case "RESHAPE": case "SQUEEZE":
        need(op, sampleSize[in[0]] == sampleSize[out], "changes the number of elements");
        need(op, os.length == 0 || os[0] == 1 || shapes[in[0]].length == 0, "the batch dimension must stay 1, output is " + Arrays.toString(os));
        return new ReshapeNode(name, op.index(), new int[] {in[0]}, out);
      case "CONCATENATION": {
        int rank = os.length;
        int axis = o.getInt("axis");
        if (axis < 0) axis += rank;
        need(op, axis >= 0 && axis < rank, "axis " + o.getInt("axis") + " is out of range");
        int[][] ss = new int[in.length][];
        int sum = 0;
        for (int k = 0; k < in.length; k++) {
          ss[k] = shapes[in[k]];
          need(op, ss[k].length == rank, "inputs differ in rank");
          sum += ss[k][axis];
        }
        need(op, sum == os[axis], "the inputs do not add up to the output along axis " + axis);
        return new ConcatNode(op.index(), in, out, ss, axis, Activation.of(o.getEnumName("fused_activation_function")));
      }
      case "SOFTMAX": {
        int n = os.length == 0 ? 1 : os[os.length - 1];
        return new SoftmaxNode(op.index(), in, out, sampleSize[out] / n, n, (float) (o == null ? 1.0 : o.getDouble("beta")));
      }
      default:
        throw unsupported(op, "has no backward pass in Kompakt's trainer (supported: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, "
            + "MAX_POOL_2D, AVERAGE_POOL_2D, RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, ADD, SUB, MUL, MEAN, RESHAPE, "
            + "SQUEEZE, CONCATENATION, SOFTMAX)");
    }
  }

  private static int pad(boolean same, int in, int filter, int stride, int dilation, int out) {
    if (!same) return 0;
    int eff = (filter - 1) * dilation + 1;
    return Math.max((out - 1) * stride + eff - in, 0) / 2;
  }

  private void check(Operator op, int[] os, int batch, int ih, int iw, int oc, boolean same, int kh, int kw, int sh, int sw, int dh, int dw) {
    need(op, sh > 0 && sw > 0 && dh > 0 && dw > 0, "strides and dilations must be positive");
    int effH = (kh - 1) * dh + 1, effW = (kw - 1) * dw + 1;
    int oh = same ? (ih + sh - 1) / sh : (ih - effH + sh) / sh, ow = same ? (iw + sw - 1) / sw : (iw - effW + sw) / sw;
    need(op, os.length == 4 && os[0] == batch && os[1] == oh && os[2] == ow && os[3] == oc,
        "output shape " + Arrays.toString(os) + " is not [" + batch + ", " + oh + ", " + ow + ", " + oc + "]");
  }

  private int[] rank4(Operator op, int t) {
    int[] s = shapes[t];
    need(op, s.length == 4, "tensor " + t + " must be 4-D, is " + Arrays.toString(s));
    return s;
  }

  private int[] ints(Operator op, Tensor t) {
    need(op, t.isConstant() && t.type() == TensorType.INT32, "axes " + t + " must be a constant int32 tensor");
    int[] v = new int[(int) t.elementCount()];
    t.dataView().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
    return v;
  }

  private void need(Operator op, boolean ok, String what) {
    if (!ok) throw unsupported(op, what);
  }

  private IllegalArgumentException unsupported(Operator op, String what) {
    return new IllegalArgumentException("model '" + model.source() + "', op #" + op.index() + " " + op.name() + ": " + what);
  }

  private IllegalArgumentException bad(String what) {
    return new IllegalArgumentException("model '" + model.source() + "' " + what);
  }

  /** Repacks weights for the forward passes: call after the trainable tensors changed. */
  public void refresh() {
    for (Node n : nodes) n.refresh();
  }

  /** Runs one sample forward in {@code ws}; returns the output tensor's values (the model's output, e.g. probabilities). */
  public float[] forward(Workspace ws, float[] sample) { return forward(ws, sample, null); }

  /** {@link #forward}, with the activations fake-quantized by {@code fq} (quantization-aware training) unless null. */
  float[] forward(Workspace ws, float[] sample, FakeQuant fq) {
    float[] in = ws.act[input];
    if (sample.length != in.length) throw new IllegalArgumentException("sample has " + sample.length + " values, the input takes " + in.length);
    System.arraycopy(sample, 0, in, 0, in.length);
    int last = softmaxHead ? nodes.size() - 1 : nodes.size();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      n.forward(ws);
      if (fq != null && i < last) fq.activation(ws, n.output);
    }
    return ws.act[output];
  }

  /**
   * The backward pass after {@link #forward}: {@code dLoss} is the gradient of the loss with respect to the logits
   * ({@link #logitsTensor()}); trainable tensors' gradients are added to {@code ws}'s accumulators.
   */
  public void backward(Workspace ws, float[] dLoss) { backward(ws, dLoss, null); }

  /** {@link #backward}, with the gradients of clipped fake-quantized activations cut ({@code fq} unless null). */
  void backward(Workspace ws, float[] dLoss, FakeQuant fq) {
    ws.zeroActivationGrads(this);
    float[] g = ws.grad[logits];
    if (g == null) return; // nothing trainable feeds the output
    System.arraycopy(dLoss, 0, g, 0, g.length);
    int end = softmaxHead ? nodes.size() - 1 : nodes.size();
    for (int i = end - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      if (ws.grad[n.output] == null) continue;
      if (fq != null) fq.clipGradient(ws, n.output);
      n.backward(ws);
    }
  }

  /** A new workspace (one per thread). */
  public Workspace newWorkspace() { return new Workspace(this); }

  public Model model() { return model; }

  public List<Param> params() { return Collections.unmodifiableList(params); }

  List<Node> nodes() { return nodes; }

  int tensorCount() { return tensorCount; }

  float[] constant(int t) { return constants[t]; }

  boolean isActivation(int t) { return activation[t]; }

  boolean needsGrad(int t) { return needsGrad[t]; }

  int sampleSize(int t) { return sampleSize[t]; }

  /** The input tensor's index and its values per sample. */
  public int inputTensor() { return input; }

  public int inputSize() { return sampleSize[input]; }

  public int[] inputShape() { return shapes[input].clone(); }

  /** The output tensor's index. */
  public int outputTensor() { return output; }

  /** The tensor the loss differentiates: the final SOFTMAX's input, or the output when there is none. */
  public int logitsTensor() { return logits; }

  /** Whether the model ends in SOFTMAX (folded into the loss). */
  public boolean softmaxHead() { return softmaxHead; }

  public int classes() { return classes; }

  /** Number of trainable values. */
  public long trainableCount() {
    long n = 0;
    for (Param p : params) n += p.size();
    return n;
  }
}
