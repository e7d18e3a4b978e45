package sparkcnn.models;

import sparkcnn.kernels.Losses;
import sparkcnn.kernels.Tensor;

/**
 * The classification loss with label smoothing and mean reduction; keeps the probabilities for backward.
 * Logits (N, K) give one prediction per sample; logits (N, K, H, W) give one per pixel (segmentation), with
 * N * H * W labels in (n, y, x) order, and the mean is over pixels. Optionally (segmentation) rows labelled
 * with an ignore index drop out of the loss, the gradient and the counts, and class weights make the mean a
 * weighted one (see {@link Losses}); with neither, the plain kernels run, bit for bit as before.
 */
public final class SoftmaxCrossEntropy {
  private final float smoothing;
  /** Negative: none. */
  private final int ignoreIndex;
  /** Null: all 1. */
  private final float[] weights;
  private Tensor rows;
  private Tensor probs;
  private Tensor dRows;
  private Tensor dlogits;
  private int[] shape;
  private int[] labels;

  public SoftmaxCrossEntropy(float smoothing) {
    this(smoothing, -1, null);
  }

  /** ignoreIndex: a label that counts for nothing (negative: none); weights: one per class (null: none). */
  public SoftmaxCrossEntropy(float smoothing, int ignoreIndex, float[] weights) {
    if (weights != null) {
      for (float wt : weights) {
        if (!(wt >= 0) || Float.isInfinite(wt)) {
          throw new IllegalArgumentException("class weights: expected finite values >= 0, got "
              + java.util.Arrays.toString(weights));
        }
      }
    }
    this.ignoreIndex = ignoreIndex;
    this.weights = weights == null ? null : weights.clone();
    if (!(smoothing >= 0f && smoothing < 1f)) {
      throw new IllegalArgumentException("label smoothing: expected a value in [0, 1), got " + smoothing);
    }
    this.smoothing = smoothing;
  }

  /** Mean loss of logits (N, K) or (N, K, H, W) against labels. */
  public double forward(Tensor logits, int[] labels) {
    shape = logits.shape();
    if (shape.length != 2 && shape.length != 4) {
      throw new IllegalArgumentException("loss: expects logits (N, K) or (N, K, H, W), got "
          + sparkcnn.kernels.Shape.show(shape));
    }
    int k = shape[1];
    int n = logits.size() / k;
    if (labels.length < n) {
      throw new IllegalArgumentException("loss: " + labels.length + " labels for " + n
          + (shape.length == 4 ? " pixels" : " samples"));
    }
    Tensor in = logits;
    if (shape.length == 4) {
      rows = Buffers.ensure(rows, n, k);
      channelsLast(logits.data, logits.offset, rows.data, rows.offset, shape, true);
      in = rows;
    }
    probs = Buffers.ensure(probs, n, k);
    this.labels = labels;
    if (plain()) {
      return Losses.softmaxCrossEntropy(in.data, in.offset, labels, n, k, smoothing, probs.data, probs.offset);
    }
    return Losses.softmaxCrossEntropy(in.data, in.offset, labels, n, k, smoothing, ignoreIndex, weights, probs.data,
        probs.offset);
  }

  private boolean plain() {
    return ignoreIndex < 0 && weights == null;
  }

  private boolean kept(int label) {
    return ignoreIndex < 0 || label != ignoreIndex;
  }

  /** The probabilities of the last forward, one row of K per sample or pixel. */
  public Tensor probabilities() {
    return probs;
  }

  /** dL/dlogits of the last forward, in the logits' shape. */
  public Tensor backward() {
    dRows = Buffers.ensure(dRows, probs.shape());
    if (plain()) {
      Losses.softmaxCrossEntropyBackward(probs.data, probs.offset, labels, probs.dim(0), probs.dim(1), smoothing,
          dRows.data, dRows.offset);
    } else {
      Losses.softmaxCrossEntropyBackward(probs.data, probs.offset, labels, probs.dim(0), probs.dim(1), smoothing,
          ignoreIndex, weights, dRows.data, dRows.offset);
    }
    if (shape.length == 2) {
      return dRows;
    }
    dlogits = Buffers.ensure(dlogits, shape);
    channelsLast(dlogits.data, dlogits.offset, dRows.data, dRows.offset, shape, false);
    return dlogits;
  }

  /** How many rows (samples or pixels, not ignored) of the last forward have their label as the arg-max. */
  public int correct() {
    int n = probs.dim(0);
    int k = probs.dim(1);
    int right = 0;
    for (int i = 0; i < n; i++) {
      if (!kept(labels[i])) {
        continue;
      }
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

  /** Rows the last forward scored: samples, or pixels for per-pixel logits; ignored rows do not count. */
  public int count() {
    if (plain() || ignoreIndex < 0) {
      return probs.dim(0);
    }
    int kept = 0;
    for (int i = 0; i < probs.dim(0); i++) {
      kept += labels[i] != ignoreIndex ? 1 : 0;
    }
    return kept;
  }

  /** Copies between (N, K, H, W) and (N*H*W, K), in the direction toRows says. */
  private static void channelsLast(float[] nchw, int nOff, float[] rows, int rOff, int[] s, boolean toRows) {
    int k = s[1];
    int hw = s[2] * s[3];
    for (int n = 0; n < s[0]; n++) {
      for (int c = 0; c < k; c++) {
        int src = nOff + (n * k + c) * hw;
        int dst = rOff + n * hw * k + c;
        for (int p = 0; p < hw; p++) {
          if (toRows) {
            rows[dst + p * k] = nchw[src + p];
          } else {
            nchw[src + p] = rows[dst + p * k];
          }
        }
      }
    }
  }
}
