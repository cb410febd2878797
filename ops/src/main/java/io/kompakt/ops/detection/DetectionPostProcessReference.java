package io.kompakt.ops.detection;

/**
 * {@code TFLite_Detection_PostProcess} on float arrays, as TensorFlow Lite's kernel
 * ({@code tensorflow/lite/kernels/detection_postprocess.cc}) computes it:
 *
 * <ol>
 *   <li><b>Decoding</b> (in double, each result rounded to float as TFLite does): for box encoding
 *       (ty, tx, th, tw) and anchor (ya, xa, ha, wa), ycenter = ty / y_scale * ha + ya, xcenter = tx / x_scale * wa + xa,
 *       half_h = 0.5 * exp(th / h_scale) * ha, half_w likewise; the box is
 *       [ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w] = [ymin, xmin, ymax, xmax].
 *       A box with ymin &gt; ymax or xmin &gt; xmax (an anchor of negative size) is an error, as in TFLite.
 *   <li><b>Single-class NMS</b> (both variants use it): candidates are the boxes whose score is
 *       <b>at or above</b> {@code nms_score_threshold}, ordered by score descending with a <b>stable</b> sort (equal
 *       scores keep anchor order, as TFLite's {@code std::stable_sort}); greedily, the best remaining candidate is kept
 *       and every later candidate whose IoU with it is <b>strictly above</b> {@code nms_iou_threshold} is dropped,
 *       until the limit is reached. IoU is computed in float and is 0 when either box has a non-positive area.
 *   <li><b>Fast NMS</b> ({@code use_regular_nms} false): each box's classes (background excluded) are ranked and
 *       the box scores its best class; NMS runs once over all boxes with limit {@code max_detections}, and each kept
 *       box reports its best {@code min(max_classes_per_detection, num_classes)} classes in rows
 *       {@code max_classes_per_detection * k + col}. {@code num_detections} counts boxes, not rows.
 *   <li><b>Regular NMS</b>: NMS per class with limit {@code min(detections_per_class, max_detections)}; after each
 *       class, its kept boxes are merged into the running list by score ({@code std::inplace_merge} with the
 *       comparator {@code a.score >= b.score}: of equal scores, the later class first) and the list is cut to
 *       {@code max_detections}.
 * </ol>
 *
 * <p><b>Ties.</b> The NMS candidate order is a stable sort, as TFLite's ({@code std::stable_sort}): equal scores keep
 * anchor order. A box's classes are ranked with TFLite's {@code DecreasingPartialArgSort}: the first maximum when one
 * class is wanted, else {@code std::partial_sort}, whose order of equal scores the C++ standard leaves to the
 * library; {@link PartialSort} reproduces libc++'s (TFLite's Android, iOS and WebAssembly builds). The merge of
 * regular NMS follows current TFLite, single-threaded; TFLite releases before the {@code inplace_merge} merge (which
 * used {@code partial_sort} there), and TFLite running that merge on several threads, may order equal scores
 * differently.
 *
 * <p><b>Unwritten rows.</b> TFLite leaves the rows past the detections unwritten in fast NMS (and past
 * {@code max_detections} in regular NMS); Kompakt sets every row it does not fill to zero.
 *
 * <p>One instance per prepared operator: it holds the scratch a run needs, so runs allocate nothing. Not thread-safe.
 */
public final class DetectionPostProcessReference {
  private final PostProcessOptions o;
  private final int numBoxes;
  private final int classesWithBackground;
  private final int labelOffset;
  private final int categories;
  private final int outputRows;

  /** Decoded boxes, [numBoxes][ymin, xmin, ymax, xmax]. */
  private final float[] decoded;
  /** Per box: its best class score (fast NMS) or one class's score (regular NMS). */
  private final float[] candidateScores;
  /** Fast NMS: per box, its best {@link #categories} classes, best first. */
  private final int[] rank;
  /** Fast NMS: one box's classes while ranking them. */
  private final int[] classOrder;
  private final int[] order;
  private final int[] sortScratch;
  private final boolean[] active;
  private final int[] selected;
  /** Regular NMS: the running list of detections, and the list being merged into. */
  private final int[] topAnchor, topClass, mergeAnchor, mergeClass;
  private final float[] topScore, mergeScore;

  /**
   * @param numBoxes anchors (box encodings' dimension 1)
   * @param classesWithBackground class predictions' last dimension: {@code num_classes} or {@code num_classes + 1}
   */
  public DetectionPostProcessReference(PostProcessOptions options, int numBoxes, int classesWithBackground) {
    this.o = options;
    this.numBoxes = numBoxes;
    this.classesWithBackground = classesWithBackground;
    this.labelOffset = classesWithBackground - options.numClasses();
    if (labelOffset != 0 && labelOffset != 1) {
      throw new IllegalArgumentException("class predictions have " + classesWithBackground + " columns for "
          + options.numClasses() + " classes; expected num_classes or num_classes + 1");
    }
    this.categories = Math.min(options.maxClassesPerDetection(), options.numClasses());
    this.outputRows = Math.toIntExact(options.outputRows());
    decoded = new float[4 * numBoxes];
    candidateScores = new float[numBoxes];
    rank = options.useRegularNms() ? new int[0] : new int[numBoxes * categories];
    classOrder = options.useRegularNms() ? new int[0] : new int[options.numClasses()];
    order = new int[numBoxes];
    sortScratch = new int[numBoxes];
    active = new boolean[numBoxes];
    selected = new int[numBoxes];
    int top = options.useRegularNms() ? options.maxDetections() : 0;
    topAnchor = new int[top];
    topClass = new int[top];
    topScore = new float[top];
    mergeAnchor = new int[top];
    mergeClass = new int[top];
    mergeScore = new float[top];
  }

  /** Rows of the box, class and score outputs. */
  public int outputRows() { return outputRows; }

  /**
   * Runs on one batch.
   *
   * @param box box encodings, {@code numBoxes} rows of {@code boxStride >= 4} values (the first 4 are used)
   * @param cls class predictions, {@code numBoxes} rows of {@code classesWithBackground} values
   * @param anchors {@code numBoxes} rows of (ycenter, xcenter, h, w)
   * @param where names the operator in error messages
   * @throws IllegalArgumentException if a box decodes with ymin &gt; ymax or xmin &gt; xmax
   */
  public void run(float[] box, int boxOff, int boxStride, float[] cls, int clsOff, float[] anchors, int anchorsOff,
                  float[] outBoxes, int outBoxesOff, float[] outClasses, int outClassesOff,
                  float[] outScores, int outScoresOff, float[] outNum, int outNumOff, String where) {
    decode(box, boxOff, boxStride, anchors, anchorsOff, where);
    java.util.Arrays.fill(outBoxes, outBoxesOff, outBoxesOff + 4 * outputRows, 0f);
    java.util.Arrays.fill(outClasses, outClassesOff, outClassesOff + outputRows, 0f);
    java.util.Arrays.fill(outScores, outScoresOff, outScoresOff + outputRows, 0f);
    int detections = o.useRegularNms()
        ? regular(cls, clsOff, outBoxes, outBoxesOff, outClasses, outClassesOff, outScores, outScoresOff)
        : fast(cls, clsOff, outBoxes, outBoxesOff, outClasses, outClassesOff, outScores, outScoresOff);
    outNum[outNumOff] = detections;
  }

  private void decode(float[] box, int boxOff, int boxStride, float[] anchors, int anchorsOff, String where) {
    double ys = o.yScale(), xs = o.xScale(), hs = o.hScale(), ws = o.wScale();
    for (int i = 0; i < numBoxes; i++) {
      int b = boxOff + i * boxStride, a = anchorsOff + 4 * i;
      double ya = anchors[a], xa = anchors[a + 1], ha = anchors[a + 2], wa = anchors[a + 3];
      float yc = (float) (box[b] / ys * ha + ya);
      float xc = (float) (box[b + 1] / xs * wa + xa);
      float halfH = (float) (0.5 * StrictMath.exp(box[b + 2] / hs) * ha);
      float halfW = (float) (0.5 * StrictMath.exp(box[b + 3] / ws) * wa);
      float ymin = yc - halfH, xmin = xc - halfW, ymax = yc + halfH, xmax = xc + halfW;
      if (ymin > ymax || xmin > xmax) {
        throw new IllegalArgumentException(where + ": box " + i + " decodes to [ymin " + ymin + ", xmin " + xmin + ", ymax "
            + ymax + ", xmax " + xmax + "] (anchor height " + ha + ", width " + wa + "); TFLite refuses such boxes");
      }
      int d = 4 * i;
      decoded[d] = ymin;
      decoded[d + 1] = xmin;
      decoded[d + 2] = ymax;
      decoded[d + 3] = xmax;
    }
  }

  /** Class-agnostic NMS over each box's best class; returns the number of boxes kept. */
  private int fast(float[] cls, int clsOff, float[] outBoxes, int outBoxesOff, float[] outClasses, int outClassesOff,
                   float[] outScores, int outScoresOff) {
    int k = categories;
    for (int row = 0; row < numBoxes; row++) {
      int s = clsOff + row * classesWithBackground + labelOffset;
      rankClasses(cls, s, row * k, k);
      candidateScores[row] = cls[s + rank[row * k]];
    }
    int n = nms(candidateScores, o.maxDetections());
    int perBox = o.maxClassesPerDetection();
    for (int b = 0; b < n; b++) {
      int anchor = selected[b], s = clsOff + anchor * classesWithBackground + labelOffset;
      for (int col = 0; col < k; col++) {
        int r = perBox * b + col, c = rank[anchor * k + col];
        System.arraycopy(decoded, 4 * anchor, outBoxes, outBoxesOff + 4 * r, 4);
        outClasses[outClassesOff + r] = c;
        outScores[outScoresOff + r] = cls[s + c];
      }
    }
    return n;
  }

  /** The {@code k} best classes of one box (scores at {@code cls[s, s + num_classes)}) into {@code rank[at, at + k)}. */
  private void rankClasses(float[] cls, int s, int at, int k) {
    PartialSort.decreasingPartialArgSort(cls, s, o.numClasses(), k, classOrder);
    System.arraycopy(classOrder, 0, rank, at, k);
  }

  /** Per-class NMS, merged across classes by score; returns the number of detections. */
  private int regular(float[] cls, int clsOff, float[] outBoxes, int outBoxesOff, float[] outClasses, int outClassesOff,
                      float[] outScores, int outScoresOff) {
    int maxDetections = o.maxDetections(), perClass = Math.min(o.detectionsPerClass(), maxDetections);
    int[] tA = topAnchor, tC = topClass, mA = mergeAnchor, mC = mergeClass;
    float[] tS = topScore, mS = mergeScore;
    int top = 0;
    for (int col = 0; col < o.numClasses(); col++) {
      int s = clsOff + col + labelOffset;
      for (int row = 0; row < numBoxes; row++) candidateScores[row] = cls[s + row * classesWithBackground];
      int m = nms(candidateScores, perClass);
      // both lists are sorted by score descending; of equal scores the new class's box goes first, as TFLite's
      // inplace_merge with the comparator a.score >= b.score does
      int limit = Math.min(top + m, maxDetections), i = 0, j = 0;
      for (int k = 0; k < limit; k++) {
        if (j < m && (i >= top || candidateScores[selected[j]] >= tS[i])) {
          mA[k] = selected[j];
          mC[k] = col;
          mS[k] = candidateScores[selected[j]];
          j++;
        } else {
          mA[k] = tA[i];
          mC[k] = tC[i];
          mS[k] = tS[i];
          i++;
        }
      }
      int[] x = tA; tA = mA; mA = x;
      x = tC; tC = mC; mC = x;
      float[] y = tS; tS = mS; mS = y;
      top = limit;
    }
    for (int r = 0; r < top; r++) {
      System.arraycopy(decoded, 4 * tA[r], outBoxes, outBoxesOff + 4 * r, 4);
      outClasses[outClassesOff + r] = tC[r];
      outScores[outScoresOff + r] = tS[r];
    }
    return top;
  }

  /**
   * Greedy NMS over all boxes by {@code scores}; the kept boxes' indices go to {@link #selected} in decreasing
   * score order. Returns how many were kept (at most {@code maxOut}).
   */
  private int nms(float[] scores, int maxOut) {
    float threshold = o.scoreThreshold(), iouThreshold = o.iouThreshold();
    int kept = 0;
    for (int i = 0; i < numBoxes; i++) if (scores[i] >= threshold) order[kept++] = i;
    sortDescending(order, kept, scores);
    int outSize = Math.min(kept, maxOut), count = 0, remaining = kept;
    java.util.Arrays.fill(active, 0, kept, true);
    for (int i = 0; i < kept && remaining > 0 && count < outSize; i++) {
      if (!active[i]) continue;
      int best = order[i];
      selected[count++] = best;
      active[i] = false;
      remaining--;
      for (int j = i + 1; j < kept; j++) {
        if (active[j] && iou(decoded, best, order[j]) > iouThreshold) {
          active[j] = false;
          remaining--;
        }
      }
    }
    return count;
  }

  /** Stable sort of {@code idx[0, n)} by {@code key[idx]} descending (bottom-up merge sort, no allocation). */
  private void sortDescending(int[] idx, int n, float[] key) {
    int[] src = idx, dst = sortScratch;
    for (int width = 1; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(lo + width, n), hi = Math.min(lo + 2 * width, n), i = lo, j = mid, k = lo;
        while (i < mid && j < hi) dst[k++] = key[src[j]] > key[src[i]] ? src[j++] : src[i++];
        while (i < mid) dst[k++] = src[i++];
        while (j < hi) dst[k++] = src[j++];
      }
      int[] t = src; src = dst; dst = t;
    }
    if (src != idx) System.arraycopy(src, 0, idx, 0, n);
  }

  /**
   * Intersection over union of boxes {@code i} and {@code j} of {@code boxes} ([ymin, xmin, ymax, xmax] each), in
   * float as TFLite computes it: 0 when either area is not positive.
   */
  static float iou(float[] boxes, int i, int j) {
    int a = 4 * i, b = 4 * j;
    float areaI = (boxes[a + 2] - boxes[a]) * (boxes[a + 3] - boxes[a + 1]);
    float areaJ = (boxes[b + 2] - boxes[b]) * (boxes[b + 3] - boxes[b + 1]);
    if (areaI <= 0 || areaJ <= 0) return 0f;
    float ymin = max(boxes[a], boxes[b]), xmin = max(boxes[a + 1], boxes[b + 1]);
    float ymax = min(boxes[a + 2], boxes[b + 2]), xmax = min(boxes[a + 3], boxes[b + 3]);
    float intersection = max(ymax - ymin, 0f) * max(xmax - xmin, 0f);
    return intersection / (areaI + areaJ - intersection);
  }

  // std::max and std::min, which differ from Math.max/min for NaN and signed zeros
  private static float max(float a, float b) { return a < b ? b : a; }

  private static float min(float a, float b) { return b < a ? b : a; }
}
