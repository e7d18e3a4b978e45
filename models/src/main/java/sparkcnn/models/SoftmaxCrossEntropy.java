package sparkcnn.models;

import sparkcnn.kernels.Losses;
import sparkcnn.kernels.Tensor;

/** The classification loss, mean over the batch, with label smoothing; keeps the probabilities for backward. */
public final class SoftmaxCrossEntropy {
  private final float smoothing;
  private Tensor probs;
  private Tensor dlogits;
  private int[] labels;

  public SoftmaxCrossEntropy(float smoothing) {
    if (!(smoothing >= 0f && smoothing < 1f)) {
      throw new IllegalArgumentException("label smoothing: expected a value in [0, 1), got " + smoothing);
    }
    this.smoothing = smoothing;
  }

  /** Mean loss of logits (N, K) against labels. */
  public double forward(Tensor logits, int[] labels) {
    int n = logits.dim(0);
    int k = logits.dim(1);
    if (labels.length < n) {
      throw new IllegalArgumentException("loss: " + labels.length + " labels for a batch of " + n);
    }
    probs = Buffers.ensure(probs, n, k);
    this.labels = labels;
    return Losses.softmaxCrossEntropy(logits.data, logits.offset, labels, n, k, smoothing, probs.data, probs.offset);
  }

  /** The probabilities of the last forward, (N, K). */
  public Tensor probabilities() {
    return probs;
  }

  /** dL/dlogits of the last forward. */
  public Tensor backward() {
    dlogits = Buffers.ensure(dlogits, probs.shape());
    Losses.softmaxCrossEntropyBackward(probs.data, probs.offset, labels, probs.dim(0), probs.dim(1), smoothing,
        dlogits.data, dlogits.offset);
    return dlogits;
  }

  /** How many rows of the last forward have their label as the arg-max. */
  public int correct() {
    int n = probs.dim(0);
    int k = probs.dim(1);
    int right = 0;
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int j = 1; j < k; j++) {
        if (probs.data[probs.offset + i * k + j] > probs.data[probs.offset + i * k + best]) {
          best = j;
        }
      }
      right += best == labels[i] ? 1 : 0;
    }
    return right;
  }
}
