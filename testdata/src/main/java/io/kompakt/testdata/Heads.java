package io.kompakt.testdata;

import com.google.flatbuffers.FlexBuffersBuilder;
import io.kompakt.engine.edit.EditableModel;
import io.kompakt.engine.edit.EditableModel.Operator;
import io.kompakt.engine.edit.EditableModel.Tensor;
import io.kompakt.engine.model.FlatTable;
import io.kompakt.engine.model.OpCode;
import io.kompakt.engine.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Task heads on small MobileNet-like backbones, float32 with seeded random weights, laid out as the TensorFlow
 * converter writes them: an SSD detector ending in the {@code TFLite_Detection_PostProcess} custom op, and a
 * DeepLab-v3 segmenter (ASPP with dilated convolutions and image pooling) ending in ARG_MAX.
 */
public final class Heads {
  private Heads() {}

  /** Classes of the SSD head, without the background (PASCAL VOC's 20). */
  public static final int SSD_CLASSES = 20;
  /** Detections the SSD head reports (the TF2 Object Detection API's TFLite export default). */
  public static final int SSD_MAX_DETECTIONS = 10;
  /** Classes of the DeepLab head, the background included (PASCAL VOC). */
  public static final int DEEPLAB_CLASSES = 21;

  /**
   * A small SSD (Liu et al. 2016) with a MobileNet-V1-like backbone on a 1x128x128x3 input: depthwise-separable
   * blocks down to two feature maps, 8x8 (stride 16) and 4x4 (stride 32), each with a 1x1 box predictor (4
   * coordinates per anchor) and a 1x1 class predictor (21 scores per anchor, the background first); predictions
   * reshaped to [1, anchors, 4] and [1, anchors, 21], concatenated over the maps, LOGISTIC on the class scores, and
   * TFLite_Detection_PostProcess against constant anchors from {@link #ssdAnchors}. Outputs: detection boxes
   * [1, 10, 4], classes [1, 10], scores [1, 10] and the number of detections [1].
   */
  public static EditableModel ssdMobileNetHead(long seed) {
    GraphBuilder g = new GraphBuilder("SSD MobileNet head 128", seed);
    Graph h = new Graph(g);
    Tensor x = g.input("normalized_input_image_tensor", 1, 128, 128, 3);
    x = g.conv2d(x, 16, 3, 2, true, "RELU6"); // 64x64
    int[][] blocks = {{32, 1}, {64, 2}, {64, 1}, {128, 2}, {128, 1}, {256, 2}}; // 32x32, 16x16, 8x8
    for (int[] b : blocks) {
      x = g.depthwise(x, 3, b[1], true, "RELU6");
      x = g.conv2d(x, b[0], 1, 1, true, "RELU6");
    }
    Tensor map1 = x; // 8x8x256
    x = g.depthwise(x, 3, 2, true, "RELU6");
    Tensor map2 = g.conv2d(x, 256, 1, 1, true, "RELU6"); // 4x4x256
    Tensor[] maps = {map1, map2};
    int[][] shapes = new int[maps.length][];
    int[] perCell = new int[maps.length];
    List<Tensor> boxes = new ArrayList<>(), classes = new ArrayList<>();
    int anchors = 0;
    for (int i = 0; i < maps.length; i++) {
      Tensor m = maps[i];
      shapes[i] = new int[] {m.shape[1], m.shape[2]};
      perCell[i] = i == 0 ? 3 : 6; // SSD's reduced lowest layer: 3 boxes; then 5 aspect ratios + 1 interpolated scale
      int n = m.shape[1] * m.shape[2] * perCell[i];
      anchors += n;
      Tensor box = g.conv2d(m, 4 * perCell[i], 1, 1, true, "NONE");
      boxes.add(g.reshape(box, 1, n, 4));
      Tensor cls = g.conv2d(m, (SSD_CLASSES + 1) * perCell[i], 1, 1, true, "NONE");
      classes.add(g.reshape(cls, 1, n, SSD_CLASSES + 1));
    }
    Tensor boxEncodings = h.concat("concat", 1, boxes.toArray(new Tensor[0]));
    Tensor classPredictions = g.unary("LOGISTIC", h.concat("concat_1", 1, classes.toArray(new Tensor[0])));
    float[] anchorValues = ssdAnchors(shapes, perCell);
    if (anchorValues.length != 4 * anchors) throw new IllegalStateException("anchor count " + anchorValues.length / 4 + " != " + anchors);
    Tensor anchorTensor = h.constantFloats("anchors", anchorValues, anchors, 4);

    Operator post = new Operator(OpCode.custom("TFLite_Detection_PostProcess"));
    post.inputs.add(boxEncodings);
    post.inputs.add(classPredictions);
    post.inputs.add(anchorTensor);
    post.customOptions = ByteBuffer.wrap(ssdPostProcessOptions(SSD_MAX_DETECTIONS, SSD_CLASSES));
    int[][] outShapes = {{1, SSD_MAX_DETECTIONS, 4}, {1, SSD_MAX_DETECTIONS}, {1, SSD_MAX_DETECTIONS}, {1}};
    for (int i = 0; i < 4; i++) {
      Tensor t = h.tensor(i == 0 ? "TFLite_Detection_PostProcess" : "TFLite_Detection_PostProcess:" + i, outShapes[i]);
      post.outputs.add(t);
      g.output(t);
    }
    h.graph.add(post);
    return g.model();
  }

  /**
   * The custom options of TFLite_Detection_PostProcess as the TensorFlow Lite (MLIR) converter writes them for an
   * SSD exported by the Object Detection API: a FlexBuffer map of ints and 32-bit floats, {@code use_regular_nms} as
   * an int, no {@code detections_per_class}. Fast NMS, one class per detection, score threshold 1e-8, IoU 0.6, box
   * coder scales 10, 10, 5, 5.
   */
  public static byte[] ssdPostProcessOptions(int maxDetections, int numClasses) {
    FlexBuffersBuilder b = new FlexBuffersBuilder();
    int start = b.startMap();
    b.putInt("max_detections", maxDetections);
    b.putInt("max_classes_per_detection", 1);
    b.putInt("num_classes", numClasses);
    b.putFloat("nms_score_threshold", 1e-8f);
    b.putFloat("nms_iou_threshold", 0.6f);
    b.putFloat("y_scale", 10f);
    b.putFloat("x_scale", 10f);
    b.putFloat("h_scale", 5f);
    b.putFloat("w_scale", 5f);
    b.putInt("use_regular_nms", 0);
    b.endMap(null, start);
    ByteBuffer buf = b.finish();
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    return bytes;
  }

  /**
   * SSD anchors as the Object Detection API's {@code create_ssd_anchors} makes them (min scale 0.2, max scale 0.95,
   * aspect ratios 1, 2, 1/2, 3, 1/3, the lowest layer reduced to (0.1, 1), (s, 2), (s, 1/2), an interpolated scale
   * sqrt(s_i s_{i+1}) at ratio 1 elsewhere), on a grid of centers ((y + 0.5) / H, (x + 0.5) / W); height
   * s / sqrt(r), width s * sqrt(r). Ordered by row, column, then anchor, as the predictors' reshape lays them out;
   * each anchor as (ycenter, xcenter, h, w), the form TFLite_Detection_PostProcess reads.
   *
   * @param featureMaps per layer, its {height, width}
   * @param perCell per layer, anchors per cell: 3 for a reduced lowest layer, otherwise 6 (or fewer: the first ones)
   */
  public static float[] ssdAnchors(int[][] featureMaps, int[] perCell) {
    int layers = featureMaps.length;
    double minScale = 0.2, maxScale = 0.95;
    double[] ratios = {1.0, 2.0, 0.5, 3.0, 1.0 / 3.0};
    double[] scales = new double[layers + 1];
    for (int i = 0; i < layers; i++) scales[i] = layers == 1 ? minScale : minScale + (maxScale - minScale) * i / (layers - 1);
    scales[layers] = 1.0;
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      List<double[]> specs = new ArrayList<>(); // (scale, ratio)
      if (i == 0) {
        specs.add(new double[] {0.1, 1.0});
        specs.add(new double[] {scales[i], 2.0});
        specs.add(new double[] {scales[i], 0.5});
      } else {
        for (double r : ratios) specs.add(new double[] {scales[i], r});
        specs.add(new double[] {Math.sqrt(scales[i] * scales[i + 1]), 1.0});
      }
      if (perCell[i] > specs.size()) throw new IllegalArgumentException("layer " + i + " has at most " + specs.size() + " anchors per cell");
      int fh = featureMaps[i][0], fw = featureMaps[i][1];
      for (int y = 0; y < fh; y++) {
        for (int x = 0; x < fw; x++) {
          for (int a = 0; a < perCell[i]; a++) {
            double s = specs.get(a)[0], r = Math.sqrt(specs.get(a)[1]);
            out.add(new float[] {(float) ((y + 0.5) / fh), (float) ((x + 0.5) / fw), (float) (s / r), (float) (s * r)});
          }
        }
      }
    }
    float[] flat = new float[4 * out.size()];
    for (int i = 0; i < out.size(); i++) System.arraycopy(out.get(i), 0, flat, 4 * i, 4);
    return flat;
  }

  /**
   * A DeepLab-v3 segmenter (Chen et al. 2017) on a 1x65x65x3 input: a MobileNet-like backbone to output stride 8
   * (9x9x64), ASPP (a 1x1 conv; 3x3 convs with dilation 2 and 4; image pooling: MEAN over height and width keeping
   * dims, a 1x1 conv, RESIZE_BILINEAR back to 9x9), CONCATENATION, a 1x1 projection, a 1x1 conv to 21 classes,
   * RESIZE_BILINEAR to 65x65 (align_corners, as DeepLab's TF1 export) and ARG_MAX over the channels: an int32
   * label map [1, 65, 65].
   */
  public static EditableModel deepLabHead(long seed) {
    GraphBuilder g = new GraphBuilder("DeepLab v3 head 65", seed);
    Graph h = new Graph(g);
    Tensor x = g.input("ImageTensor", 1, 65, 65, 3);
    x = g.conv2d(x, 16, 3, 2, true, "RELU6"); // 33x33
    int[][] blocks = {{24, 1}, {32, 2}, {32, 1}, {64, 2}, {64, 1}}; // 17x17, 9x9
    for (int[] b : blocks) {
      x = g.depthwise(x, 3, b[1], true, "RELU6");
      x = g.conv2d(x, b[0], 1, 1, true, "RELU6");
    }
    int fh = x.shape[1], fw = x.shape[2], depth = 32;
    Tensor aspp0 = g.conv2d(x, depth, 1, 1, true, "RELU");
    Tensor aspp1 = h.dilatedConv("aspp1", x, depth, 3, 2, "RELU");
    Tensor aspp2 = h.dilatedConv("aspp2", x, depth, 3, 4, "RELU");
    Tensor pooled = g.conv2d(g.globalAveragePool(x), depth, 1, 1, true, "RELU");
    Tensor imagePooling = h.resizeBilinear("image_pooling/resize", pooled, fh, fw, true);
    x = g.concatChannels(imagePooling, aspp0, aspp1, aspp2);
    x = g.conv2d(x, depth, 1, 1, true, "RELU"); // concat_projection
    x = g.conv2d(x, DEEPLAB_CLASSES, 1, 1, true, "NONE"); // logits
    x = h.resizeBilinear("ResizeBilinear", x, 65, 65, true);
    g.output(h.argMax("ArgMax", x, 3));
    return g.model();
  }

  /** The ops GraphBuilder lacks, on its model and first subgraph (weights from its seeded random). */
  private static final class Graph {
    final GraphBuilder g;
    final EditableModel model;
    final EditableModel.Subgraph graph;

    Graph(GraphBuilder g) {
      this.g = g;
      this.model = g.model();
      this.graph = model.subgraphs.get(0);
    }

    Tensor tensor(String name, int... shape) { return graph.add(new Tensor(name, TensorType.FLOAT32, shape)); }

    void op(String code, FlatTable options, Tensor out, Tensor... in) {
      Operator op = new Operator(OpCode.builtin(code));
      for (Tensor t : in) op.inputs.add(t);
      op.outputs.add(out);
      op.options = options;
      graph.add(op);
    }

    Tensor constantFloats(String name, float[] values, int... shape) {
      Tensor t = new Tensor(name, TensorType.FLOAT32, shape);
      ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : values) b.putFloat(v);
      b.flip();
      t.buffer = model.addBuffer(b);
      return graph.add(t);
    }

    /** CONCATENATION along {@code axis}. */
    Tensor concat(String name, int axis, Tensor... xs) {
      int[] shape = xs[0].shape.clone();
      shape[axis] = 0;
      for (Tensor t : xs) shape[axis] += t.shape[axis];
      Tensor y = tensor(name, shape);
      op("CONCATENATION", FlatTable.of("ConcatenationOptions").set("axis", axis), y, xs);
      return y;
    }

    /** CONV_2D, stride 1, SAME, with dilation {@code rate} in both directions (TFLite's dilation_*_factor). */
    Tensor dilatedConv(String name, Tensor x, int filters, int kernel, int rate, String activation) {
      int[] s = x.shape;
      Tensor w = g.constant(name + "/weights", Math.sqrt(2.0 / (kernel * kernel * s[3])), filters, kernel, kernel, s[3]);
      Tensor b = g.constant(name + "/bias", 0.1, filters);
      Tensor y = tensor(name, s[0], s[1], s[2], filters);
      op("CONV_2D", FlatTable.of("Conv2DOptions").set("padding", "SAME").set("stride_w", 1).set("stride_h", 1)
          .set("dilation_w_factor", rate).set("dilation_h_factor", rate).set("fused_activation_function", activation), y, x, w, b);
      return y;
    }

    /** RESIZE_BILINEAR to {@code height x width} (the size as a constant int32 input). */
    Tensor resizeBilinear(String name, Tensor x, int height, int width, boolean alignCorners) {
      Tensor size = g.constantInts(name + "/size", new int[] {height, width}, 2);
      Tensor y = tensor(name, x.shape[0], height, width, x.shape[3]);
      op("RESIZE_BILINEAR", FlatTable.of("ResizeBilinearOptions").set("align_corners", alignCorners), y, x, size);
      return y;
    }

    /** ARG_MAX over {@code axis}, int32 indices. */
    Tensor argMax(String name, Tensor x, int axis) {
      Tensor dim = g.constantInts(name + "/dimension", new int[] {axis}, 1);
      int[] shape = new int[x.shape.length - 1];
      for (int i = 0, k = 0; i < x.shape.length; i++) if (i != axis) shape[k++] = x.shape[i];
      Tensor y = graph.add(new Tensor(name, TensorType.INT32, shape));
      op("ARG_MAX", FlatTable.of("ArgMaxOptions").set("output_type", "INT32"), y, x, dim);
      return y;
    }
  }
}
