package sparkcnn.driver.train;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import scala.Function1;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import sparkcnn.driver.data.SampleBlock;

/**
 * The default mode (training.sync: collective), as XGBoost4J-Spark and TorchDistributor use Spark, with BigDL's
 * sharding: a session of K steps is ONE barrier stage with one task (rank) per task slot; the ranks average
 * gradients among themselves through a ring all-reduce and each updates its 1/N shard of the parameters and
 * optimizer state ({@link CollectiveRank}). The driver only broadcasts the starting snapshot, relays the rendezvous and
 * per-step reports (through {@link DriverChannel}) and, at the end, takes the parameters from rank 0 and the optimizer
 * shards from everyone.
 *
 * The stage ends in a shuffle (repartition(1)), so it is a shuffle-map stage: when a task fails, or an executor is
 * lost, Spark reruns the whole stage from the same snapshot (a failed barrier result stage would abort the job
 * instead). When Spark gives up, the driver reruns the session itself, at most training.session_retries times.
 * Either way the steps replay bit-identically.
 */
public final class CollectiveTrainer extends DataParallelTrainer {
  private final int ranks;
  private final JavaRDD<List<ExecutorGroups.Member>> rankData;
  private DriverChannel progress;

  private CollectiveTrainer(JavaSparkContext sc, JavaRDD<SampleBlock> data, TrainConfig config, int ranks) {
    super(sc, config, ShardPlan.of(data, config));
    this.ranks = ranks;
    this.rankData = byRank(data, ranks);
  }

  /** The slots are checked (and on a cluster waited for) before anything runs on the data. */
  static CollectiveTrainer start(JavaSparkContext sc, JavaRDD<SampleBlock> data, TrainConfig config) {
    int partitions = data.getNumPartitions();
    int ranks = ClusterSlots.ranks(sc, config.ranks, partitions, config.peerTimeoutSeconds);
    if (partitions % ranks != 0) {
      System.err.printf(java.util.Locale.ROOT, "sparkcnn: warning: %d partitions on %d ranks: some ranks train %d "
          + "partitions, others %d, and every step waits for the busiest (set data.partitions to a multiple of "
          + "%d)%n", partitions, ranks, partitions / ranks + 1, partitions / ranks, ranks);
    }
    return new CollectiveTrainer(sc, data, config, ranks);
  }

  /**
   * The cached partitions grouped into one list per rank (rank r takes a contiguous run of partitions). With as
   * many partitions as ranks the grouping is narrow; otherwise the blocks are shuffled once into rank order and
   * cached again (a barrier stage cannot coalesce).
   */
  private static JavaRDD<List<ExecutorGroups.Member>> byRank(JavaRDD<SampleBlock> data, int ranks) {
    int partitions = data.getNumPartitions();
    if (partitions == ranks) {
      return data.mapPartitionsWithIndex((p, it) -> {
        List<ExecutorGroups.Member> members = new ArrayList<>();
        it.forEachRemaining(b -> members.add(new ExecutorGroups.Member(p, b)));
        return List.of(members).iterator();
      }, true);
    }
    JavaRDD<List<ExecutorGroups.Member>> grouped = data.mapPartitionsWithIndex((p, it) -> {
      List<Tuple2<Integer, SampleBlock>> out = new ArrayList<>();
      it.forEachRemaining(b -> out.add(new Tuple2<>(p, b)));
      return out.iterator();
    }, true).mapToPair(t -> t).partitionBy(new RankPartitioner(partitions, ranks)).mapPartitions(it -> {
      List<ExecutorGroups.Member> members = new ArrayList<>();
      it.forEachRemaining(t -> members.add(new ExecutorGroups.Member(t._1(), t._2())));
      members.sort(Comparator.comparingInt(ExecutorGroups.Member::partition));
      return List.of(members).iterator();
    }, true);
    grouped.persist(StorageLevel.MEMORY_ONLY());
    return grouped;
  }

  /** Partition p of P goes to rank p * R / P. */
  private static final class RankPartitioner extends Partitioner {
    private final int partitions;
    private final int ranks;

    RankPartitioner(int partitions, int ranks) {
      this.partitions = partitions;
      this.ranks = ranks;
    }

    @Override
    public int numPartitions() {
      return ranks;
    }

    @Override
    public int getPartition(Object key) {
      return (int) ((long) (Integer) key * ranks / partitions);
    }
  }

  @Override
  public void run(long until, String description, Consumer<StepReport> onStep) {
    long[] reported = {optimizer.steps()};
    Consumer<StepReport> once = r -> {
      if (r.step() > reported[0]) { // a rerun session replays the steps already reported
        reported[0] = r.step();
        onStep.accept(r);
      }
    };
    while (optimizer.steps() < until) {
      long from = optimizer.steps();
      NonFiniteStep bad = retried(from, until, description, once);
      if (bad == null) {
        return;
      }
      // The session ended at the bad step with the driver's model at its start. Skipping it (within
      // training.skip_nonfinite) replays the good steps before it, bit for bit, then moves the counter past it.
      if (!maySkip()) {
        skipOrStop(bad); // stops: the model stays at the session's start
      }
      if (bad.step - 1 > from && retried(from, bad.step - 1, description, once) != null) {
        throw new IllegalStateException("collective: steps " + (from + 1) + "-" + (bad.step - 1) + " were finite, "
            + "then not when replayed");
      }
      skipOrStop(bad);
    }
  }

  /** Sessions from..until, rerun when they fail; the non-finite step that ended one early, or null. */
  private NonFiniteStep retried(long from, long until, String description, Consumer<StepReport> once) {
    if (from >= until) {
      return null;
    }
    for (int attempt = 0; ; attempt++) {
      try {
        List<RankResult> results = session(from, until, description, once);
        return finish(results, until, once);
      } catch (ExecutionException e) {
        String why = rootMessage(e);
        String outOfMemory = OutOfMemoryAdvice.in(e);
        if (outOfMemory != null) {
          throw new IllegalStateException(outOfMemory, e);
        }
        if (attempt >= config.sessionRetries) {
          throw new IllegalStateException(String.format(Locale.ROOT, "collective session (steps %d-%d, %d ranks) "
              + "failed %d time(s) (training.session_retries: %d); last error: %s", from + 1, until, ranks,
              attempt + 1, config.sessionRetries, why), e);
        }
        System.err.printf(Locale.ROOT, "sparkcnn: collective session (steps %d-%d) failed: %s; rerunning it from "
            + "step %d (retry %d of %d)%n", from + 1, until, why, from, attempt + 1, config.sessionRetries);
      }
    }
  }

  private List<RankResult> session(long from, long until, String description, Consumer<StepReport> onStep)
      throws ExecutionException {
    if (progress == null) {
      try {
        String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
        progress = new DriverChannel(sc.getConf().get("spark.driver.bindAddress", host), host);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the collective sessions' socket on the driver", e);
      }
    }
    try {
      progress.forgetPending();
    } catch (IOException e) {
      // closing sockets of attempts that are over anyway
    }
    Broadcast<Snapshot> bc = sc.broadcast(new Snapshot(from, model.params(), model.state(), optimizer.state()));
    TrainConfig cfg = config;
    ShardPlan p = plan;
    String address = progress.address();
    sc.setJobDescription(String.format(Locale.ROOT, "%s: collective session, steps %d-%d on %d ranks", description,
        from + 1, until, ranks));
    Function1<scala.collection.Iterator<List<ExecutorGroups.Member>>, scala.collection.Iterator<RankResult>> task =
        (Function1<scala.collection.Iterator<List<ExecutorGroups.Member>>, scala.collection.Iterator<RankResult>>
            & Serializable) it -> {
          List<ExecutorGroups.Member> members = it.hasNext() ? it.next() : List.of();
          RankResult r;
          try {
            r = CollectiveRank.run(members, bc.value(), cfg, p, until, address);
          } catch (IOException e) { // Spark shows the message; the peer is named in it
            throw new UncheckedIOException(e.getMessage(), e);
          }
          return CollectionConverters.asScala(List.of(r).iterator());
        };
    ClassTag<RankResult> tag = ClassTag$.MODULE$.apply(RankResult.class);
    JavaRDD<RankResult> stage = JavaRDD.fromRDD(rankData.rdd().barrier().mapPartitions(task, false, tag), tag);
    OutOfMemoryWatch watch = OutOfMemoryWatch.start(sc.sc());
    JavaFutureAction<List<RankResult>> job = null;
    try {
      job = stage.repartition(1).collectAsync();
      while (!job.isDone()) {
        // A short poll: the job's end is only noticed here, and every millisecond of it is overhead.
        StepReport r = progress.poll(5);
        if (r != null) {
          onStep.accept(r);
        }
      }
      try {
        return job.get();
      } catch (ExecutionException e) {
        // The watch cancelled the job at its first task out of heap (the same micro-batch would run out again).
        String advice = watch.adviceAfterFailure();
        if (advice != null) { // not chained: the text is all there is to say, and Spark's stage trace is noise
          throw new IllegalStateException(advice);
        }
        throw e;
      }
    } catch (InterruptedException e) {
      if (job != null) {
        job.cancel(true);
      }
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while training", e);
    } finally {
      watch.close();
      bc.destroy();
    }
  }

  /** Takes the session's results into the driver's model, or returns the non-finite step that ended it early. */
  private NonFiniteStep finish(List<RankResult> results, long until, Consumer<StepReport> onStep) {
    List<RankResult> byRank = new ArrayList<>(results);
    byRank.sort(Comparator.comparingInt(r -> r.rank));
    if (byRank.size() != ranks) {
      throw new IllegalStateException("collective session: " + byRank.size() + " rank results for " + ranks + " ranks");
    }
    RankResult first = byRank.get(0);
    // Reports still in flight on the channel, then any it did not carry.
    StepReport r;
    try {
      while ((r = progress.poll(0)) != null) {
        onStep.accept(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (double[] a : first.reports) {
      onStep.accept(StepReports.decode(a));
    }
    if (first.badStep >= 0) {
      // The steps before it stand in the reports; the model stays at the session's start (nothing non-finite is kept).
      return new NonFiniteStep(first.badStep, config.stepsPerEpoch, first.badLoss, first.badParameter, model);
    }
    model.load(first.params, first.state);
    float[][] state = CollectiveRank.assembleOptimizerState(byRank, model.frozenParams(), model.paramCount(),
        model.state().length, config.bucketFloats);
    if (state != null) {
      optimizer.setState(state);
    }
    optimizer.setSteps(until);
    return null;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    String best = e.getMessage();
    while (t != null) {
      if (t.getMessage() != null) {
        best = t.getMessage();
      }
      t = t.getCause();
    }
    return best == null ? e.getClass().getSimpleName() : best;
  }

  @Override
  public String describe() {
    return "collective, " + ranks + " ranks";
  }

  @Override
  public void close() {
    if (progress != null) {
      try {
        progress.close();
      } catch (IOException e) {
        // nothing left to report
      }
      progress = null;
    }
    if (rankData.getStorageLevel() != StorageLevel.NONE()) {
      rankData.unpersist(false);
    }
    Replica.forget(config.runId);
  }
}
