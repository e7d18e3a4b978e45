package sparkcnn.driver.train;

/**
 * Segmentation quality from a pixel confusion matrix (rows: true class, columns: predicted): pixel accuracy, and
 * per class the intersection over union IoU_c = TP / (TP + FP + FN). A class absent from both the truth and the
 * predictions has no IoU (NaN) and is left out of the mean IoU, as in the usual benchmark code; a class that is
 * predicted but never true, or true but never predicted, has IoU 0 and counts.
 */
public record SegmentationMetrics(double pixelAccuracy, double[] iou, double meanIou, int classesInMean) {
  public static SegmentationMetrics of(long[] confusion, int classes) {
    if (confusion.length != classes * classes) {
      throw new IllegalArgumentException("confusion matrix of " + confusion.length + " cells for " + classes
          + " classes");
    }
    long total = 0;
    long right = 0;
    long[] truth = new long[classes];
    long[] predicted = new long[classes];
    for (int t = 0; t < classes; t++) {
      for (int p = 0; p < classes; p++) {
        long v = confusion[t * classes + p];
        total += v;
        truth[t] += v;
        predicted[p] += v;
        right += t == p ? v : 0;
      }
    }
    double[] iou = new double[classes];
    double sum = 0;
    int present = 0;
    for (int c = 0; c < classes; c++) {
      long tp = confusion[c * classes + c];
      long union = truth[c] + predicted[c] - tp;
      if (union == 0) {
        iou[c] = Double.NaN;
      } else {
        iou[c] = tp / (double) union;
        sum += iou[c];
        present++;
      }
    }
    return new SegmentationMetrics(total == 0 ? Double.NaN : right / (double) total, iou,
        present == 0 ? Double.NaN : sum / present, present);
  }
}
