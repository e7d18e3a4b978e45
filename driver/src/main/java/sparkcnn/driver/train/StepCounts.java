package sparkcnn.driver.train;

/**
 * The scalar side of what tasks send back for a step: loss / correct / count totals and compute time (summed,
 * and the slowest task's, which the step waits for), with how many tasks contributed. A plain class for Kryo.
 */
public final class StepCounts implements java.io.Serializable {
  public double lossSum;
  public long correct;
  public long count;
  public long computeNanos;
  public long computeMaxNanos;
  public int tasks;

  public StepCounts() {}

  StepCounts(double lossSum, long correct, long count, long computeNanos) {
    this.lossSum = lossSum;
    this.correct = correct;
    this.count = count;
    this.computeNanos = computeNanos;
    this.computeMaxNanos = computeNanos;
    this.tasks = 1;
  }

  /** this += o; returns this. */
  StepCounts plus(StepCounts o) {
    lossSum += o.lossSum;
    correct += o.correct;
    count += o.count;
    computeNanos += o.computeNanos;
    computeMaxNanos = Math.max(computeMaxNanos, o.computeMaxNanos);
    tasks += o.tasks;
    return this;
  }
}
