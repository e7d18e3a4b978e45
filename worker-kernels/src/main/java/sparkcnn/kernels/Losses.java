package sparkcnn.kernels;

/**
 * Softmax + cross-entropy fused, so the backward is the stable p - target instead of a division by p.
 * Label smoothing eps mixes the one-hot target with the uniform distribution: target = (1 - eps) onehot + eps / K.
 * Mean reduction over the n rows.
 */
public final class Losses {
  private Losses() {}

  /**
   * logits (n, classes) to probabilities (n, classes); returns the mean cross-entropy against labels in
   * [0, classes) with smoothing eps.
   */
  public static double softmaxCrossEntropy(float[] logits, int lOff, int[] labels, int n, int classes, float eps,
      float[] probs, int pOff) {
    ConvGeom.operand("softmax cross-entropy", "logits", new int[] {n, classes}, logits, lOff);
    ConvGeom.operand("softmax cross-entropy", "probs", new int[] {n, classes}, probs, pOff);
    double total = 0;
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException("softmax cross-entropy: label " + label + " of row " + i
            + " is outside [0, " + classes + ")");
      }
      double loss = row(logits, lOff + i * classes, probs, pOff + i * classes, classes, label, eps);
      total += loss;
    }
    return total / n;
  }

  /**
   * One row: softmax of logits[o, o + classes) into probs[p, p + classes), and its cross-entropy against label
   * with smoothing eps (a label outside [0, classes) gives the loss of an all-smoothing target).
   */
  private static double row(float[] logits, int o, float[] probs, int p, int classes, int label, float eps) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < classes; j++) {
      max = Math.max(max, logits[o + j]);
    }
    double sum = 0;
    for (int j = 0; j < classes; j++) {
      double e = Math.exp(logits[o + j] - max);
      probs[p + j] = (float) e;
      sum += e;
    }
    double logSum = Math.log(sum) + max;
    double loss = 0;
    for (int j = 0; j < classes; j++) {
      probs[p + j] /= (float) sum;
      double target = (j == label ? 1 - eps : 0) + eps / classes;
      loss -= target * (logits[o + j] - logSum);
    }
    return loss;
  }

  /** dlogits (overwritten) = (probs - target) / n. */
  public static void softmaxCrossEntropyBackward(float[] probs, int pOff, int[] labels, int n, int classes, float eps,
      float[] dlogits, int dOff) {
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < classes; j++) {
        double target = (j == labels[i] ? 1 - eps : 0) + eps / classes;
        dlogits[dOff + i * classes + j] = (float) ((probs[pOff + i * classes + j] - target) / n);
      }
    }
  }

  /**
   * The same with rows left out and rows weighted (segmentation): a row whose label is ignoreIndex (negative:
   * none) has no loss and no gradient; row i's loss counts weights[label_i] times (weights null: all 1), and the
   * result is the weighted mean sum_i w_i l_i / sum_i w_i over the rows kept, as PyTorch's CrossEntropyLoss with
   * weight= and ignore_index= (0 when no row is kept). Probabilities are written for every row.
   */
  public static double softmaxCrossEntropy(float[] logits, int lOff, int[] labels, int n, int classes, float eps,
      int ignoreIndex, float[] weights, float[] probs, int pOff) {
    ConvGeom.operand("softmax cross-entropy", "logits", new int[] {n, classes}, logits, lOff);
    ConvGeom.operand("softmax cross-entropy", "probs", new int[] {n, classes}, probs, pOff);
    if (weights != null && weights.length != classes) {
      throw new IllegalArgumentException("softmax cross-entropy: " + weights.length + " class weights for "
          + classes + " classes");
    }
    double total = 0;
    double weightSum = 0;
    for (int i = 0; i < n; i++) {
      int label = labels[i];
      boolean kept = label != ignoreIndex || ignoreIndex < 0;
      if (kept && (label < 0 || label >= classes)) {
        throw new IllegalArgumentException("softmax cross-entropy: label " + label + " of row " + i
            + " is outside [0, " + classes + ")" + (ignoreIndex >= 0 ? " and is not the ignore index "
            + ignoreIndex : ""));
      }
      double loss = row(logits, lOff + i * classes, probs, pOff + i * classes, classes, label, eps);
      if (kept) {
        double wi = weights == null ? 1 : weights[label];
        total += wi * loss;
        weightSum += wi;
      }
    }
    return weightSum == 0 ? 0 : total / weightSum;
  }

  /** dlogits (overwritten) = w_i (probs - target) / sum of the kept rows' weights; 0 on ignored rows. */
  public static void softmaxCrossEntropyBackward(float[] probs, int pOff, int[] labels, int n, int classes, float eps,
      int ignoreIndex, float[] weights, float[] dlogits, int dOff) {
    double weightSum = 0;
    for (int i = 0; i < n; i++) {
      if (labels[i] != ignoreIndex || ignoreIndex < 0) {
        weightSum += weights == null ? 1 : weights[labels[i]];
      }
    }
    for (int i = 0; i < n; i++) {
      boolean kept = labels[i] != ignoreIndex || ignoreIndex < 0;
      double scale = !kept || weightSum == 0 ? 0 : (weights == null ? 1 : weights[labels[i]]) / weightSum;
      for (int j = 0; j < classes; j++) {
        double target = (j == labels[i] ? 1 - eps : 0) + eps / classes;
        dlogits[dOff + i * classes + j] = scale == 0 ? 0f : (float) ((probs[pOff + i * classes + j] - target) * scale);
      }
    }
  }
}
