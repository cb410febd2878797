package io.kompakt.ops.detection;

import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Kernel;
import io.kompakt.engine.run.OpContext;
import io.kompakt.engine.run.RuntimeTensor;

/**
 * The custom op {@code TFLite_Detection_PostProcess} (SSD box decoding and non-max suppression): checks inputs,
 * outputs and the FlexBuffer options as TFLite does (its Eval-time checks are made here, at prepare), sets the
 * output shapes, and returns a kernel over {@link DetectionPostProcessReference}.
 *
 * <p>Inputs: box encodings [1, anchors, &ge;4] (ty, tx, th, tw, then ignored extra coordinates), class predictions
 * [1, anchors, num_classes (+1 with the background at index 0)], anchors [anchors, 4] (ycenter, xcenter, h, w).
 * Float32; box encodings and class predictions may also be uint8 (dequantized as TFLite does; uint8 box
 * encodings need uint8 anchors). Outputs, all float32: detection boxes [1, rows, 4] (ymin, xmin, ymax, xmax),
 * detection classes [1, rows] (class index without the background), detection scores [1, rows] and
 * num_detections [1], where rows = max_detections * max_classes_per_detection.
 */
public final class DetectionPostProcess {
  private DetectionPostProcess() {}

  public static Kernel prepare(OpContext ctx) {
    ctx.requireArity(3, 4);
    ctx.require(ctx.inputCount() == 3, "needs exactly 3 inputs (box encodings, class predictions, anchors), has " + ctx.inputCount());
    RuntimeTensor box = ctx.input(0), cls = ctx.input(1), anchors = ctx.input(2);
    RuntimeTensor outBoxes = ctx.output(0), outClasses = ctx.output(1), outScores = ctx.output(2), outNum = ctx.output(3);
    PostProcessOptions o;
    try {
      o = PostProcessOptions.parse(ctx.operator().customOptions());
    } catch (IllegalArgumentException e) {
      throw ctx.unsupported("cannot read the custom options: " + e.getMessage());
    }

    ctx.require(box.rank() == 3, "box encodings must be 3-D [1, anchors, 4], are " + box);
    ctx.require(cls.rank() == 3, "class predictions must be 3-D [1, anchors, classes], are " + cls);
    ctx.require(anchors.rank() == 2, "anchors must be 2-D [anchors, 4], are " + anchors);
    int numBoxes = box.dim(1);
    ctx.require(box.dim(0) == 1, "only batch 1 is supported (as in TFLite); box encodings are " + box);
    ctx.require(box.dim(2) >= 4, "box encodings need at least 4 coordinates per box, are " + box);
    ctx.require(cls.dim(0) == 1, "only batch 1 is supported (as in TFLite); class predictions are " + cls);
    ctx.require(cls.dim(1) == numBoxes, "class predictions " + cls + " do not have one row per box of " + box);
    ctx.require(anchors.dim(0) == numBoxes && anchors.dim(1) == 4, "anchors must be [" + numBoxes + ", 4], are " + anchors);
    ctx.require(o.numClasses() > 0, "num_classes must be positive: " + o);
    int labelOffset = cls.dim(2) - o.numClasses();
    ctx.require(labelOffset == 0 || labelOffset == 1, "class predictions " + cls + " must have num_classes (" + o.numClasses()
        + ") or num_classes + 1 columns");
    ctx.require(o.maxDetections() >= 0, "max_detections must not be negative: " + o);
    ctx.require(o.maxClassesPerDetection() > 0, "max_classes_per_detection must be positive: " + o);
    // TFLite's regular NMS requires min(detections_per_class, max_detections) > 0
    ctx.require(!o.useRegularNms() || (o.detectionsPerClass() > 0 && o.maxDetections() > 0),
        "regular NMS needs positive detections_per_class and max_detections: " + o);
    ctx.require(o.iouThreshold() > 0f && o.iouThreshold() <= 1f, "nms_iou_threshold must be in (0, 1]: " + o);
    ctx.require(o.outputRows() <= Integer.MAX_VALUE / 4, "max_detections * max_classes_per_detection is too large: " + o);

    ctx.requireType(box, TensorType.FLOAT32, TensorType.UINT8);
    ctx.requireType(cls, TensorType.FLOAT32, TensorType.UINT8);
    ctx.require(anchors.type == box.type, "anchors " + anchors + " must have the type of the box encodings " + box);
    for (int i = 0; i < 4; i++) ctx.requireType(ctx.output(i), TensorType.FLOAT32);

    int rows = (int) o.outputRows();
    ctx.setOutputShape(0, 1, rows, 4);
    ctx.setOutputShape(1, 1, rows);
    ctx.setOutputShape(2, 1, rows);
    ctx.setOutputShape(3, 1);

    DetectionPostProcessReference ref = new DetectionPostProcessReference(o, numBoxes, cls.dim(2));
    String where = ctx.where();
    int boxStride = box.dim(2), classValues = numBoxes * cls.dim(2);
    boolean quantBox = box.type == TensorType.UINT8, quantCls = cls.type == TensorType.UINT8;
    // uint8 inputs are dequantized into float scratch first (made now: runs allocate nothing)
    float[] boxF = quantBox ? new float[4 * numBoxes] : null, anchorsF = quantBox ? new float[4 * numBoxes] : null;
    float[] clsF = quantCls ? new float[classValues] : null;
    return () -> {
      float[] b = box.f32, a = anchors.f32, c = cls.f32;
      int bOff = box.offset, bStride = boxStride, aOff = anchors.offset, cOff = cls.offset;
      if (quantBox) {
        dequantizeRows(box, numBoxes, boxStride, boxF);
        dequantizeRows(anchors, numBoxes, 4, anchorsF);
        b = boxF; bOff = 0; bStride = 4;
        a = anchorsF; aOff = 0;
      }
      if (quantCls) {
        dequantizeRows(cls, 1, classValues, clsF);
        c = clsF; cOff = 0;
      }
      ref.run(b, bOff, bStride, c, cOff, a, aOff, outBoxes.f32, outBoxes.offset, outClasses.f32, outClasses.offset,
          outScores.f32, outScores.offset, outNum.f32, outNum.offset, where);
    };
  }

  /** The first 4 (or {@code stride}) values of each of {@code rows} rows of a uint8 tensor, as (q - zero point) * scale. */
  private static void dequantizeRows(RuntimeTensor t, int rows, int stride, float[] out) {
    int width = out.length / rows;
    float scale = t.scale(), zeroPoint = t.zeroPoint();
    for (int r = 0; r < rows; r++) {
      int in = t.offset + r * stride, o = r * width;
      for (int k = 0; k < width; k++) out[o + k] = ((t.i8[in + k] & 0xFF) - zeroPoint) * scale;
    }
  }
}
