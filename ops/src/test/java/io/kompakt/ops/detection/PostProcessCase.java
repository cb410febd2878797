package io.kompakt.ops.detection;

import com.google.flatbuffers.FlexBuffersBuilder;
import io.kompakt.engine.model.Quantization;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.ops.OpTester;
import java.nio.ByteBuffer;

/** Builds and runs one TFLite_Detection_PostProcess op through {@link OpTester}, with the options as a FlexBuffer map. */
final class PostProcessCase {
  int maxDetections = 3;
  int maxClassesPerDetection = 1;
  Integer detectionsPerClass; // null: absent (TFLite's default 100)
  Boolean useRegularNms; // null: absent (false)
  boolean regularAsInt; // write use_regular_nms as an int, as the MLIR converter does
  float scoreThreshold = 0f;
  float iouThreshold = 0.5f;
  int numClasses = 2;
  float yScale = 10, xScale = 10, hScale = 5, wScale = 5;

  /** The custom options as TFLite's converter writes them: ints, 32-bit floats, a bool (or int). */
  byte[] options() {
    FlexBuffersBuilder b = new FlexBuffersBuilder();
    int start = b.startMap();
    b.putInt("max_detections", maxDetections);
    b.putInt("max_classes_per_detection", maxClassesPerDetection);
    if (detectionsPerClass != null) b.putInt("detections_per_class", detectionsPerClass);
    if (useRegularNms != null) {
      if (regularAsInt) b.putInt("use_regular_nms", useRegularNms ? 1 : 0); else b.putBoolean("use_regular_nms", useRegularNms);
    }
    b.putFloat("nms_score_threshold", scoreThreshold);
    b.putFloat("nms_iou_threshold", iouThreshold);
    b.putInt("num_classes", numClasses);
    b.putFloat("y_scale", yScale);
    b.putFloat("x_scale", xScale);
    b.putFloat("h_scale", hScale);
    b.putFloat("w_scale", wScale);
    b.endMap(null, start);
    ByteBuffer bb = b.finish();
    byte[] bytes = new byte[bb.remaining()];
    bb.get(bytes);
    return bytes;
  }

  /** A one-op model: box encodings and class predictions as inputs, anchors as a constant. */
  OpTester tester(float[] boxEncodings, int coords, float[] classPredictions, int columns, float[] anchors) {
    int n = anchors.length / 4;
    return OpTester.custom("TFLite_Detection_PostProcess").customOptions(options())
        .input(TensorType.FLOAT32, new int[] {1, n, coords}, boxEncodings)
        .input(TensorType.FLOAT32, new int[] {1, n, columns}, classPredictions)
        .constant(TensorType.FLOAT32, new int[] {n, 4}, anchors)
        .output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32);
  }

  /** Runs with 4 coordinates per box and a background column. */
  Result run(float[] boxEncodings, float[] classPredictions, float[] anchors) {
    return run(boxEncodings, 4, classPredictions, numClasses + 1, anchors);
  }

  Result run(float[] boxEncodings, int coords, float[] classPredictions, int columns, float[] anchors) {
    return Result.of(tester(boxEncodings, coords, classPredictions, columns, anchors).run());
  }

  /** The four outputs of a run. */
  record Result(int[] boxesShape, float[] boxes, float[] classes, float[] scores, float num) {
    static Result of(Interpreter it) {
      RuntimeTensor b = it.getOutputTensor(0);
      return new Result(b.shape.clone(), OpTester.floats(b), OpTester.floats(it.getOutputTensor(1)),
          OpTester.floats(it.getOutputTensor(2)), OpTester.floats(it.getOutputTensor(3))[0]);
    }

    int rows() { return classes.length; }

    float[] box(int row) { return java.util.Arrays.copyOfRange(boxes, 4 * row, 4 * row + 4); }
  }

  /** Zero encodings: each box is its anchor. Anchors given as corner boxes [ymin, xmin, ymax, xmax], converted. */
  static float[] anchorsFromCorners(float[]... corners) {
    float[] a = new float[4 * corners.length];
    for (int i = 0; i < corners.length; i++) {
      float[] c = corners[i];
      a[4 * i] = (c[0] + c[2]) / 2;
      a[4 * i + 1] = (c[1] + c[3]) / 2;
      a[4 * i + 2] = c[2] - c[0];
      a[4 * i + 3] = c[3] - c[1];
    }
    return a;
  }

  static Quantization quant(float scale, int zeroPoint) { return Quantization.perTensor(scale, zeroPoint); }
}
