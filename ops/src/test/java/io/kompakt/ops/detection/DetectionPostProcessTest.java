package io.kompakt.ops.detection;

import static io.kompakt.ops.detection.PostProcessCase.anchorsFromCorners;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.flatbuffers.FlexBuffersBuilder;
import io.kompakt.engine.model.TensorType;
import io.kompakt.engine.run.Interpreter;
import io.kompakt.engine.run.RuntimeTensor;
import io.kompakt.engine.run.UnsupportedOpException;
import io.kompakt.ops.OpTester;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of TFLite_Detection_PostProcess. */
class DetectionPostProcessTest {
  private static final float EPS = 1e-6f;

  // Three boxes (zero encodings, so each box is its anchor):
  //   A [0, 0, 1, 1], B [0, 0.1, 1, 1.1] (IoU with A = 0.9 / 1.1 = 0.82), C [0, 3, 1, 4] (far from both).
  private static final float[] A = {0, 0, 1, 1}, B = {0, 0.1f, 1, 1.1f}, C = {0, 3, 1, 4};
  private static final float[] ABC = anchorsFromCorners(A, B, C);
  private static final float[] ZERO3 = new float[12];
  // scores (background, class 0, class 1): A's background is its highest score but must be ignored
  private static final float[] ABC_SCORES = {
      0.9f, 0.2f, 0.7f, // A: best class 1 (0.7)
      0.0f, 0.8f, 0.1f, // B: best class 0 (0.8)
      0.0f, 0.3f, 0.4f, // C: best class 1 (0.4)
  };

  private static void assertBox(float[] expected, float[] actual) {
    assertArrayEquals(expected, actual, EPS, () -> java.util.Arrays.toString(actual));
  }

  @Test
  void decodesCenterSizeEncodingsAgainstAnchorsUsingTheFirstFourCoordinates() {
    // anchor 0 (ycenter 0.5, xcenter 0.5, h 2, w 4); encoding (1, -2, 5 ln 2, 0) with scales 10, 10, 5, 5:
    // ycenter = 1/10 * 2 + 0.5 = 0.7, xcenter = -2/10 * 4 + 0.5 = -0.3, h = exp(ln 2) * 2 = 4, w = exp(0) * 4 = 4
    // anchor 1 (5, 5, 1, 1), zero encoding: the anchor itself. Coordinates 5 and 6 of each box (e.g. keypoints) are ignored.
    float[] anchors = {0.5f, 0.5f, 2, 4, 5, 5, 1, 1};
    float[] enc = {1, -2, (float) (5 * Math.log(2)), 0, 77, -77, 0, 0, 0, 0, 99, 99};
    float[] scores = {0, 0.9f, 0.1f, 0, 0.2f, 0.6f};
    PostProcessCase c = new PostProcessCase();
    c.maxDetections = 2;
    PostProcessCase.Result r = c.run(enc, 6, scores, 3, anchors);
    assertArrayEquals(new int[] {1, 2, 4}, r.boxesShape());
    assertArrayEquals(new float[] {-1.3f, -2.3f, 2.7f, 1.7f}, r.box(0), 1e-5f);
    assertBox(new float[] {4.5f, 4.5f, 5.5f, 5.5f}, r.box(1));
    assertArrayEquals(new float[] {0, 1}, r.classes());
    assertArrayEquals(new float[] {0.9f, 0.6f}, r.scores());
    assertEquals(2, r.num());
  }

  @Test
  void fastNmsIsClassAgnosticIgnoresBackgroundAndPadsWithZeros() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.35f;
    PostProcessCase.Result r = c.run(ZERO3, ABC_SCORES, ABC);
    // by best class score: B 0.8, A 0.7, C 0.4. B is kept; A overlaps B by 0.82 > 0.5 and is dropped although its
    // best class differs; C is kept. Two detections of the three rows; the last row is zeros.
    assertArrayEquals(new int[] {1, 3, 4}, r.boxesShape());
    assertEquals(2, r.num());
    assertBox(B, r.box(0));
    assertBox(C, r.box(1));
    assertBox(new float[4], r.box(2));
    assertArrayEquals(new float[] {0, 1, 0}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.4f, 0}, r.scores());
  }

  @Test
  void regularNmsSuppressesWithinAClassOnlyAndMergesByScore() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.35f;
    c.useRegularNms = true;
    PostProcessCase.Result r = c.run(ZERO3, ABC_SCORES, ABC);
    // class 0: only B (0.8) passes the threshold. class 1: A (0.7) and C (0.4), which do not overlap.
    // A and B overlap but are of different classes, so both stay. Merged by score: B, A, C.
    assertEquals(3, r.num());
    assertBox(B, r.box(0));
    assertBox(A, r.box(1));
    assertBox(C, r.box(2));
    assertArrayEquals(new float[] {0, 1, 1}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.7f, 0.4f}, r.scores());

    c.maxDetections = 2; // the merge keeps the best two
    r = c.run(ZERO3, ABC_SCORES, ABC);
    assertEquals(2, r.num());
    assertArrayEquals(new float[] {0, 1}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.7f}, r.scores());
  }

  @Test
  void regularNmsKeepsAtMostDetectionsPerClass() {
    float[] anchors = anchorsFromCorners(new float[] {0, 0, 1, 1}, new float[] {0, 2, 1, 3}, new float[] {0, 4, 1, 5});
    float[] scores = {0, 0.9f, 0, 0.8f, 0, 0.7f}; // one class, three disjoint boxes
    PostProcessCase c = new PostProcessCase();
    c.numClasses = 1;
    c.useRegularNms = true;
    c.detectionsPerClass = 2;
    PostProcessCase.Result r = c.run(ZERO3, scores, anchors);
    assertEquals(2, r.num());
    assertArrayEquals(new float[] {0.9f, 0.8f, 0}, r.scores());
    c.detectionsPerClass = null; // absent: TFLite's default of 100
    assertEquals(3, c.run(ZERO3, scores, anchors).num());
  }

  @Test
  void scoreThresholdIsInclusive() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.4f; // C's best score is exactly 0.4f
    assertEquals(2, c.run(ZERO3, ABC_SCORES, ABC).num());
    c.scoreThreshold = Math.nextUp(0.4f);
    PostProcessCase.Result r = c.run(ZERO3, ABC_SCORES, ABC);
    assertEquals(1, r.num());
    assertArrayEquals(new float[] {0.8f, 0, 0}, r.scores());
  }

  @Test
  void aBoxWhoseOnlyHighScoreIsTheBackgroundIsNotDetected() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.2f;
    PostProcessCase.Result r = c.run(new float[4], new float[] {0.99f, 0.1f, 0.05f}, anchorsFromCorners(A));
    assertEquals(0, r.num());
    assertArrayEquals(new float[12], r.boxes());
    assertArrayEquals(new float[3], r.scores());
  }

  @Test
  void iouThresholdIsExclusive() {
    // D [0, 0, 1, 0.5] lies in A: IoU = 0.5 / (1 + 0.5 - 0.5) = 0.5 exactly (all values exact in float)
    float[] anchors = anchorsFromCorners(A, new float[] {0, 0, 1, 0.5f});
    float[] scores = {0, 0.9f, 0, 0, 0.8f, 0};
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.1f;
    c.iouThreshold = 0.5f;
    assertEquals(2, c.run(new float[8], scores, anchors).num(), "IoU equal to the threshold does not suppress");
    c.iouThreshold = 0.49f;
    assertEquals(1, c.run(new float[8], scores, anchors).num());
    c.useRegularNms = true;
    assertEquals(1, c.run(new float[8], scores, anchors).num());
  }

  @Test
  void emptyBoxesHaveIouZeroAndAreNeverSuppressed() {
    // E: an anchor of size 0 at A's center, so a point inside A
    float[] anchors = {0.5f, 0.5f, 1, 1, 0.5f, 0.5f, 0, 0};
    float[] scores = {0, 0.9f, 0, 0, 0.8f, 0};
    PostProcessCase c = new PostProcessCase();
    c.iouThreshold = 1e-6f;
    PostProcessCase.Result r = c.run(new float[8], scores, anchors);
    assertEquals(2, r.num());
    assertBox(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, r.box(1));
    assertEquals(0f, DetectionPostProcessReference.iou(new float[] {0, 0, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f}, 0, 1));
    assertEquals(1f, DetectionPostProcessReference.iou(new float[] {0, 0, 1, 1, 0, 0, 1, 1}, 0, 1));
  }

  @Test
  void fastNmsReportsSeveralClassesPerBoxInRowsOfMaxClassesPerDetection() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.35f;
    c.maxDetections = 2;
    c.maxClassesPerDetection = 2;
    PostProcessCase.Result r = c.run(ZERO3, ABC_SCORES, ABC);
    // rows = 2 detections * 2 classes. The second class of a box is reported even below the threshold (B's 0.1).
    assertArrayEquals(new int[] {1, 4, 4}, r.boxesShape());
    assertEquals(2, r.num());
    assertArrayEquals(new float[] {0, 1, 1, 0}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.1f, 0.4f, 0.3f}, r.scores());
    assertBox(B, r.box(1));
    assertBox(C, r.box(2));

    c.maxClassesPerDetection = 3; // more than the 2 classes: the third row of each box stays zero
    r = c.run(ZERO3, ABC_SCORES, ABC);
    assertArrayEquals(new int[] {1, 6, 4}, r.boxesShape());
    assertArrayEquals(new float[] {0, 1, 0, 1, 0, 0}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.1f, 0, 0.4f, 0.3f, 0}, r.scores());
    assertBox(new float[4], r.box(2));
    assertBox(C, r.box(3));
  }

  @Test
  void classPredictionsWithoutABackgroundColumn() {
    float[] noBackground = {0.2f, 0.7f, 0.8f, 0.1f, 0.3f, 0.4f};
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.35f;
    PostProcessCase.Result r = c.run(ZERO3, 4, noBackground, 2, ABC);
    assertEquals(2, r.num());
    assertArrayEquals(new float[] {0, 1, 0}, r.classes());
    assertArrayEquals(new float[] {0.8f, 0.4f, 0}, r.scores());
  }

  @Test
  void equalScoresAreOrderedAsTflite() {
    // three disjoint boxes; anchors 0 and 2 tie: the stable sort keeps anchor 0 before anchor 2
    float[] anchors = anchorsFromCorners(new float[] {0, 4, 1, 5}, new float[] {0, 0, 1, 1}, new float[] {0, 2, 1, 3});
    float[] scores = {0, 0.5f, 0, 0.7f, 0, 0.5f};
    PostProcessCase c = new PostProcessCase();
    c.numClasses = 1;
    PostProcessCase.Result r = c.run(ZERO3, scores, anchors);
    assertBox(new float[] {0, 0, 1, 1}, r.box(0));
    assertBox(new float[] {0, 4, 1, 5}, r.box(1));
    assertBox(new float[] {0, 2, 1, 3}, r.box(2));
    c.useRegularNms = true;
    r = c.run(ZERO3, scores, anchors);
    assertBox(new float[] {0, 4, 1, 5}, r.box(1));

    // regular NMS, equal scores in different classes: TFLite merges each class in with inplace_merge and the
    // comparator a.score >= b.score, so the later class comes first
    float[] two = anchorsFromCorners(new float[] {0, 0, 1, 1}, new float[] {0, 2, 1, 3});
    c = new PostProcessCase();
    c.useRegularNms = true;
    c.scoreThreshold = 0.1f;
    r = c.run(new float[8], new float[] {0, 0, 0.6f, 0, 0.6f, 0}, two);
    assertArrayEquals(new float[] {1, 0, 0}, r.classes());
    assertBox(new float[] {0, 0, 1, 1}, r.box(0));
    assertBox(new float[] {0, 2, 1, 3}, r.box(1));

    // ranking a box's classes with max_classes_per_detection > 1 is std::partial_sort: with 16 equal scores,
    // real TFLite (libc++) reports this order
    c = new PostProcessCase();
    c.numClasses = 16;
    c.maxDetections = 1;
    c.maxClassesPerDetection = 16;
    float[] equal = new float[17];
    java.util.Arrays.fill(equal, 0.5f);
    r = c.run(new float[4], equal, anchorsFromCorners(A));
    assertArrayEquals(new float[] {11, 9, 5, 13, 8, 4, 10, 2, 12, 6, 14, 0, 1, 3, 7, 15}, r.classes());
    c.maxClassesPerDetection = 1; // one class: the first maximum
    assertArrayEquals(new float[] {0}, c.run(new float[4], equal, anchorsFromCorners(A)).classes());
  }

  @Test
  void rerunningClearsTheRowsOfEarlierDetections() {
    PostProcessCase c = new PostProcessCase();
    c.useRegularNms = true;
    c.scoreThreshold = 0.35f;
    OpTester t = c.tester(ZERO3, 4, ABC_SCORES, 3, ABC);
    Interpreter it = t.run();
    assertEquals(3f, OpTester.floats(it.getOutputTensor(3))[0]);
    RuntimeTensor cls = it.getInputTensor(1);
    float[] fewer = ABC_SCORES.clone();
    fewer[2] = 0; // A no longer scores
    fewer[8] = 0; // nor C
    System.arraycopy(fewer, 0, cls.f32, cls.offset, fewer.length);
    it.invoke();
    assertEquals(1f, OpTester.floats(it.getOutputTensor(3))[0]);
    float[] boxes = OpTester.floats(it.getOutputTensor(0));
    for (int i = 4; i < 12; i++) assertEquals(0f, boxes[i]);
    assertArrayEquals(new float[] {0.8f, 0, 0}, OpTester.floats(it.getOutputTensor(2)));
  }

  @Test
  void useRegularNmsWrittenAsAnIntAsTheMlirConverterDoes() {
    PostProcessCase c = new PostProcessCase();
    c.scoreThreshold = 0.35f;
    c.useRegularNms = true;
    c.regularAsInt = true;
    PostProcessOptions o = PostProcessOptions.parse(ByteBuffer.wrap(c.options()));
    assertTrue(o.useRegularNms());
    assertEquals(100, o.detectionsPerClass());
    assertEquals(3, c.run(ZERO3, ABC_SCORES, ABC).num());
    c.useRegularNms = false;
    assertFalse(PostProcessOptions.parse(ByteBuffer.wrap(c.options())).useRegularNms());
  }

  @Test
  void optionsParseFromAnOffsetBufferAndWithDoubleFloats() {
    FlexBuffersBuilder b = new FlexBuffersBuilder();
    int start = b.startMap();
    b.putInt("max_detections", 10);
    b.putInt("max_classes_per_detection", 1);
    b.putFloat("nms_score_threshold", 0.3);
    b.putFloat("nms_iou_threshold", 0.6);
    b.putInt("num_classes", 90);
    b.putFloat("y_scale", 10.0);
    b.putFloat("x_scale", 10.0);
    b.putFloat("h_scale", 5.0);
    b.putFloat("w_scale", 5.0);
    b.putBoolean("_output_quantized", true);
    b.endMap(null, start);
    ByteBuffer fb = b.finish();
    byte[] padded = new byte[fb.remaining() + 7];
    fb.get(padded, 5, fb.remaining());
    PostProcessOptions o = PostProcessOptions.parse(ByteBuffer.wrap(padded, 5, padded.length - 7).slice());
    assertEquals(new PostProcessOptions(10, 1, 100, false, 0.3f, 0.6f, 90, 10, 10, 5, 5), o);
  }

  @Test
  void uint8InputsAreDequantizedAsTflite() {
    // box encodings and anchors uint8 (scale 0.05, zero point 100 and scale 0.5, zero point 0), scores uint8
    byte[] qEnc = {(byte) 100, (byte) 120, (byte) 90, (byte) 100, (byte) 100, (byte) 100, (byte) 100, (byte) 100};
    byte[] qAnchors = {1, 1, 2, 2, 1, 8, 2, 2};
    byte[] qScores = {0, (byte) 230, 10, 0, 20, (byte) 255};
    PostProcessCase c = new PostProcessCase();
    c.maxDetections = 2;
    Interpreter it = OpTester.custom("TFLite_Detection_PostProcess").customOptions(c.options())
        .input(TensorType.UINT8, new int[] {1, 2, 4}, qEnc, PostProcessCase.quant(0.05f, 100))
        .input(TensorType.UINT8, new int[] {1, 2, 3}, qScores, PostProcessCase.quant(1 / 255f, 0))
        .constant(TensorType.UINT8, new int[] {2, 4}, qAnchors, PostProcessCase.quant(0.5f, 0))
        .output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32)
        .run();
    PostProcessCase.Result q = PostProcessCase.Result.of(it);
    float[] enc = new float[8], anchors = new float[8], scores = new float[6];
    for (int i = 0; i < 8; i++) {
      enc[i] = ((qEnc[i] & 0xFF) - 100f) * 0.05f;
      anchors[i] = (qAnchors[i] & 0xFF) * 0.5f;
    }
    for (int i = 0; i < 6; i++) scores[i] = (qScores[i] & 0xFF) * (1 / 255f);
    PostProcessCase.Result f = c.run(enc, scores, anchors);
    assertEquals(2, q.num());
    assertArrayEquals(f.boxes(), q.boxes());
    assertArrayEquals(f.classes(), q.classes());
    assertArrayEquals(f.scores(), q.scores());
  }

  @Test
  void anAnchorOfNegativeSizeIsAnErrorAtRun() {
    PostProcessCase c = new PostProcessCase();
    float[] anchors = {0.5f, 0.5f, -1, 1};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> c.run(new float[4], new float[] {0, 0.9f, 0.1f}, anchors));
    assertTrue(e.getMessage().contains("TFLite_Detection_PostProcess") && e.getMessage().contains("box 0"), e.getMessage());
  }

  @Test
  void badShapesAndOptionsAreRefusedAtPrepareNamingTheOp() {
    PostProcessCase c = new PostProcessCase();
    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> c.run(ZERO3, 4, new float[12], 4, ABC));
    assertTrue(e.getMessage().contains("TFLite_Detection_PostProcess") && e.getMessage().contains("num_classes"), e.getMessage());

    PostProcessCase zeroIou = new PostProcessCase();
    zeroIou.iouThreshold = 0;
    e = assertThrows(UnsupportedOpException.class, () -> zeroIou.run(ZERO3, ABC_SCORES, ABC));
    assertTrue(e.getMessage().contains("nms_iou_threshold"), e.getMessage());

    PostProcessCase regularNone = new PostProcessCase();
    regularNone.useRegularNms = true;
    regularNone.maxDetections = 0; // TFLite's regular NMS needs min(detections_per_class, max_detections) > 0
    e = assertThrows(UnsupportedOpException.class, () -> regularNone.run(ZERO3, ABC_SCORES, ABC));
    assertTrue(e.getMessage().contains("max_detections"), e.getMessage());

    PostProcessCase noClasses = new PostProcessCase();
    noClasses.maxClassesPerDetection = 0;
    e = assertThrows(UnsupportedOpException.class, () -> noClasses.run(ZERO3, ABC_SCORES, ABC));
    assertTrue(e.getMessage().contains("max_classes_per_detection"), e.getMessage());

    e = assertThrows(UnsupportedOpException.class, () -> OpTester.custom("TFLite_Detection_PostProcess")
        .input(TensorType.FLOAT32, new int[] {1, 3, 4}, ZERO3)
        .input(TensorType.FLOAT32, new int[] {1, 3, 3}, ABC_SCORES)
        .constant(TensorType.FLOAT32, new int[] {3, 4}, ABC)
        .output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32)
        .run());
    assertTrue(e.getMessage().contains("custom options"), e.getMessage());

    e = assertThrows(UnsupportedOpException.class, () -> OpTester.custom("TFLite_Detection_PostProcess").customOptions(c.options())
        .input(TensorType.FLOAT32, new int[] {1, 3, 4}, ZERO3)
        .input(TensorType.FLOAT32, new int[] {1, 3, 3}, ABC_SCORES)
        .constant(TensorType.FLOAT32, new int[] {4, 4}, new float[16])
        .output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32).output(TensorType.FLOAT32)
        .run());
    assertTrue(e.getMessage().contains("anchors must be [3, 4]"), e.getMessage());
  }
}
