package io.kompakt.ops.detection;

import com.google.flatbuffers.FlexBuffers;
import java.nio.ByteBuffer;

/**
 * The custom options of {@code TFLite_Detection_PostProcess}: a FlexBuffer map, read as TFLite's kernel reads it.
 * Absent keys read as 0 (false), except {@code detections_per_class} (default 100) and {@code use_regular_nms}
 * (default false). Integers may be stored as floats and the reverse (FlexBuffers converts); {@code use_regular_nms}
 * may be a bool or an int (the MLIR converter writes an int).
 *
 * @param maxDetections {@code max_detections}: boxes kept after NMS
 * @param maxClassesPerDetection {@code max_classes_per_detection}: classes reported per box (fast NMS)
 * @param detectionsPerClass {@code detections_per_class}: boxes kept per class (regular NMS)
 * @param useRegularNms {@code use_regular_nms}: per-class NMS instead of class-agnostic ("fast") NMS
 * @param scoreThreshold {@code nms_score_threshold}: scores at or above it are candidates
 * @param iouThreshold {@code nms_iou_threshold}: a box is suppressed by a kept box overlapping it by more
 * @param numClasses {@code num_classes}: classes without the background
 * @param yScale {@code y_scale}
 * @param xScale {@code x_scale}
 * @param hScale {@code h_scale}
 * @param wScale {@code w_scale}
 */
public record PostProcessOptions(int maxDetections, int maxClassesPerDetection, int detectionsPerClass,
                                 boolean useRegularNms, float scoreThreshold, float iouThreshold, int numClasses,
                                 float yScale, float xScale, float hScale, float wScale) {

  /** TFLite's default for an absent {@code detections_per_class}. */
  public static final int DEFAULT_DETECTIONS_PER_CLASS = 100;

  /**
   * Reads the FlexBuffer map. The buffer's bytes from its position to its limit are the whole FlexBuffer (the
   * root is found at its end).
   *
   * @throws IllegalArgumentException if the bytes are not a FlexBuffer map
   */
  public static PostProcessOptions parse(ByteBuffer customOptions) {
    if (customOptions == null || !customOptions.hasRemaining()) {
      throw new IllegalArgumentException("the custom options are empty; expected a FlexBuffer map");
    }
    // FlexBuffers.getRoot reads a heap buffer's backing array from index 0 to the limit: hand it an exact copy
    byte[] bytes = new byte[customOptions.remaining()];
    customOptions.duplicate().get(bytes);
    FlexBuffers.Reference root;
    try {
      root = FlexBuffers.getRoot(ByteBuffer.wrap(bytes));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("the custom options are not a valid FlexBuffer: " + e);
    }
    if (!root.isMap()) throw new IllegalArgumentException("the custom options are not a FlexBuffer map");
    FlexBuffers.Map m = root.asMap();
    FlexBuffers.Reference perClass = m.get("detections_per_class"), regular = m.get("use_regular_nms");
    return new PostProcessOptions(
        m.get("max_detections").asInt(),
        m.get("max_classes_per_detection").asInt(),
        perClass.isNull() ? DEFAULT_DETECTIONS_PER_CLASS : perClass.asInt(),
        !regular.isNull() && regular.asBoolean(),
        (float) m.get("nms_score_threshold").asFloat(),
        (float) m.get("nms_iou_threshold").asFloat(),
        m.get("num_classes").asInt(),
        (float) m.get("y_scale").asFloat(),
        (float) m.get("x_scale").asFloat(),
        (float) m.get("h_scale").asFloat(),
        (float) m.get("w_scale").asFloat());
  }

  /** Rows of the box, class and score outputs: {@code max_detections * max_classes_per_detection}. */
  public long outputRows() { return (long) maxDetections * maxClassesPerDetection; }
}
