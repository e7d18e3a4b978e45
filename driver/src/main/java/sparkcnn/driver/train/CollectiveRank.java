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
 * Rendezvous once (host:port through the driver, see {@link DriverChannel}), then every step: the first half on its partitions' shards, the ring
 * reduce-scatter of gradients and batch statistics bucket by bucket as backward fills them, one small exchange of
 * the step's totals (loss, counts, squared gradient norm, timings), the second half on ITS shard of the
 * parameters, state and optimizer state, and the ring all-gather of the updated shards.
 */
final class CollectiveRank {
  /** Per-step totals exchanged between ranks: loss sum, correct, count, forwards, squared norm, compute nanos. */
  private static final int TOTALS = 6;

  private final TrainConfig cfg;
  private final ShardPlan plan;
  private final int rank;
  private final List<ExecutorGroups.Member> members;
  private final Replica[] replicas;
  private final Model model;
  private final RingLayout layout;
  private final RingLayout.Shard paramShard;
  private final RingLayout.Shard stateShard;
  private final SplitVector reduced;
  private final SplitVector gathered;
  private final Optimizer optimizer;
  private final Schedule schedule;
  private final float[] shardParams;
  private final float[] shardGrads;
  private final boolean[] shardDecay;
  private final float[] shardState;
  private final float[] shardStats;

  private CollectiveRank(TrainConfig cfg, ShardPlan plan, int rank, int ranks, List<ExecutorGroups.Member> members,
      Snapshot start) {
    this.cfg = cfg;
    this.plan = plan;
    this.rank = rank;
    this.members = new ArrayList<>(members);
    this.members.sort(Comparator.comparingInt(ExecutorGroups.Member::partition));
    this.replicas = new Replica[this.members.size()];
    for (int i = 0; i < replicas.length; i++) {
      replicas[i] = Replica.of(cfg, this.members.get(i).partition());
      replicas[i].model().load(start.params, start.state);
    }
    this.model = replicas[0].model();
    this.reduced = new SplitVector(model.grads(), model.batchStatistics());
    this.gathered = new SplitVector(model.params(), model.state());
    this.layout = new RingLayout(reduced.length(), cfg.bucketFloats, ranks);
    int p = model.paramCount();
    this.paramShard = layout.shard(rank, 0, p);
    this.stateShard = layout.shard(rank, p, layout.length());
    this.shardParams = new float[paramShard.size()];
    this.shardGrads = new float[paramShard.size()];
    this.shardDecay = paramShard.gather(model.decayMask());
    this.shardState = new float[stateShard.size()];
    this.shardStats = new float[stateShard.size()];
    this.optimizer = cfg.optimizer.optimizer();
    this.schedule = cfg.optimizer.schedule(cfg.totalSteps);
    optimizer.setSteps(start.step);
    if (start.optimizerState != null) {
      float[][] shard = new float[start.optimizerState.length][];
      for (int i = 0; i < shard.length; i++) {
        shard[i] = start.optimizerState[i] == null ? null
            : paramShard.gather(start.optimizerState[i], new float[paramShard.size()]);
      }
      optimizer.setState(shard);
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
    Parallel.setThreads(Math.max(members.size(), ctx.cpus()));
    String host = hostOf(ctx.getTaskInfos()[rank].address());
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), ranks);
      String session = ctx.stageId() + "." + ctx.stageAttemptNumber();
      try (DriverChannel.Rank driver = new DriverChannel.Rank(driverAddress, session, rank, ranks,
          Ring.address(host, server.socket().getLocalPort()), cfg.peerTimeoutSeconds, ctx::isInterrupted)) {
        CollectiveRank me = new CollectiveRank(cfg, plan, rank, ranks, members, start);
        try (Ring ring = Ring.connect(rank, driver.addresses(), server, cfg.peerTimeoutSeconds, ctx::isInterrupted)) {
          return me.train(ring, ctx, start.step, until, rank == 0 ? driver : null);
        }
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
        if (cfg.injectFailureAtStep == step && rank == 0 && ctx.stageAttemptNumber() == 0) {
          throw new IllegalStateException("injected failure at step " + step + " (test)");
        }
        StepReport r = step(ring, comm, ready, step);
        if (rank == 0) {
          reports.add(StepReports.encode(r));
          if (progress != null) {
            progress.send(r);
          }
        }
      }
    } finally {
      comm.shutdownNow();
    }
    RankResult out = new RankResult();
    out.rank = rank;
    if (rank == 0) {
      out.params = model.params().clone();
      out.state = model.state().clone();
      out.reports = reports.toArray(new double[0][]);
    }
    out.optimizerShard = optimizer.state() == null ? null : Replica.copy(optimizer.state());
    return out;
  }

  private StepReport step(Ring ring, ExecutorService comm, ReadyMark ready, long step) throws IOException {
    long t0 = System.nanoTime();
    Objective.Totals totals;
    long forwards;
    if (cfg.skipCompute) {
      model.zeroGrad(); // benchmarks: the ring and the optimizer on zero gradients, nothing computed
      model.clearBatchStatistics();
      int n = 0;
      for (ExecutorGroups.Member m : members) {
        n += plan.shardSize(m.partition());
      }
      totals = new Objective.Totals(0, 0, n);
      forwards = 0;
      ring.reduceScatter(reduced, layout, ReadyMark.complete());
    } else if (replicas.length == 1) {
      // The ring runs beside backward: buckets start as soon as the layers above them have finished.
      ready.reset();
      Future<?> rs = comm.submit(() -> {
        ring.reduceScatter(reduced, layout, ready);
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
      forwards = p.statistics().batches();
      await(rs);
    } else {
      Step.Partial[] parts = new Step.Partial[replicas.length];
      Parallel.forEach(replicas.length, i -> parts[i] = replicas[i].accumulate(members.get(i).block(), plan, step,
          members.get(i).partition(), null));
      totals = parts[0].totals();
      forwards = parts[0].statistics().batches();
      for (int i = 1; i < parts.length; i++) { // partition order: the same sum on every run
        add(model.grads(), parts[i].grads());
        add(model.batchStatistics(), parts[i].statistics().sums());
        totals = totals.plus(parts[i].totals());
        forwards += parts[i].statistics().batches();
      }
      ring.reduceScatter(reduced, layout, ReadyMark.complete());
    }
    long compute = System.nanoTime() - t0;
    paramShard.gather(model.grads(), shardGrads);
    double[][] all = ring.allGather(new double[] {totals.lossSum(), totals.correct(), totals.count(), forwards,
        cfg.clipNorm > 0 ? GradClip.squaredNorm(shardGrads) : 0, compute});
    double[] sum = new double[TOTALS];
    long slowest = 0;
    for (double[] a : all) {
      for (int i = 0; i < TOTALS; i++) {
        sum[i] += a[i];
      }
      slowest = Math.max(slowest, (long) a[5]);
    }
    Objective.Totals global = new Objective.Totals(sum[0], (long) sum[1], (long) sum[2]);
    // The second half on this rank's shard only: its parameters, their optimizer state, its part of the state.
    paramShard.gather(model.params(), shardParams);
    stateShard.gather(model.state(), shardState);
    stateShard.gather(model.batchStatistics(), shardStats);
    Step.apply(new Step.Slice(shardParams, shardGrads, shardDecay, 0, shardState, shardStats), (long) sum[3],
        sum[4], optimizer, schedule, cfg.clipNorm, global);
    paramShard.scatter(shardParams, model.params());
    stateShard.scatter(shardState, model.state());
    ring.allGather(gathered, layout);
    for (int i = 1; i < replicas.length; i++) {
      replicas[i].model().load(model.params(), model.state());
    }
    long wall = System.nanoTime() - t0;
    return new StepReport(step + 1, global.meanLoss(), global.accuracy(), global.count(), schedule.lr(step), wall,
        (long) sum[5], all.length, 0, 0, wall - compute, slowest);
  }

  private static void await(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause().getMessage(), e.getCause());
    }
  }

  private static void add(float[] a, float[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  /** The driver's side of the sharding: each rank's optimizer shard put back at its place in full arrays. */
  static float[][] assembleOptimizerState(List<RankResult> results, int paramCount, int stateCount, int bucketFloats) {
    int ranks = results.size();
    RingLayout layout = new RingLayout(paramCount + stateCount, bucketFloats, ranks);
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
