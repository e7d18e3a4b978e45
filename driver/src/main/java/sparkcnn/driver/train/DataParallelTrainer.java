package sparkcnn.driver.train;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.Model;
import sparkcnn.models.optim.Optimizer;

/**
 * Synchronous data-parallel training on Spark, in one of three modes (training.sync): {@code collective} (long
 * barrier stages, a ring all-reduce between the tasks and a sharded optimizer: {@link CollectiveTrainer}),
 * {@code broadcast} (a Spark job per step through the driver: {@link BroadcastTrainer}, the reference) and
 * {@code local} (local SGD, parameters averaged every K steps, also {@link BroadcastTrainer}). The driver's model
 * and optimizer hold the state between calls of {@link #run}; checkpoints are written from them.
 */
public abstract class DataParallelTrainer {
  protected final JavaSparkContext sc;
  protected final TrainConfig config;
  protected final ShardPlan plan;
  /** The driver's copy of the model and optimizer, initialized from config.initSeed. */
  protected final Model model;
  protected final Optimizer optimizer;
  /** Non-finite steps skipped so far (training.skip_nonfinite), 1-based. */
  private final List<Long> skipped = new ArrayList<>();

  protected DataParallelTrainer(JavaSparkContext sc, TrainConfig config, ShardPlan plan) {
    this.sc = sc;
    this.config = config;
    this.plan = plan;
    this.model = config.buildModel().init(config.initSeed);
    this.optimizer = config.optimizer.optimizer();
  }

  /** The driver's copy, current after each {@link #run}. */
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

  /** The non-finite steps skipped (training.skip_nonfinite), in order. */
  public List<Long> skippedSteps() {
    return List.copyOf(skipped);
  }

  /** Whether training.skip_nonfinite allows one more skip. */
  protected boolean maySkip() {
    return skipped.size() < config.skipNonFinite;
  }

  /**
   * A non-finite step: skipped while training.skip_nonfinite allows (the model, its running statistics and the
   * optimizer state stay as they were; the step counter, and with it the schedule and the next batch, moves on),
   * else the run stops with it. The caller has the model at the state before the step.
   */
  protected void skipOrStop(NonFiniteStep e) {
    if (!maySkip()) {
      throw skipped.isEmpty() && config.skipNonFinite == 0 ? e : e.afterSkipping(skipped, config.skipNonFinite);
    }
    skipped.add(e.step);
    optimizer.setSteps(e.step);
    System.err.printf(java.util.Locale.ROOT, "sparkcnn: warning: %s; skipped (%d of training.skip_nonfinite: %d)%n",
        e.what, skipped.size(), config.skipNonFinite);
  }

  /**
   * Trains until {@code until} optimizer steps have been taken, telling onStep about every step (every round,
   * for local SGD) as it completes, on the calling thread. description names the work in the Spark UI.
   */
  public abstract void run(long until, String description, Consumer<StepReport> onStep);

  /** How it synchronizes, for the run's first line: "collective, 2 ranks", "broadcast", "local SGD every 4". */
  public abstract String describe();

  /** Releases what the trainer holds in Spark (broadcasts, executor replicas, sockets). */
  public abstract void close();

  public static DataParallelTrainer create(JavaSparkContext sc, JavaRDD<SampleBlock> data, TrainConfig config) {
    return switch (config.sync) {
      case COLLECTIVE -> CollectiveTrainer.start(sc, data, config);
      case BROADCAST, LOCAL -> new BroadcastTrainer(sc, data, config);
    };
  }
}
