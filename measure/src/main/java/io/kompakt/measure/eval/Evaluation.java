package io.kompakt.measure.eval;

import io.kompakt.data.Dataset;
import io.kompakt.engine.model.Model;
import java.util.ArrayList;
import java.util.List;

/** {@code kompakt eval}: one model over a data set, optionally against a reference model's predictions. */
public final class Evaluation {
  private Evaluation() {}

  /** Largest class count for which the confusion matrix is kept in results. */
  public static final int MAX_CONFUSION_CLASSES = 100;

  /** Metrics of predictions against the data set's labels (null when the set is unlabelled). */
  public static ClassificationMetrics metrics(Dataset data, Evaluator.Predictions p) {
    if (!data.labelled()) return null;
    int[] labels = new int[data.size()];
    for (int i = 0; i < labels.length; i++) labels[i] = data.label(i);
    List<String> names = new ArrayList<>(data.classes());
    for (int c = names.size(); c < p.classes() && names.size() < p.classes() && !data.classes().isEmpty(); c++) names.add(String.valueOf(c));
    return ClassificationMetrics.of(labels, p.top(), names);
  }

  /** Evaluates a loaded model. {@code reference} may be null (no agreement figure). */
  public static Results.Evaluation run(Model model, PreparedImages images, Evaluator.Options o, Evaluator.Predictions reference,
                                       String referenceName, Evaluator.Progress progress) {
    Evaluator.Predictions p = Evaluator.predict(model, images, o, progress);
    return summarize(model.source(), images, p, reference, referenceName);
  }

  /** The figures of one run of predictions. */
  public static Results.Evaluation summarize(String modelName, PreparedImages images, Evaluator.Predictions p, Evaluator.Predictions reference, String referenceName) {
    Dataset data = images.dataset();
    ClassificationMetrics m = metrics(data, p);
    Double agreement = reference == null ? null : Results.finite(ClassificationMetrics.agreement(p.top(), reference.top()));
    return new Results.Evaluation(modelName, data.description(), data.size(), m != null, images.preprocessing().toMap(),
        m == null ? null : Results.finite(m.top1()), m == null ? null : Results.finite(m.top5()), m == null ? null : Results.finite(m.macroF1()),
        referenceName, agreement, m == null ? List.of() : Results.perClass(m),
        m == null || m.confusion().length > MAX_CONFUSION_CLASSES ? null : m.confusion(), p.imagesPerSecond(),
        Results.LatencyStats.of(millis(p.nanos())), p.arenaBytes());
  }

  /** Nanoseconds as milliseconds. */
  public static List<Double> millis(long[] nanos) {
    List<Double> ms = new ArrayList<>(nanos.length);
    for (long n : nanos) ms.add(n / 1e6);
    return ms;
  }
}
