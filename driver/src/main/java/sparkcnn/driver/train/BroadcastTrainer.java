package sparkcnn.driver.train;

import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.Step;
import sparkcnn.models.Trainer;

/**
 * The reference mode (training.sync: broadcast), Spark MLlib's mini-batch SGD pattern: each step the driver
 * broadcasts a snapshot of the flat buffers; every partition runs the first half of the step on its shard with
 * its executor-cached replica (the partitions of one executor side by side in one task, see
 * {@link ExecutorGroups}); the gradient and batch-statistics sums come back through treeAggregate and the driver
 * runs the second half exactly as the single-JVM {@link Trainer} does. With training.sync: local the partitions
 * instead run K local optimizer steps each and the driver averages parameters, state and optimizer state.
 */
public final class BroadcastTrainer extends DataParallelTrainer {
  private final JavaRDD<List<ExecutorGroups.Member>> groups;
  private final Trainer trainer;
  private Broadcast<Snapshot> previous;
  /** Ends a step's job at its first task out of heap ({@link OutOfMemoryWatch}); started at the first step. */
  private OutOfMemoryWatch watch;

  /** data: one cached block per partition (see Datasets); the model is initialized from config.initSeed. */
  public BroadcastTrainer(JavaSparkContext sc, JavaRDD<SampleBlock> data, TrainConfig config) {
    super(sc, config, ShardPlan.of(data, config));
    this.groups = ExecutorGroups.of(data, ExecutorGroups.executors(sc));
    this.trainer = new Trainer(model, optimizer, config.optimizer.schedule(config.totalSteps),
        new Trainer.Options(config.labelSmoothing, config.clipNorm, config.microBatch));
  }

  @Override
  public void run(long until, String description, Consumer<StepReport> onStep) {
    while (step() < until) {
      StepReport r = step(description + " step " + (step() + 1), until);
      if (r != null) { // null: a non-finite step skipped
        onStep.accept(r);
      }
    }
  }

  /** One synchronous step, or one round of K local steps (never past totalSteps); null for a skipped step. */
  public StepReport step(String description) {
    return step(description, config.totalSteps);
  }

  private StepReport step(String description, long until) {
    long t0 = System.nanoTime();
    long step = optimizer.steps();
    boolean local = config.sync == TrainConfig.Sync.LOCAL;
    int k = local ? (int) Math.min(config.syncEvery, Math.max(1, until - step)) : 1;
    // Not copied: the driver changes the parameters only after this step's job has finished, and the broadcast
    // is destroyed before the next step (executors elsewhere read their own deserialized copy).
    Snapshot snap = new Snapshot(step, model.params(), model.state(), local ? optimizer.state() : null);
    Broadcast<Snapshot> bc = sc.broadcast(snap);
    long tBroadcast = System.nanoTime();
    sc.setJobDescription(description);
    TrainConfig cfg = config;
    ShardPlan p = plan;
    StepCounts counts;
    long tJob;
    if (local) {
      ParameterSum total = watch().run(() -> groups.map(members -> {
        failIfInjected(cfg, step, members);
        Snapshot shared = bc.value();
        return ExecutorGroups.train(members, TaskContext.get().cpus(),
            m -> Replica.of(cfg, m.partition()).localSteps(shared, m.block(), p, m.partition(), k));
      }).treeAggregate(new ParameterSum(), ParameterSum::plus, ParameterSum::plus, depth()));
      tJob = System.nanoTime();
      average(total.params, model.params(), total.counts.tasks);
      average(total.state, model.state(), total.counts.tasks);
      if (total.optimizerState != null) {
        float[][] st = new float[total.optimizerState.length][];
        for (int i = 0; i < st.length; i++) {
          st[i] = new float[total.optimizerState[i].length];
          average(total.optimizerState[i], st[i], total.counts.tasks);
        }
        optimizer.setState(st);
      }
      optimizer.setSteps(step + k);
      counts = total.counts;
    } else {
      GradientSum total = watch().run(() -> groups.map(members -> {
        failIfInjected(cfg, step, members);
        Snapshot shared = bc.value();
        return ExecutorGroups.train(members, TaskContext.get().cpus(),
            m -> Replica.of(cfg, m.partition()).gradients(shared, m.block(), p, m.partition()));
      }).treeAggregate(new GradientSum(), GradientSum::plus, GradientSum::plus, depth()));
      tJob = System.nanoTime();
      double loss = total.counts.lossSum / total.counts.count;
      int bad = Step.firstNonFinite(total.grads);
      if (bad >= 0 || !Double.isFinite(loss)) {
        bc.destroy();
        skipOrStop(new NonFiniteStep(step + 1, config.stepsPerEpoch, loss, bad, model));
        return null;
      }
      trainer.apply(total.partial());
      counts = total.counts;
    }
    if (previous != null) {
      previous.destroy();
    }
    previous = bc;
    long end = System.nanoTime();
    float lr = trainer.schedule().lr(step);
    return new StepReport(optimizer.steps(), counts.lossSum / counts.count, counts.correct / (double) counts.count,
        counts.count, lr, end - t0, counts.computeNanos, counts.tasks, tBroadcast - t0, tJob - tBroadcast,
        end - tJob, counts.computeMaxNanos);
  }

  private static void failIfInjected(TrainConfig cfg, long step, List<ExecutorGroups.Member> members) {
    if (cfg.injectFailureAtStep == step && TaskContext.get().attemptNumber() == 0
        && members.stream().anyMatch(m -> m.partition() == 0)) {
      throw new IllegalStateException("injected failure at step " + step + " (test)");
    }
  }

  @Override
  public String describe() {
    return config.sync == TrainConfig.Sync.LOCAL ? "local SGD every " + config.syncEvery + " steps"
        : "broadcast, " + plan.partitions() + " partitions";
  }

  /** The step jobs' out-of-heap watch, registered at the first step and removed by {@link #close}. */
  private OutOfMemoryWatch watch() {
    if (watch == null) {
      watch = OutOfMemoryWatch.start(sc.sc());
    }
    return watch;
  }

  /** Releases the last broadcast and the executors' replicas held in this JVM. */
  @Override
  public void close() {
    if (watch != null) {
      watch.close();
      watch = null;
    }
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
