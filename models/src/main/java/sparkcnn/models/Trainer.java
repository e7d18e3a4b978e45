package sparkcnn.models;

import java.util.Arrays;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;

/**
 * Single-JVM training. One step: zero the gradients; forward and backward each micro-batch of the global batch
 * ({@link Objective}); move the batch-norm running statistics by the step's mean batch statistics; clip the
 * global gradient norm if asked; one optimizer step at the schedule's rate. Kernels run multi-threaded on the
 * kernel pool ({@code -Dsparkcnn.threads} or {@link sparkcnn.kernels.Parallel#setThreads}). This is the
 * reference the distributed trainer reproduces step for step. A frozen backbone is the model's
 * ({@link Model#freeze}): it runs forward only, and the optimizer leaves it alone.
 */
public final class Trainer {
  /**
   * @param labelSmoothing target mix with the uniform distribution, in [0, 1)
   * @param clipNorm global gradient-norm limit, or 0 for none
   * @param microBatch samples per forward / backward (and per batch-norm batch); 0 runs the whole batch at once
   */
  public record Options(float labelSmoothing, double clipNorm, int microBatch) {
    public static final Options DEFAULT = new Options(0f, 0, 0);

    public Options {
      if (clipNorm < 0 || microBatch < 0) {
        throw new IllegalArgumentException("trainer: clip norm and micro-batch must be >= 0");
      }
    }

    /** Micro-batch size for a global batch of n. */
    public int microBatchFor(int n) {
      return microBatch == 0 ? n : Math.min(microBatch, n);
    }
  }

  /** What one step did. */
  public record StepResult(double loss, int correct, int count, float lr, double gradNorm) {}

  /** Loss and accuracy over a dataset, in evaluation mode. */
  public record Evaluation(double loss, double accuracy, int count) {}

  private final Model model;
  private final Optimizer optimizer;
  private final Schedule schedule;
  private final Options options;
  private final Objective objective;

  public Trainer(Model model, Optimizer optimizer, Schedule schedule, Options options) {
    this.model = model;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.options = options;
    this.objective = new Objective(model, options.labelSmoothing());
  }

  public Model model() {
    return model;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /**
   * The seed of micro-batch m's dropout masks at optimizer step s: the same for whoever computes it, so the
   * Spark executors draw exactly the masks this trainer draws.
   */
  public static long maskSeed(long step, int microBatch) {
    return step * 1_000_003L + microBatch;
  }

  /** One step on a global batch: images (N, C, H, W) and their labels, cut into micro-batches by the options. */
  public StepResult step(Tensor images, int[] labels) {
    int n = images.dim(0);
    int mb = options.microBatchFor(n);
    int[] sizes = new int[(n + mb - 1) / mb];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = Math.min(mb, n - i * mb);
    }
    return step(images, labels, sizes);
  }

  /**
   * One step with an explicit cut into micro-batches (their sizes, in order, summing to the batch): the cut a
   * distributed step made across its partitions.
   */
  public StepResult step(Tensor images, int[] labels, int[] microBatches) {
    int n = images.dim(0);
    if (java.util.Arrays.stream(microBatches).sum() != n) {
      throw new IllegalArgumentException("trainer: micro-batches " + Arrays.toString(microBatches)
          + " do not add up to the batch of " + n);
    }
    int per = images.size() / n;
    int lps = labelsPerSample(labels, n);
    long step = optimizer.steps();
    int[] firsts = new int[microBatches.length];
    for (int m = 1; m < microBatches.length; m++) {
      firsts[m] = firsts[m - 1] + microBatches[m - 1];
    }
    Step.Partial p = Step.accumulate(model, objective, n, microBatches.length, m -> {
      int[] shape = images.shape();
      shape[0] = microBatches[m];
      int first = firsts[m];
      return new Step.MicroBatch(new Tensor(images.data, images.offset + first * per, shape),
          Arrays.copyOfRange(labels, first * lps, (first + microBatches[m]) * lps), maskSeed(step, m));
    }, null);
    return apply(p);
  }

  /** The second half of a step on this trainer's model with sums computed elsewhere (or by accumulate). */
  public StepResult apply(Step.Partial p) {
    if (p.grads().length != model.paramCount()) {
      throw new IllegalArgumentException("trainer: " + p.grads().length + " gradients for " + model.paramCount()
          + " parameters");
    }
    double squared = options.clipNorm() > 0 ? GradClip.squaredNorm(p.grads()) : 0;
    return Step.apply(Step.Slice.of(model, p.grads(), p.statistics().sums()),
        p.statistics().batches(), squared, optimizer, schedule, options.clipNorm(), p.totals());
  }

  public Schedule schedule() {
    return schedule;
  }

  /** Evaluation mode (running batch-norm statistics, no dropout) over images in batches. */
  public Evaluation evaluate(Tensor images, int[] labels, int batch) {
    int n = images.dim(0);
    int per = images.size() / n;
    int lps = labelsPerSample(labels, n);
    int[] shape = images.shape();
    Objective.Totals totals = Objective.NONE;
    for (int i = 0; i < n; i += batch) {
      int b = Math.min(batch, n - i);
      shape[0] = b;
      Tensor x = new Tensor(images.data, images.offset + i * per, shape);
      totals = totals.plus(objective.evaluate(x, Arrays.copyOfRange(labels, i * lps, (i + b) * lps)));
    }
    return new Evaluation(totals.meanLoss(), totals.accuracy(), n);
  }

  /** 1 for classification; H * W for per-pixel labels (segmentation). */
  private static int labelsPerSample(int[] labels, int n) {
    if (labels.length % n != 0) {
      throw new IllegalArgumentException("trainer: " + labels.length + " labels for " + n + " samples");
    }
    return labels.length / n;
  }
}
