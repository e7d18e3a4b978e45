package sparkcnn.driver.train;

import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.Model;
import sparkcnn.models.Objective;
import sparkcnn.models.Trainer;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.zoo.Zoo;

/**
 * Synchronous data-parallel training on Spark. Each step the driver broadcasts a snapshot of the flat buffers;
 * every partition runs forward and backward on its shard of the global batch with its executor-cached replica
 * (the partitions of one executor side by side in one task, see {@link ExecutorGroups}), and the gradient and
 * batch-statistics sums come back through treeAggregate; the driver applies them exactly as the
 * single-JVM {@link Trainer} does (same micro-batches, same order of operations), destroys the old broadcast and
 * moves on. With syncEvery = K > 1 the partitions instead run K local optimizer steps each and the driver averages
 * parameters, state and optimizer state (local SGD).
 */
public final class DistributedTrainer {
  /** What a step (or a K-step round) did, with its timing split. */
  public record StepReport(long step, double loss, double accuracy, long samples, float lr, long wallNanos,
      long computeNanos, int tasks, long broadcastNanos, long jobNanos, long applyNanos, long slowestTaskNanos) {}

  private final JavaSparkContext sc;
  private final JavaRDD<List<ExecutorGroups.Member>> groups;
  private final TrainConfig config;
  private final ShardPlan plan;
  private final Model model;
  private final Optimizer optimizer;
  private final Trainer trainer;
  private Broadcast<Snapshot> previous;

  /** data: one cached block per partition (see Datasets); the model is initialized from config.initSeed. */
  public DistributedTrainer(JavaSparkContext sc, JavaRDD<SampleBlock> data, TrainConfig config) {
    this.sc = sc;
    this.groups = ExecutorGroups.of(data, ExecutorGroups.executors(sc));
    this.config = config;
    List<Integer> sizes = data.map(SampleBlock::size).collect();
    int[] s = sizes.stream().mapToInt(Integer::intValue).toArray();
    this.plan = new ShardPlan(config.globalBatch, config.microBatch, config.seed, s);
    this.model = Zoo.build(config.model).init(config.initSeed);
    this.optimizer = config.optimizer.optimizer();
    this.trainer = new Trainer(model, optimizer, config.optimizer.schedule(config.totalSteps),
        new Trainer.Options(config.labelSmoothing, config.clipNorm, 0, config.microBatch));
  }

  public Model model() {
    return model;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public ShardPlan plan() {
    return plan;
  }

  /** Optimizer steps taken so far (restored from checkpoints). */
  public long step() {
    return optimizer.steps();
  }

  /** One synchronous step, or one round of syncEvery local steps. */
  public StepReport step(String description) {
    long t0 = System.nanoTime();
    long step = optimizer.steps();
    int k = (int) Math.min(config.syncEvery, Math.max(1, config.totalSteps - step));
    boolean local = config.syncEvery > 1;
    // Not copied: the driver changes the parameters only after this step's job has finished, and the broadcast
    // is destroyed before the next step (executors elsewhere read their own deserialized copy).
    Snapshot snap = new Snapshot(step, model.params(), model.state(),
        local && optimizer.state() != null ? optimizer.state() : null);
    Broadcast<Snapshot> bc = sc.broadcast(snap);
    long tBroadcast = System.nanoTime();
    sc.setJobDescription(description);
    TrainConfig cfg = config;
    ShardPlan p = plan;
    StepPartial total = groups.map(members -> {
      TaskContext task = TaskContext.get();
      if (cfg.injectFailureAtStep == step && task.attemptNumber() == 0
          && members.stream().anyMatch(m -> m.partition() == 0)) {
        throw new IllegalStateException("injected failure at step " + step + " (test)");
      }
      Snapshot shared = bc.value();
      return ExecutorGroups.train(members, task.cpus(), m -> {
        Replica r = Replica.of(cfg, m.partition());
        return local ? r.localSteps(shared, m.block(), p, m.partition(), k)
            : r.gradients(shared, m.block(), p, m.partition());
      });
    }).treeAggregate(new StepPartial(), StepPartial::plus, StepPartial::plus, depth());
    long tJob = System.nanoTime();
    if (previous != null) {
      previous.destroy();
    }
    previous = bc;
    float lr;
    if (local) {
      lr = trainer.scheduleRate(step);
      average(total.payload, model.params(), total.tasks);
      average(total.stats, model.state(), total.tasks);
      if (total.optimizerState != null) {
        float[][] st = new float[total.optimizerState.length][];
        for (int i = 0; i < st.length; i++) {
          st[i] = new float[total.optimizerState[i].length];
          average(total.optimizerState[i], st[i], total.tasks);
        }
        optimizer.setState(st);
      }
      optimizer.setSteps(step + k);
    } else {
      model.clearBatchStatistics();
      model.addBatchStatistics(total.stats, total.statBatches);
      lr = trainer.finishStep(new Objective.Totals(total.lossSum, total.correct, total.count), total.payload).lr();
    }
    long end = System.nanoTime();
    return new StepReport(optimizer.steps(), total.lossSum / total.count, total.correct / (double) total.count,
        total.count, lr, end - t0, total.computeNanos, total.tasks, tBroadcast - t0, tJob - tBroadcast, end - tJob,
        total.computeMaxNanos);
  }

  /** Releases the last broadcast and the executors' replicas held in this JVM. */
  public void close() {
    if (previous != null) {
      previous.destroy();
      previous = null;
    }
    Replica.forget(config.runId);
  }

  private int depth() {
    return groups.getNumPartitions() > 8 ? 3 : 2;
  }

  private static void average(float[] sum, float[] into, int n) {
    for (int i = 0; i < into.length; i++) {
      into[i] = sum[i] / n;
    }
  }
}
