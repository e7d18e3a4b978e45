package sparkcnn.driver.train;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import sparkcnn.driver.data.BatchMaker;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.Objective;
import sparkcnn.models.Trainer;
import sparkcnn.models.Step;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;

/**
 * An executor's copy of the model for one partition of one run, cached in the executor JVM between steps so
 * only the parameters travel. Everything it computes comes from the broadcast snapshot and the partition's
 * samples, never from what it held before, so a task retried elsewhere computes the same result.
 */
final class Replica {
  private static final Map<String, Replica> CACHE = new ConcurrentHashMap<>();
  /** Runs with replicas in this JVM, oldest first; beyond RUNS_KEPT the oldest run's replicas are dropped. */
  private static final java.util.LinkedHashSet<String> RUNS = new java.util.LinkedHashSet<>();
  private static final int RUNS_KEPT = 4;

  private final TrainConfig config;
  private final Model model;
  private final Objective objective;
  private final BatchMaker batches;
  private final ShardPlan.EpochPermutation permutation = new ShardPlan.EpochPermutation();
  private final List<Augmentation> augmentations;
  /**
   * Held by the collective rank training on this replica. A killed barrier task keeps running until it notices
   * (Spark does not interrupt it), and its stage's rerun may start on the same executor: the new rank waits
   * here instead of loading its snapshot into a model the old one is still writing.
   */
  private final java.util.concurrent.locks.ReentrantLock owner = new java.util.concurrent.locks.ReentrantLock();

  private Replica(TrainConfig config) {
    this.config = config;
    this.model = config.buildModel();
    this.objective = new Objective(model, config.labelSmoothing, config.ignoreIndex, config.classWeights);
    // Mask pixels an augmentation brings in from outside the image are unknown: ignored if the job says how.
    this.batches = new BatchMaker(Math.max(0, config.ignoreIndex));
    this.augmentations = Augmentations.parse(config.augmentations);
  }

  /** The replica of (run, partition) in this JVM, built on first use. */
  static Replica of(TrainConfig config, int partition) {
    synchronized (RUNS) {
      // Executors outlive runs (a sweep trains many models in one application): keep the last few runs only.
      if (RUNS.add(config.runId) && RUNS.size() > RUNS_KEPT) {
        forget(RUNS.iterator().next());
      }
    }
    return CACHE.computeIfAbsent(config.runId + "/" + partition, k -> new Replica(config));
  }

  /** Drops a run's replicas (the driver calls it in local mode when the run ends). */
  static void forget(String runId) {
    synchronized (RUNS) {
      RUNS.remove(runId);
    }
    CACHE.keySet().removeIf(k -> k.startsWith(runId + "/"));
  }

  /** Replicas this JVM holds for a run. */
  static long cached(String runId) {
    return CACHE.keySet().stream().filter(k -> k.startsWith(runId + "/")).count();
  }

  Model model() {
    return model;
  }

  /** Takes this replica for a collective session, waiting (in one-second slices) for a previous owner to end. */
  void claim(java.util.function.BooleanSupplier interrupted, double timeoutSeconds, String who) {
    long deadline = System.nanoTime() + (long) (timeoutSeconds * 1e9);
    try {
      while (!owner.tryLock(1, java.util.concurrent.TimeUnit.SECONDS)) {
        if (interrupted.getAsBoolean()) {
          throw new IllegalStateException(who + ": interrupted (the task was killed) while waiting for its replica");
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(who + ": the replica of an earlier attempt of this session is still in "
              + "use after " + timeoutSeconds + " s (training.peer_timeout_seconds)");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(who + ": interrupted", e);
    }
  }

  void release() {
    owner.unlock();
  }

  /** One synchronous step's first half over this partition's micro-batches, from the snapshot. */
  GradientSum gradients(Snapshot snap, SampleBlock block, ShardPlan plan, int partition) {
    long t0 = System.nanoTime();
    Step.Partial p;
    if (config.skipCompute) {
      model.zeroGrad(); // benchmarks: zero gradients of the model's size, nothing run
      model.clearBatchStatistics();
      p = new Step.Partial(model.grads(), new Step.BatchStatistics(model.batchStatistics(), 0),
          new Objective.Totals(0, 0, plan.shardSize(partition)));
    } else {
      model.load(snap.params, snap.state);
      p = accumulate(block, plan, snap.step, partition, null);
    }
    return GradientSum.of(p, System.nanoTime() - t0);
  }

  /** K local steps from the snapshot (local SGD); returns parameter, state and optimizer-state sums. */
  ParameterSum localSteps(Snapshot snap, SampleBlock block, ShardPlan plan, int partition, int k) {
    long t0 = System.nanoTime();
    model.load(snap.params, snap.state);
    // A fresh optimizer from the snapshot's state: nothing carried over from an earlier task.
    Optimizer localOptimizer = config.optimizer.optimizer();
    Schedule schedule = config.optimizer.schedule(config.totalSteps);
    localOptimizer.setSteps(snap.step);
    if (snap.optimizerState != null) {
      localOptimizer.setState(copy(snap.optimizerState));
    }
    Objective.Totals totals = Objective.NONE;
    for (int i = 0; i < k; i++) {
      Step.Partial p = accumulate(block, plan, snap.step + i, partition, null);
      // Each replica's local step sees only its shard: its gradient is scaled up to a full-batch mean.
      float scale = plan.globalBatch() / (float) plan.shardSize(partition);
      float[] g = p.grads();
      for (int j = 0; j < g.length; j++) {
        g[j] *= scale;
      }
      Step.apply(Step.Slice.of(model, g, p.statistics().sums()), p.statistics().batches(),
          config.clipNorm > 0 ? GradClip.squaredNorm(g) : 0, localOptimizer, schedule, config.clipNorm, p.totals());
      totals = totals.plus(p.totals());
    }
    ParameterSum out = new ParameterSum();
    out.params = model.params().clone();
    out.state = model.state().clone();
    out.optimizerState = localOptimizer.state() == null ? null : copy(localOptimizer.state());
    out.counts = new StepCounts(totals.lossSum(), totals.correct(), totals.count(), System.nanoTime() - t0);
    return out;
  }

  /**
   * The first half of a step on this partition's shard: its micro-batches (numbered globally, which fixes their
   * dropout masks) made from the block with the step's augmentation; ready hears the gradient-ready signal.
   */
  Step.Partial accumulate(SampleBlock block, ShardPlan plan, long step, int partition, IntConsumer ready) {
    int[] shard = plan.shard(step, partition, permutation);
    int[] sizes = plan.microBatches(partition);
    int first = plan.firstMicroBatch(partition);
    int[] from = new int[sizes.length];
    for (int i = 1; i < sizes.length; i++) {
      from[i] = from[i - 1] + sizes[i - 1];
    }
    boolean poison = config.injectNonFiniteAtStep == step && partition == 0;
    boolean exhaust = config.injectOutOfMemoryAtStep == step && partition == 0;
    int[][] shape = new int[1][];
    try {
      return Step.accumulate(model, objective, plan.globalBatch(), sizes.length, i -> {
        if (exhaust) {
          throw new OutOfMemoryError("Java heap space"); // tests: what a micro-batch too large for the heap does
        }
        Tensor x = batches.make(block, shard, from[i], sizes[i], augmentations, config.normalization, config.seed,
            step, partition);
        shape[0] = Arrays.copyOfRange(x.shape(), 1, x.shape().length);
        if (poison && i == 0) {
          x.data[x.offset] = Float.NaN; // tests: one bad input, and the step's loss and gradients go NaN
        }
        return new Step.MicroBatch(x, batches.labels(), Trainer.maskSeed(step, first + i));
      }, ready);
    } catch (OutOfMemoryError e) {
      // This run's replicas in this JVM go (the task's own once it unwinds): a rerun rebuilds them, instead of
      // finding the heap still held by a failed model's buffers and failing outside this catch.
      forget(config.runId);
      if (!OutOfMemoryAdvice.isHeap(e)) {
        throw e;
      }
      throw OutOfMemoryAdvice.forStep(e, step, sizes, shape[0]);
    }
  }

  static float[][] copy(float[][] a) {
    if (a == null) {
      return null;
    }
    float[][] c = new float[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i] == null ? null : a[i].clone();
    }
    return c;
  }
}
