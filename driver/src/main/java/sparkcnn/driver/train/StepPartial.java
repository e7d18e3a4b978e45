package sparkcnn.driver.train;

import sparkcnn.kernels.Parallel;

/**
 * What partitions send back for one step, summed pairwise by treeAggregate: the gradient sum (or, when syncing
 * every K steps, the parameter sum), batch-norm statistics (or state) sums, optimizer-state sums (K-step only),
 * loss / correct / count totals, and compute time. Mutable so combining reuses the left operand's arrays. A plain
 * class for Kryo.
 */
public final class StepPartial implements java.io.Serializable {
  public float[] payload;
  public float[] stats;
  public float[][] optimizerState;
  public long statBatches;
  public double lossSum;
  public long correct;
  public long count;
  public long computeNanos;
  /** The slowest task's compute time: the step waits for it. */
  public long computeMaxNanos;
  public int tasks;

  /** this += o (arrays summed elementwise); returns this. */
  public StepPartial plus(StepPartial o) {
    payload = add(payload, o.payload);
    stats = add(stats, o.stats);
    if (o.optimizerState != null) {
      if (optimizerState == null) {
        optimizerState = o.optimizerState;
      } else {
        for (int i = 0; i < optimizerState.length; i++) {
          optimizerState[i] = add(optimizerState[i], o.optimizerState[i]);
        }
      }
    }
    statBatches += o.statBatches;
    lossSum += o.lossSum;
    correct += o.correct;
    count += o.count;
    computeNanos += o.computeNanos;
    computeMaxNanos = Math.max(computeMaxNanos, o.computeMaxNanos);
    tasks += o.tasks;
    return this;
  }

  private static float[] add(float[] a, float[] b) {
    if (a == null) {
      return b;
    }
    if (b != null) {
      // Gradients are millions of floats: split the sum over the cores (each element's sum is unchanged).
      Parallel.forRange(a.length, (lo, hi, chunk) -> {
        for (int i = lo; i < hi; i++) {
          a[i] += b[i];
        }
      });
    }
    return a;
  }
}
