package io.kompakt.ops.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of TFLite_Detection_PostProcess on random small problems, and agreement with a plain list-based model. */
class DetectionPostProcessPropertiesTest {

  /** One random problem: options and inputs. */
  record Problem(PostProcessCase c, boolean background, float[] anchors, float[] encodings, float[] scores) {
    int boxes() { return anchors.length / 4; }

    int columns() { return c.numClasses + (background ? 1 : 0); }

    PostProcessCase.Result run() { return c.run(encodings, 4, scores, columns(), anchors); }

    float score(int box, int cls) { return scores[box * columns() + cls + (background ? 1 : 0)]; }

    @Override
    public String toString() {
      return "Problem[maxDet=" + c.maxDetections + " maxCls=" + c.maxClassesPerDetection + " perClass=" + c.detectionsPerClass
          + " regular=" + c.useRegularNms + " thr=" + c.scoreThreshold + " iou=" + c.iouThreshold + " classes=" + c.numClasses
          + " background=" + background + " anchors=" + java.util.Arrays.toString(anchors) + " enc="
          + java.util.Arrays.toString(encodings) + " scores=" + java.util.Arrays.toString(scores) + "]";
    }
  }

  @Provide
  Arbitrary<Problem> problems() {
    Arbitrary<Integer> boxes = Arbitraries.integers().between(1, 10);
    Arbitrary<Integer> classes = Arbitraries.integers().between(1, 4);
    return Combinators.combine(boxes, classes, Arbitraries.of(true, false)).flatAs((n, k, background) -> {
      Arbitrary<float[]> centers = Arbitraries.floats().between(0, 1).array(float[].class).ofSize(2 * n);
      // sizes include 0 (empty boxes) now and then
      Arbitrary<float[]> sizes = Arbitraries.oneOf(Arbitraries.floats().between(0.05f, 0.6f), Arbitraries.just(0f))
          .array(float[].class).ofSize(2 * n);
      Arbitrary<float[]> encodings = Arbitraries.floats().between(-2, 2).array(float[].class).ofSize(4 * n);
      // scores from a few values (ties) or anywhere in [0, 1]
      Arbitrary<float[]> scores = Arbitraries.oneOf(Arbitraries.of(0f, 0.25f, 0.5f, 0.75f, 1f), Arbitraries.floats().between(0, 1))
          .array(float[].class).ofSize(n * (k + (background ? 1 : 0)));
      Arbitrary<PostProcessCase> options = Combinators.combine(
          Arbitraries.integers().between(0, 6), Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 5),
          Arbitraries.of(true, false), Arbitraries.of(0f, 0.2f, 0.5f, 0.75f), Arbitraries.of(0.1f, 0.3f, 0.5f, 0.8f, 1f))
          .as((maxDet, maxCls, perClass, regular, thr, iou) -> {
            PostProcessCase c = new PostProcessCase();
            c.maxDetections = regular && maxDet == 0 ? 1 : maxDet; // TFLite's regular NMS needs max_detections > 0
            c.maxClassesPerDetection = maxCls;
            c.detectionsPerClass = perClass;
            c.useRegularNms = regular;
            c.scoreThreshold = thr;
            c.iouThreshold = iou;
            c.numClasses = k;
            return c;
          });
      return Combinators.combine(options, centers, sizes, encodings, scores).as((c, ctr, sz, enc, sc) -> {
        float[] anchors = new float[4 * n];
        for (int i = 0; i < n; i++) {
          anchors[4 * i] = ctr[2 * i];
          anchors[4 * i + 1] = ctr[2 * i + 1];
          anchors[4 * i + 2] = sz[2 * i];
          anchors[4 * i + 3] = sz[2 * i + 1];
        }
        return new Problem(c, background, anchors, enc, sc);
      });
    });
  }

  /** Rows that hold a detection's best (or only) class: every row in regular NMS, the first of each box's rows in fast NMS. */
  private static int[] leadRows(Problem p, PostProcessCase.Result r) {
    int n = (int) r.num(), step = p.c.useRegularNms ? 1 : p.c.maxClassesPerDetection;
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) rows[i] = i * step;
    return rows;
  }

  @Property(tries = 300)
  void outputsAreSortedByScoreDescending(@ForAll("problems") Problem p) {
    PostProcessCase.Result r = p.run();
    int[] rows = leadRows(p, r);
    for (int i = 1; i < rows.length; i++) {
      assertTrue(r.scores()[rows[i - 1]] >= r.scores()[rows[i]], () -> "scores not descending: " + java.util.Arrays.toString(r.scores()));
    }
    if (!p.c.useRegularNms) { // within a box, its classes best first
      int per = p.c.maxClassesPerDetection, shown = Math.min(per, p.c.numClasses);
      for (int row : rows) for (int col = 1; col < shown; col++) assertTrue(r.scores()[row + col - 1] >= r.scores()[row + col]);
    }
  }

  @Property(tries = 300)
  void keptScoresAreAtOrAboveTheThresholdAndTheRestIsZero(@ForAll("problems") Problem p) {
    PostProcessCase.Result r = p.run();
    assertTrue(r.num() >= 0 && r.num() <= p.c.maxDetections, "num_detections " + r.num());
    assertEquals((long) p.c.maxDetections * p.c.maxClassesPerDetection, r.rows());
    boolean[] used = new boolean[r.rows()];
    for (int row : leadRows(p, r)) {
      assertTrue(r.scores()[row] >= p.c.scoreThreshold, "score " + r.scores()[row] + " under the threshold");
      int shown = p.c.useRegularNms ? 1 : Math.min(p.c.maxClassesPerDetection, p.c.numClasses);
      for (int col = 0; col < shown; col++) used[row + col] = true;
    }
    for (int row = 0; row < r.rows(); row++) {
      if (used[row]) continue;
      assertEquals(0f, r.scores()[row]);
      assertEquals(0f, r.classes()[row]);
      assertArrayEquals(new float[4], r.box(row));
    }
  }

  @Property(tries = 300)
  void noTwoKeptBoxesOfAClassOverlapAboveTheIouThreshold(@ForAll("problems") Problem p) {
    PostProcessCase.Result r = p.run();
    int[] rows = leadRows(p, r);
    for (int i = 0; i < rows.length; i++) {
      for (int j = i + 1; j < rows.length; j++) {
        // regular NMS suppresses within a class; fast NMS across all classes
        if (p.c.useRegularNms && r.classes()[rows[i]] != r.classes()[rows[j]]) continue;
        float[] two = new float[8];
        System.arraycopy(r.boxes(), 4 * rows[i], two, 0, 4);
        System.arraycopy(r.boxes(), 4 * rows[j], two, 4, 4);
        float iou = iou(two, 0, 1);
        assertTrue(!(iou > p.c.iouThreshold), "rows " + rows[i] + " and " + rows[j] + " overlap by " + iou);
      }
    }
  }

  @Property(tries = 400)
  void matchesAPlainModelOfTfliteExactly(@ForAll("problems") Problem p) {
    PostProcessCase.Result r = p.run();
    Expected e = model(p);
    assertEquals(e.num, r.num(), "num_detections");
    assertArrayEquals(e.boxes, r.boxes(), "boxes");
    assertArrayEquals(e.classes, r.classes(), "classes");
    assertArrayEquals(e.scores, r.scores(), "scores");
  }

  // ---- a plain model: lists, Comparator and List.sort (stable), written from TFLite's description. Ranking a box's
  // classes uses PartialSort (std::partial_sort, checked against TFLite in PartialSortTest). ----

  record Expected(float[] boxes, float[] classes, float[] scores, float num) {}

  record Candidate(int box, int cls, float score) {}

  static Expected model(Problem p) {
    PostProcessCase c = p.c;
    int n = p.boxes();
    float[] decoded = new float[4 * n];
    for (int i = 0; i < n; i++) {
      float[] a = java.util.Arrays.copyOfRange(p.anchors, 4 * i, 4 * i + 4), t = java.util.Arrays.copyOfRange(p.encodings, 4 * i, 4 * i + 4);
      float yc = (float) ((double) t[0] / c.yScale * a[2] + a[0]);
      float xc = (float) ((double) t[1] / c.xScale * a[3] + a[1]);
      float hh = (float) (0.5 * StrictMath.exp((double) t[2] / c.hScale) * a[2]);
      float hw = (float) (0.5 * StrictMath.exp((double) t[3] / c.wScale) * a[3]);
      decoded[4 * i] = yc - hh;
      decoded[4 * i + 1] = xc - hw;
      decoded[4 * i + 2] = yc + hh;
      decoded[4 * i + 3] = xc + hw;
    }
    int rows = c.maxDetections * c.maxClassesPerDetection;
    float[] boxes = new float[4 * rows], classes = new float[rows], scores = new float[rows];
    Comparator<Candidate> byScore = DetectionPostProcessPropertiesTest::descending; // ties: stable
    if (!c.useRegularNms) {
      List<List<Candidate>> ranked = new ArrayList<>();
      List<Candidate> best = new ArrayList<>();
      int shown = Math.min(c.maxClassesPerDetection, c.numClasses);
      float[] boxScores = new float[c.numClasses];
      int[] order = new int[c.numClasses];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < c.numClasses; k++) boxScores[k] = p.score(i, k);
        PartialSort.decreasingPartialArgSort(boxScores, 0, c.numClasses, shown, order);
        List<Candidate> cs = new ArrayList<>();
        for (int col = 0; col < shown; col++) cs.add(new Candidate(i, order[col], boxScores[order[col]]));
        ranked.add(cs);
        best.add(cs.get(0));
      }
      List<Candidate> kept = nms(best, decoded, c.scoreThreshold, c.iouThreshold, c.maxDetections);
      for (int d = 0; d < kept.size(); d++) {
        List<Candidate> cs = ranked.get(kept.get(d).box());
        for (int col = 0; col < Math.min(c.maxClassesPerDetection, c.numClasses); col++) {
          int row = d * c.maxClassesPerDetection + col;
          put(boxes, classes, scores, row, decoded, cs.get(col));
        }
      }
      return new Expected(boxes, classes, scores, kept.size());
    }
    List<Candidate> all = new ArrayList<>();
    for (int k = 0; k < c.numClasses; k++) {
      List<Candidate> cs = new ArrayList<>();
      for (int i = 0; i < n; i++) cs.add(new Candidate(i, k, p.score(i, k)));
      all.addAll(nms(cs, decoded, c.scoreThreshold, c.iouThreshold, Math.min(c.detectionsPerClass, c.maxDetections)));
    }
    // TFLite merges class by class with inplace_merge and a.score >= b.score: of equal scores the later class first;
    // within a class, NMS order (a stable sort keeps it)
    all.sort(byScore.thenComparing(Comparator.comparingInt(Candidate::cls).reversed()));
    int num = Math.min(all.size(), c.maxDetections);
    for (int d = 0; d < num; d++) put(boxes, classes, scores, d, decoded, all.get(d));
    return new Expected(boxes, classes, scores, num);
  }

  /** Higher score first, as TFLite's comparator {@code a > b} orders (0.0 and -0.0 are equal). */
  private static int descending(Candidate x, Candidate y) {
    return x.score() > y.score() ? -1 : y.score() > x.score() ? 1 : 0;
  }

  private static void put(float[] boxes, float[] classes, float[] scores, int row, float[] decoded, Candidate x) {
    System.arraycopy(decoded, 4 * x.box(), boxes, 4 * row, 4);
    classes[row] = x.cls();
    scores[row] = x.score();
  }

  private static List<Candidate> nms(List<Candidate> cs, float[] decoded, float threshold, float iouThreshold, int limit) {
    List<Candidate> pending = new ArrayList<>();
    for (Candidate x : cs) if (x.score() >= threshold) pending.add(x);
    pending.sort(DetectionPostProcessPropertiesTest::descending);
    List<Candidate> kept = new ArrayList<>();
    while (!pending.isEmpty() && kept.size() < limit) {
      Candidate top = pending.remove(0);
      kept.add(top);
      pending.removeIf(x -> iou(decoded, top.box(), x.box()) > iouThreshold);
    }
    return kept;
  }

  /** IoU as TFLite computes it, in float; 0 if either box has no positive area. */
  static float iou(float[] b, int i, int j) {
    float ai = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
    float aj = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
    if (ai <= 0 || aj <= 0) return 0;
    float h = Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]);
    float w = Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]);
    float inter = Math.max(h, 0) * Math.max(w, 0);
    return inter / (ai + aj - inter);
  }
}
