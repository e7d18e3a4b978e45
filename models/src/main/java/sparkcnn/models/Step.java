package sparkcnn.models;

import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;

/**
 * One optimizer step in two halves that every trainer calls (the single-JVM {@link Trainer}, the broadcast and
 * local-SGD Spark trainers, the collective one): {@link #accumulate} runs the micro-batches forward and backward
 * into the model's gradient and batch-statistics buffers; whoever holds the sums (this JVM, the driver after
 * treeAggregate, or each rank for its shard after a reduce-scatter) then calls {@link #apply} with them passed
 * explicitly. Both halves are pure functions of their arguments, which is what makes every trainer reproduce
 * the same step.
 */
public final class Step {
  /** One micro-batch: images (b, C, H, W), labels (b, or b * H * W for masks) and its dropout seed. */
  public record MicroBatch(Tensor x, int[] labels, long maskSeed) {}

  /** Batch-statistics sums (in the state's layout) over this many training forwards. */
  public record BatchStatistics(float[] sums, long batches) {}

  /** The first half's result: the model's own gradient and statistics buffers (not copies) and the loss totals. */
  public record Partial(float[] grads, BatchStatistics statistics, Objective.Totals totals) {}

  /**
   * What the second half updates: the whole model's arrays, or a rank's shard of them (the same elements in the
   * same order, compacted). rates scale each parameter's learning rate (null: none). frozen counts the leading parameters of this slice the optimizer leaves alone,
   * frozenState the leading state values (a frozen backbone's running statistics) that do not move.
   */
  public record Slice(float[] params, float[] grads, boolean[] decay, float[] rates, int frozen, float[] state,
      float[] statSums, int frozenState) {
    /** The whole model, its frozen backbone ({@link Model#freeze}) left alone, at its rates. */
    public static Slice of(Model m, float[] grads, float[] statSums) {
      return new Slice(m.params(), grads, m.decayMask(), m.rates(), m.frozenParams(), m.state(), statSums,
          m.frozenState());
    }
  }

  private Step() {}

  /** The first index of a that is NaN or infinite, or -1. */
  public static int firstNonFinite(float[] a) {
    for (int i = 0; i < a.length; i++) {
      if (!Float.isFinite(a[i])) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Zeroes the gradients and statistics, then forward and backward of micro-batches 0..count-1 of a global batch;
   * ready (null for none) hears the last micro-batch's gradient-ready signal ({@link Model#backward(Tensor,
   * IntConsumer)}, preceded by paramCount once its forward has filled the batch statistics).
   */
  public static Partial accumulate(Model model, Objective objective, int globalBatch, int count,
      IntFunction<MicroBatch> batches, IntConsumer ready) {
    model.zeroGrad();
    model.clearBatchStatistics();
    Objective.Totals totals = Objective.NONE;
    for (int m = 0; m < count; m++) {
      MicroBatch b = batches.apply(m);
      totals = totals.plus(objective.microBatch(b.x(), b.labels(), globalBatch, b.maskSeed(),
          m == count - 1 ? ready : null));
    }
    return new Partial(model.grads(), new BatchStatistics(model.batchStatistics(), count), totals);
  }

  /**
   * The second half on a slice: running statistics move by the statistics' mean (momentum
   * {@link Model#STATISTICS_MOMENTUM}), the gradient is scaled down if the global norm (sqrt of
   * gradSquaredNorm, over ALL shards) exceeds clipNorm, then one optimizer step at the schedule's rate.
   */
  public static Trainer.StepResult apply(Slice s, long statBatches, double gradSquaredNorm, Optimizer optimizer,
      Schedule schedule, double clipNorm, Objective.Totals totals) {
    moveRunningStatistics(s.state(), s.statSums(), statBatches, s.frozenState());
    double norm = Math.sqrt(gradSquaredNorm);
    if (clipNorm > 0) {
      GradClip.clipTo(s.grads(), norm, clipNorm);
    }
    float lr = schedule.lr(optimizer.steps());
    optimizer.step(s.params(), s.grads(), s.decay(), s.rates(), s.frozen(), lr);
    return new Trainer.StepResult(totals.meanLoss(), (int) totals.correct(), (int) totals.count(), lr,
        clipNorm > 0 ? norm : Double.NaN);
  }

  /** state = (1 - m) state + m sums / batches, elementwise from index from on; nothing without batches. */
  static void moveRunningStatistics(float[] state, float[] sums, long batches, int from) {
    if (batches > 0) {
      float m = Model.STATISTICS_MOMENTUM;
      for (int i = from; i < state.length; i++) {
        state[i] = (1 - m) * state[i] + m * (float) (sums[i] / (double) batches);
      }
    }
  }
}
