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
      int o = lOff + i * classes;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < classes; j++) {
        max = Math.max(max, logits[o + j]);
      }
      double sum = 0;
      for (int j = 0; j < classes; j++) {
        double e = Math.exp(logits[o + j] - max);
        probs[pOff + i * classes + j] = (float) e;
        sum += e;
      }
      double logSum = Math.log(sum) + max;
      double loss = 0;
      for (int j = 0; j < classes; j++) {
        probs[pOff + i * classes + j] /= (float) sum;
        double target = (j == label ? 1 - eps : 0) + eps / classes;
        loss -= target * (logits[o + j] - logSum);
      }
      total += loss;
    }
    return total / n;
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
}
