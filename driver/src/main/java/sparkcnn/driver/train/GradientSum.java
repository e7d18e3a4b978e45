package sparkcnn.driver.train;

import sparkcnn.models.Objective;
import sparkcnn.models.Step;

/**
 * A synchronous step's first half summed over partitions (the broadcast trainer's task result): gradient sums,
 * batch-statistics sums and their forward count, and the step's counts. A plain class for Kryo.
 */
public final class GradientSum implements Summable<GradientSum>, java.io.Serializable {
  public float[] grads;
  public float[] stats;
  public long statBatches;
  public StepCounts counts = new StepCounts();

  public GradientSum() {}

  /** One partition's accumulate (its arrays are the replica's buffers: serialized before they are reused). */
  static GradientSum of(Step.Partial p, long computeNanos) {
    GradientSum g = new GradientSum();
    g.grads = p.grads();
    g.stats = p.statistics().sums();
    g.statBatches = p.statistics().batches();
    g.counts = new StepCounts(p.totals().lossSum(), p.totals().correct(), p.totals().count(), computeNanos);
    return g;
  }

  @Override
  public GradientSum plus(GradientSum o) {
    grads = Summable.add(grads, o.grads);
    stats = Summable.add(stats, o.stats);
    statBatches += o.statBatches;
    counts.plus(o.counts);
    return this;
  }

  /** The sums as the second half of a step takes them. */
  Step.Partial partial() {
    return new Step.Partial(grads, new Step.BatchStatistics(stats, statBatches),
        new Objective.Totals(counts.lossSum, counts.correct, counts.count));
  }
}
