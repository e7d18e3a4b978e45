package sparkcnn.driver.train;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import sparkcnn.driver.data.BatchMaker;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.augment.Augmentation;
import sparkcnn.driver.data.augment.Augmentations;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Model;
import sparkcnn.models.Objective;
import sparkcnn.models.Trainer;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;
import sparkcnn.models.zoo.Zoo;

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
  private final BatchMaker batches = new BatchMaker();
  private final ShardPlan.EpochPermutation permutation = new ShardPlan.EpochPermutation();
  private final List<Augmentation> augmentations;

  private Replica(TrainConfig config) {
    this.config = config;
    this.model = Zoo.build(config.model);
    this.objective = new Objective(model, config.labelSmoothing);
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

  /** One synchronous step's gradient sum over this partition's micro-batches. */
  StepPartial gradients(Snapshot snap, SampleBlock block, ShardPlan plan, int partition) {
    long t0 = System.nanoTime();
    StepPartial out = new StepPartial();
    model.zeroGrad();
    model.clearBatchStatistics();
    if (config.skipCompute) {
      out.count = plan.shardSize(partition); // benchmarks: zero gradients, nothing run
    } else {
      model.load(snap.params, snap.state);
      accumulate(block, plan, snap.step, partition, out);
    }
    // Not copied: the result is serialized when the task returns, before this replica is used again.
    out.payload = model.grads();
    out.stats = model.batchStatistics();
    out.statBatches = model.statisticsBatches();
    out.computeNanos = System.nanoTime() - t0;
    out.computeMaxNanos = out.computeNanos;
    out.tasks = 1;
    return out;
  }

  /** K local steps from the snapshot (local SGD); returns parameter, state and optimizer-state sums. */
  StepPartial localSteps(Snapshot snap, SampleBlock block, ShardPlan plan, int partition, int k) {
    long t0 = System.nanoTime();
    model.load(snap.params, snap.state);
    // A fresh optimizer from the snapshot's state: nothing carried over from an earlier task.
    Optimizer localOptimizer = config.optimizer.optimizer();
    Schedule schedule = config.optimizer.schedule(config.totalSteps);
    localOptimizer.setSteps(snap.step);
    if (snap.optimizerState != null) {
      localOptimizer.setState(copy(snap.optimizerState));
    }
    StepPartial out = new StepPartial();
    for (int i = 0; i < k; i++) {
      model.zeroGrad();
      model.clearBatchStatistics();
      accumulate(block, plan, snap.step + i, partition, out);
      // Each replica's local step sees only its shard: its gradient is scaled up to a full-batch mean.
      float scale = plan.globalBatch() / (float) plan.shardSize(partition);
      float[] g = model.grads();
      for (int j = 0; j < g.length; j++) {
        g[j] *= scale;
      }
      model.applyBatchStatistics();
      if (config.clipNorm > 0) {
        GradClip.clipGlobalNorm(g, config.clipNorm);
      }
      localOptimizer.step(model.params(), g, model.decayMask(), 0, schedule.lr(snap.step + i));
    }
    out.payload = model.params().clone();
    out.stats = model.state().clone();
    out.optimizerState = localOptimizer.state() == null ? null : copy(localOptimizer.state());
    out.statBatches = 0;
    out.computeNanos = System.nanoTime() - t0;
    out.computeMaxNanos = out.computeNanos;
    out.tasks = 1;
    return out;
  }

  private void accumulate(SampleBlock block, ShardPlan plan, long step, int partition, StepPartial out) {
    int[] shard = plan.shard(step, partition, permutation);
    int[] sizes = plan.microBatches(partition);
    int m = plan.firstMicroBatch(partition);
    int from = 0;
    for (int size : sizes) {
      Tensor x = batches.make(block, shard, from, size, augmentations, config.normalization, config.seed, step,
          partition);
      Objective.Totals t = objective.microBatch(x, batches.labels(), plan.globalBatch(), Trainer.maskSeed(step, m));
      out.lossSum += t.lossSum();
      out.correct += t.correct();
      out.count += t.count();
      from += size;
      m++;
    }
  }

  private static float[][] copy(float[][] a) {
    float[][] c = new float[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i] == null ? null : a[i].clone();
    }
    return c;
  }
}
