package sparkcnn.driver.train;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.BarrierTaskContext;
import sparkcnn.driver.collective.ReadyMark;
import sparkcnn.driver.collective.Ring;
import sparkcnn.driver.collective.RingLayout;
import sparkcnn.driver.collective.SplitVector;
import sparkcnn.kernels.Parallel;
import sparkcnn.models.Model;
import sparkcnn.models.Objective;
import sparkcnn.models.Step;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.Schedule;

/**
 * One rank of a collective session: a barrier task that trains steps [start, until) with its peers and no driver.
 * Rendezvous once (host:port through the driver, see {@link DriverChannel}), then every step: the first half on
 * its partitions' shards while the ring reduce-scatters gradients and batch statistics bucket by bucket as
 * backward fills them; as soon as a bucket is reduced, the second half on THIS rank's chunk of it (its
 * parameters, their optimizer state, its part of the batch-norm state) and the ring all-gather of the updated
 * chunk, so that only the lowest bucket's reduce, update and gather follow the end of backward (as ZeRO / FSDP
 * overlap them). With gradient clipping the update waits for the global norm instead: reduce-scatter overlapped,
 * then one small exchange, then update and all-gather. A last small exchange gives every rank the step's loss,
 * counts and timings.
 */
final class CollectiveRank {
  private final TrainConfig cfg;
  private final ShardPlan plan;
  private final int rank;
  private final List<ExecutorGroups.Member> members;
  private final Replica[] replicas;
  private final Model model;
  private final RingLayout layout;
  private final SplitVector reduced;
  private final SplitVector gathered;
  private final Schedule schedule;
  /** This rank's chunk of each bucket, in the ring's order (highest offsets first). */
  private final List<BucketShard> shards = new ArrayList<>();
  /** Training forwards per step over all ranks: what the running statistics are averaged over. */
  private final long forwardsPerStep;
  /** This step's lowest non-finite gradient index in this rank's chunks (Integer.MAX_VALUE: none). */
  private volatile int badThisStep = Integer.MAX_VALUE;
  /** Set when a step was not finite: the session ends there, that step unapplied. */
  private RankResult stopped;

  /** This rank's chunk of one bucket: parameters with an optimizer of their own (elementwise: same result), state. */
  private final class BucketShard {
    final RingLayout.Range bucket;
    final RingLayout.Shard params;
    final RingLayout.Shard state;
    final float[] p;
    final float[] g;
    final boolean[] decay;
    final float[] rates;
    final float[] s;
    final float[] stats;
    final Optimizer optimizer;

    BucketShard(RingLayout.Range bucket) {
      this.bucket = bucket;
      RingLayout.Range c = layout.chunk(bucket, rank);
      int np = model.paramCount();
      this.params = slice(c.lo(), Math.min(c.hi(), np), 0);
      this.state = slice(Math.max(c.lo(), np), c.hi(), np);
      this.p = new float[params.size()];
      this.g = new float[params.size()];
      this.decay = params.gather(model.decayMask());
      this.rates = model.rates() == null ? null : params.gather(model.rates(), new float[params.size()]);
      this.s = new float[state.size()];
      this.stats = new float[state.size()];
      this.optimizer = cfg.optimizer.optimizer();
    }

    /** How many leading elements of a contiguous shard lie before index frozen (a frozen backbone's). */
    private int frozenPart(RingLayout.Shard shard, int frozen) {
      return shard.size() == 0 ? 0
          : Math.max(0, Math.min(shard.size(), frozen - shard.ranges().get(0).lo()));
    }

    private RingLayout.Shard slice(int lo, int hi, int base) {
      return lo < hi ? new RingLayout.Shard(List.of(new RingLayout.Range(lo - base, hi - base)), hi - lo)
          : new RingLayout.Shard(List.of(), 0);
    }

    double squaredNorm() {
      return GradClip.squaredNorm(params.gather(model.grads(), g));
    }

    /** The lowest parameter index of this chunk whose reduced gradient is not finite, or -1. */
    int firstNonFinite() {
      int i = Step.firstNonFinite(params.gather(model.grads(), g));
      return i < 0 ? -1 : params.ranges().get(0).lo() + i;
    }

    /** The second half on this chunk, in place in the model's buffers. */
    void apply(double gradSquaredNorm) {
      params.gather(model.params(), p);
      params.gather(model.grads(), g);
      state.gather(model.state(), s);
      state.gather(model.batchStatistics(), stats);
      Step.apply(new Step.Slice(p, g, decay, rates, frozenPart(params, model.frozenParams()), s, stats,
          frozenPart(state, model.frozenState())), forwardsPerStep, gradSquaredNorm, optimizer, schedule,
          cfg.clipNorm, Objective.NONE);
      params.scatter(p, model.params());
      state.scatter(s, model.state());
    }
  }

  /** members sorted by partition, replicas theirs (claimed by the caller). */
  private CollectiveRank(TrainConfig cfg, ShardPlan plan, int rank, int ranks, List<ExecutorGroups.Member> members,
      Replica[] replicas, Snapshot start) {
    this.cfg = cfg;
    this.plan = plan;
    this.rank = rank;
    this.members = members;
    this.replicas = replicas;
    for (Replica r : replicas) {
      r.model().load(start.params, start.state);
    }
    this.model = replicas[0].model();
    this.reduced = new SplitVector(model.grads(), model.batchStatistics());
    this.gathered = new SplitVector(model.params(), model.state());
    // A frozen backbone's gradients are zero and its parameters fixed: they stay out of the ring.
    this.layout = new RingLayout(model.frozenParams(), reduced.length(), cfg.bucketFloats, ranks);
    this.schedule = cfg.optimizer.schedule(cfg.totalSteps);
    long forwards = 0;
    for (int q = 0; q < plan.partitions(); q++) {
      forwards += plan.microBatches(q).length;
    }
    this.forwardsPerStep = cfg.skipCompute ? 0 : forwards;
    for (RingLayout.Range b : layout.buckets()) {
      BucketShard shard = new BucketShard(b);
      shard.optimizer.setSteps(start.step);
      if (start.optimizerState != null) {
        float[][] st = new float[start.optimizerState.length][];
        for (int k = 0; k < st.length; k++) {
          st[k] = start.optimizerState[k] == null ? null
              : shard.params.gather(start.optimizerState[k], new float[shard.params.size()]);
        }
        shard.optimizer.setState(st);
      }
      shards.add(shard);
    }
  }

  /** The barrier task: returns this rank's result (see RankResult). */
  static RankResult run(List<ExecutorGroups.Member> members, Snapshot start, TrainConfig cfg, ShardPlan plan,
      long until, String driverAddress) throws IOException {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    int rank = ctx.partitionId();
    int ranks = ctx.getTaskInfos().length;
    if (members.isEmpty()) {
      throw new IllegalStateException("rank " + rank + " of " + ranks + " has no training partition");
    }
    // The task's cores only: the pool is shared by every rank of this executor, and kernels that reduce in
    // per-thread partial buffers give bits that depend on its size.
    Parallel.setThreads(ctx.cpus());
    List<ExecutorGroups.Member> sorted = new ArrayList<>(members);
    sorted.sort(Comparator.comparingInt(ExecutorGroups.Member::partition));
    Replica[] replicas = new Replica[sorted.size()];
    String who = "rank " + rank;
    int claimed = 0;
    try {
      for (; claimed < replicas.length; claimed++) {
        replicas[claimed] = Replica.of(cfg, sorted.get(claimed).partition());
        replicas[claimed].claim(ctx::isInterrupted, cfg.peerTimeoutSeconds, who);
      }
      String host = hostOf(ctx.getTaskInfos()[rank].address());
      try (ServerSocketChannel server = ServerSocketChannel.open()) {
        server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), ranks);
        String session = ctx.stageId() + "." + ctx.stageAttemptNumber();
        try (DriverChannel.Rank driver = new DriverChannel.Rank(driverAddress, session, rank, ranks,
            Ring.address(host, server.socket().getLocalPort()), cfg.peerTimeoutSeconds, ctx::isInterrupted)) {
          CollectiveRank me = new CollectiveRank(cfg, plan, rank, ranks, sorted, replicas, start);
          try (Ring ring = Ring.connect(rank, driver.addresses(), server, cfg.peerTimeoutSeconds,
              ctx::isInterrupted)) {
            return me.train(ring, ctx, start.step, until, rank == 0 ? driver : null);
          }
        }
      }
    } finally {
      for (int i = 0; i < claimed; i++) {
        replicas[i].release();
      }
    }
  }

  private static String hostOf(String address) {
    int colon = address == null ? -1 : address.lastIndexOf(':');
    return colon > 0 ? address.substring(0, colon) : address == null || address.isEmpty() ? "127.0.0.1" : address;
  }

  private RankResult train(Ring ring, BarrierTaskContext ctx, long from, long until, DriverChannel.Rank progress)
      throws IOException {
    List<double[]> reports = new ArrayList<>();
    ExecutorService comm = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sparkcnn-ring-" + rank);
      t.setDaemon(true);
      return t;
    });
    ReadyMark ready = new ReadyMark();
    try {
      for (long step = from; step < until; step++) {
        ctx.killTaskIfInterrupted(); // a ring of in-JVM links never waits long enough to notice a kill itself
        if (cfg.injectFailureAtStep == step && rank == 0 && ctx.stageAttemptNumber() < cfg.injectFailureAttempts) {
          throw new IllegalStateException("injected failure at step " + step + " (test)");
        }
        StepReport r = step(ring, comm, ready, step);
        if (r == null) {
          break; // not finite: every rank saw the same totals and stops here
        }
        if (rank == 0) {
          reports.add(StepReports.encode(r));
          if (progress != null) {
            progress.send(r);
          }
        }
      }
    } finally {
      comm.shutdownNow(); // interrupts a ring thread still waiting on a peer or on backward
      try {
        comm.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    RankResult out = stopped != null ? stopped : new RankResult();
    out.rank = rank;
    if (rank == 0) {
      out.params = model.params().clone();
      out.state = model.state().clone();
      out.reports = reports.toArray(new double[0][]);
    }
    out.optimizerShard = optimizerShard();
    return out;
  }

  /** The buckets' optimizer states joined in ascending offset order: this rank's shard, as the layout orders it. */
  private float[][] optimizerShard() {
    List<BucketShard> ascending = new ArrayList<>(shards);
    ascending.sort(Comparator.comparingInt(b -> b.bucket.lo()));
    float[][] first = ascending.get(0).optimizer.state();
    if (first == null) {
      return null;
    }
    float[][] out = new float[first.length][];
    int size = 0;
    for (BucketShard b : ascending) {
      size += b.params.size();
    }
    for (int k = 0; k < out.length; k++) {
      if (first[k] == null) {
        continue;
      }
      out[k] = new float[size];
      int at = 0;
      for (BucketShard b : ascending) {
        System.arraycopy(b.optimizer.state()[k], 0, out[k], at, b.params.size());
        at += b.params.size();
      }
    }
    return out;
  }

  private StepReport step(Ring ring, ExecutorService comm, ReadyMark ready, long step) throws IOException {
    long t0 = System.nanoTime();
    boolean updateEachBucket = cfg.clipNorm == 0; // clipping needs the global norm before any update
    badThisStep = Integer.MAX_VALUE;
    Objective.Totals totals;
    long compute; // forward and backward only: the ring's share of the step is what the step costs beyond it
    if (cfg.skipCompute) {
      model.zeroGrad(); // benchmarks: the ring and the optimizer on zero gradients, nothing computed
      model.clearBatchStatistics();
      int n = 0;
      for (ExecutorGroups.Member m : members) {
        n += plan.shardSize(m.partition());
      }
      totals = new Objective.Totals(0, 0, n);
      compute = System.nanoTime() - t0;
      ringWork(ring, ReadyMark.complete(), updateEachBucket);
    } else if (replicas.length == 1) {
      // The ring runs beside backward: buckets start as soon as the layers above them have finished.
      ready.reset();
      Future<?> work = comm.submit(() -> {
        ringWork(ring, ready, updateEachBucket);
        return null;
      });
      Step.Partial p;
      try {
        p = replicas[0].accumulate(members.get(0).block(), plan, step, members.get(0).partition(), ready::set);
      } catch (RuntimeException | Error e) {
        ready.abort();
        throw e;
      }
      totals = p.totals();
      compute = System.nanoTime() - t0;
      await(work);
    } else {
      Step.Partial[] parts = new Step.Partial[replicas.length];
      Parallel.forEach(replicas.length, i -> parts[i] = replicas[i].accumulate(members.get(i).block(), plan, step,
          members.get(i).partition(), null));
      totals = parts[0].totals();
      for (int i = 1; i < parts.length; i++) { // partition order: the same sum on every run
        Summable.add(model.grads(), parts[i].grads());
        Summable.add(model.batchStatistics(), parts[i].statistics().sums());
        totals = totals.plus(parts[i].totals());
      }
      compute = System.nanoTime() - t0;
      ringWork(ring, ReadyMark.complete(), updateEachBucket);
    }
    double squared = 0;
    if (!updateEachBucket) {
      for (BucketShard b : shards) {
        squared += b.squaredNorm();
      }
    }
    // loss sum, correct, count, squared gradient norm, compute nanos: summed (and the slowest compute) over
    // ranks; and each rank's lowest non-finite gradient index, so that all of them stop at the same step
    double[][] all = ring.allGather(new double[] {totals.lossSum(), totals.correct(), totals.count(), squared,
        compute, badThisStep});
    double[] sum = new double[5];
    long slowest = 0;
    int bad = Integer.MAX_VALUE;
    for (double[] a : all) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] += a[i];
      }
      slowest = Math.max(slowest, (long) a[4]);
      bad = Math.min(bad, (int) a[5]);
    }
    double loss = sum[0] / Math.max(1, sum[2]);
    if (bad != Integer.MAX_VALUE || !Double.isFinite(loss)) {
      stopped = new RankResult();
      stopped.badStep = step + 1;
      stopped.badLoss = loss;
      stopped.badParameter = bad == Integer.MAX_VALUE ? -1 : bad;
      return null;
    }
    if (!updateEachBucket) {
      for (BucketShard b : shards) {
        b.apply(sum[3]);
        ring.allGather(gathered, layout, b.bucket);
      }
    }
    for (int i = 1; i < replicas.length; i++) {
      replicas[i].model().load(model.params(), model.state());
    }
    Objective.Totals global = new Objective.Totals(sum[0], (long) sum[1], (long) sum[2]);
    long wall = System.nanoTime() - t0;
    return new StepReport(step + 1, global.meanLoss(), global.accuracy(), global.count(), schedule.lr(step), wall,
        (long) sum[4], all.length, 0, 0, wall - compute, slowest);
  }

  /** Per bucket, as it becomes ready: reduce-scatter; then (without clipping) update this rank's chunk and gather. */
  private void ringWork(Ring ring, ReadyMark ready, boolean updateEachBucket) throws IOException {
    for (BucketShard b : shards) {
      ring.await(ready, b.bucket);
      ring.reduceScatter(reduced, layout, b.bucket);
      int bad = b.firstNonFinite();
      if (bad >= 0) {
        badThisStep = Math.min(badThisStep, bad); // not applied: the session ends at this step
      }
      if (updateEachBucket) {
        if (bad < 0) {
          b.apply(0);
        }
        ring.allGather(gathered, layout, b.bucket);
      }
    }
  }

  private void await(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("rank " + rank + ": the ring thread failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * The driver's side of the sharding: each rank's optimizer shard put back at its place in full arrays (a frozen
   * backbone's part, which no rank holds, stays zero: the optimizer never touches it).
   */
  static float[][] assembleOptimizerState(List<RankResult> results, int frozenParams, int paramCount, int stateCount,
      int bucketFloats) {
    int ranks = results.size();
    RingLayout layout = new RingLayout(frozenParams, paramCount + stateCount, bucketFloats, ranks);
    float[][] full = null;
    for (RankResult r : results) {
      if (r.optimizerShard == null) {
        continue;
      }
      if (full == null) {
        full = new float[r.optimizerShard.length][];
      }
      for (int k = 0; k < full.length; k++) {
        if (r.optimizerShard[k] == null) {
          continue;
        }
        if (full[k] == null) {
          full[k] = new float[paramCount];
        }
        layout.shard(r.rank, 0, paramCount).scatter(r.optimizerShard[k], full[k]);
      }
    }
    return full;
  }
}
