package sparkcnn.driver.bench;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.SparkSetup;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.train.DataParallelTrainer;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.models.zoo.ModelSpec;

/**
 * End-to-end training throughput through the real Spark path (local mode, generated data): one partition on one
 * core, then P partitions on P cores, in the same run. Reports images per second, the share of step wall time
 * that is not forward / backward compute (scheduling, broadcast, aggregation, optimizer), and the speedup.
 */
public final class TrainBench {
  private final ModelSpec spec;
  private final int batch;
  private final int microBatch;
  private final int partitions;
  private final double seconds;
  private final TrainConfig.Sync sync;
  private final int syncEvery;
  private final PrintStream progress;

  /** syncEvery: K for sync LOCAL (ignored otherwise). */
  public TrainBench(ModelSpec spec, int batch, int microBatch, int partitions, double seconds,
      TrainConfig.Sync sync, int syncEvery, PrintStream progress) {
    this.spec = spec;
    this.sync = sync;
    this.syncEvery = sync == TrainConfig.Sync.LOCAL ? syncEvery : 1;
    this.batch = batch;
    this.microBatch = microBatch;
    this.partitions = partitions;
    this.seconds = seconds;
    this.progress = progress;
  }

  /** One measured configuration. */
  public record Phase(int partitions, double imagesPerSecond, double overheadFraction, double stepSeconds,
      double computeSeconds, int steps, double broadcastSeconds, double jobSeconds, double applySeconds, double slowestTaskSeconds) {}

  public Map<String, Object> run() {
    Phase one = measure(1, false);
    Phase many = measure(partitions, false);
    // The same steps with forward and backward skipped: what Spark and the driver cost per step on their own.
    Phase empty = sync != TrainConfig.Sync.LOCAL ? measure(partitions, true) : null;
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("model", spec.name());
    r.put("input", spec.input());
    r.put("batch", batch);
    r.put("micro_batch", microBatch);
    r.put("partitions", partitions);
    r.put("sync", sync.name().toLowerCase(Locale.ROOT));
    r.put("sync_every", syncEvery);
    r.put("images_per_second", many.imagesPerSecond());
    r.put("overhead_fraction", many.overheadFraction());
    r.put("speedup_" + partitions + "_vs_1", many.imagesPerSecond() / one.imagesPerSecond());
    r.put("step_seconds", many.stepSeconds());
    r.put("compute_seconds", many.computeSeconds());
    if (empty != null) {
      r.put("empty_step_seconds", empty.stepSeconds());
      r.put("empty_step_fraction", empty.stepSeconds() / many.stepSeconds());
    }
    r.put("one_partition", phase(one));
    r.put(partitions + "_partitions", phase(many));
    if (empty != null) {
      r.put("empty_steps", phase(empty));
    }
    return r;
  }

  private static Map<String, Object> phase(Phase p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("partitions", p.partitions());
    m.put("images_per_second", p.imagesPerSecond());
    m.put("overhead_fraction", p.overheadFraction());
    m.put("step_seconds", p.stepSeconds());
    m.put("compute_seconds", p.computeSeconds());
    m.put("steps", p.steps());
    m.put("broadcast_seconds", p.broadcastSeconds());
    m.put("job_seconds", p.jobSeconds());
    m.put("apply_seconds", p.applySeconds());
    m.put("slowest_task_seconds", p.slowestTaskSeconds());
    return m;
  }

  /**
   * p partitions on a local[p] context; warm-up steps first, then steps until the time budget is spent. With
   * skipCompute the partitions return zero gradients at once (see TrainConfig.skipCompute).
   */
  private Phase measure(int p, boolean skipCompute) {
    progress.printf(Locale.ROOT, "bench train: %s batch %d on %d partition(s) / %d core(s)%s ...%n", spec.name(),
        batch, p, p, skipCompute ? ", forward and backward skipped" : "");
    JavaSparkContext sc = SparkSetup.local("local[" + p + "]", "sparkcnn-bench-train");
    sc.setLogLevel("WARN");
    try {
      JavaRDD<SampleBlock> data = Datasets.generated(sc, Math.max(4 * batch, 512), spec.channels(), spec.height(),
          spec.width(), spec.classes(), p, 1);
      TrainConfig cfg = new TrainConfig();
      cfg.model = spec;
      cfg.globalBatch = batch;
      cfg.microBatch = microBatch;
      cfg.normalization = new Normalization(new float[] {0.5f}, new float[] {0.25f});
      cfg.optimizer.name = "sgd";
      cfg.optimizer.lr = 0.01f;
      cfg.totalSteps = 1_000_000;
      cfg.sync = sync;
      cfg.syncEvery = syncEvery;
      cfg.skipCompute = skipCompute;
      DataParallelTrainer t = DataParallelTrainer.create(sc, data, cfg);
      try {
        long[] warmWall = {0};
        t.run(5, "warm-up", r -> warmWall[0] += r.wallNanos());
        // From the steps' own clocks (a collective warm-up also pays its session's launch once).
        double warmStep = warmWall[0] / 1e9 / 5;
        // empty steps are short: a quarter of the budget is plenty
        double budget = skipCompute ? seconds / 4 : seconds;
        long steps = Math.max(10, (long) Math.ceil(budget / Math.max(warmStep, 1e-4)));
        long[] sums = new long[5]; // step walls, compute per task, broadcast, job, apply
        long[] slowest = {0};
        long t0 = System.nanoTime();
        t.run(5 + steps, "bench", r -> {
          sums[0] += r.wallNanos();
          sums[1] += r.computeNanos() / r.tasks();
          sums[2] += r.broadcastNanos();
          sums[3] += r.jobNanos();
          sums[4] += r.applyNanos();
          slowest[0] += r.slowestTaskNanos();
        });
        long wall = System.nanoTime() - t0;
        // Figures per optimizer step over the whole timed run, from the driver's clock: for the collective
        // trainer that includes launching the session and the rendezvous, which no step report contains.
        double stepSeconds = wall / 1e9 / steps;
        double computeSeconds = sums[1] / 1e9 / steps;
        double job = sync == TrainConfig.Sync.COLLECTIVE ? (wall - sums[0]) / 1e9 / steps : sums[3] / 1e9 / steps;
        return new Phase(p, batch / stepSeconds, 1 - computeSeconds / stepSeconds, stepSeconds, computeSeconds,
            (int) steps, sums[2] / 1e9 / steps, job, sums[4] / 1e9 / steps, slowest[0] / 1e9 / steps);
      } finally {
        t.close();
      }
    } finally {
      sc.stop();
    }
  }
}
