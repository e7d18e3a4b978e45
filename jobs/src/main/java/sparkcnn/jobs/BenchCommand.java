package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import sparkcnn.driver.bench.AllReduceBench;
import sparkcnn.driver.bench.ScoreBench;
import sparkcnn.driver.bench.TrainBench;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.bench.KernelBench;
import sparkcnn.jobs.sweep.InferenceCost;
import sparkcnn.models.Json;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/** {@code bench [kernels]}: measured kernel throughput against this machine's own FMA peak. */
final class BenchCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn bench [kernels] [--json] [--quick] [--threads N]
             bin/sparkcnn bench train --model NAME [--batch B] [--micro-batch M] [--partitions P]
                                      [--input CxHxW] [--classes N] [--seconds S]
                                      [--sync collective|broadcast|local] [--sync-every K] [--json]
             bin/sparkcnn bench score --model NAME [--batch B] [--partitions P] [--seconds S] [--json]
             bin/sparkcnn bench allreduce [--max-ranks N] [--max-mb M] [--bucket-mb B] [--json]

      Measures the compute core on this machine, every figure timed in this run:
        cpu_model             the CPU's model name (/proc/cpuinfo), which every figure below depends on
        cpu_id                its vendor, family, model and stepping numbers (a VM's model name may be only
                              the brand, "AMD EPYC" on a Zen 5), or "unknown" (no /proc/cpuinfo, not x86)
        peak_gflops_per_core  FP32 FMA peak of one core (independent FMA chains, same vector width as the kernels)
        gemm                  SGEMM m=n=k in {256, 512, 1024, 2048} on 1 thread and on all threads:
                              {m, n, k, threads, gflops, fraction_of_peak, gflops_median}
        memory                one thread's read, write and copy bandwidth over arrays larger than the
                              last-level cache, an L2-resident copy, and a copy over each kernel entry's
                              working-set size (bytes read + written per second); cache sizes from sysfs
                              (32 KB / 1 MB / 32 MB where it cannot be read):
                              {read_gb_per_second, write_gb_per_second, copy_gb_per_second,
                               cache_copy_gb_per_second, l1_bytes, l2_bytes, last_level_cache_bytes,
                               copy_by_working_set: [{bytes, gb_per_second}]}
        conv                  forward, backward_data and backward_weights of the dense layers
                              (3x3 64->64 56x56 b8, 3x3 128->128 28x28 b8, 3x3 16->16 32x32 b128,
                              3x3 stride 2 16->32 32x32 b128, 3x3 256->256 14x14 b8, 3x3 32->32 16x16 b128,
                              1x1 256->64 56x56 b8, 5x5 32->64 14x14 b128) and the efficient nets' (depthwise
                              3x3 / 5x5 at stride 1 and 2, 1x1 expand and project, small late-stage planes), each
                              with the algorithm the layers run by default (kernel), and on one thread also with
                              the alternatives (baseline: true; depthwise-shifts, depthwise-lanes and
                              depthwise-planes on the small planes, depthwise-rows, depthwise-taps, im2col-gemm,
                              implicit-gemm, winograd or winograd-4x4, whose gflops count the direct
                              convolution's multiply-adds), timed in the same run:
                              {name, pass, kernel, baseline, threads, gflops, fraction_of_peak,
                               intensity_flops_per_byte, bandwidth_gb_per_second, roofline_gflops,
                               fraction_of_roofline, gb_per_second, naive_ratio, gflops_median
                               [, remeasured: true, first_gflops]}
        elementwise           batch norm + relu6 (inference) over 144 channels of 56x56, images enough to pass
                              twice the last-level cache (8 to 64), in one pass, and in two (baseline: true),
                              with the same roofline fields
      gflops is the fastest of seven timed runs after a warm-up (three with --quick), as the peak and the
      bandwidths are the best of theirs; gflops_median the median of the same runs.
      fraction_of_peak is GFLOP/s over (peak of one core x threads); fraction_of_roofline is GFLOP/s over
      min(peak, bandwidth x FLOPs per byte the kernel must touch), the bandwidth being a copy's over a working
      set of the kernel's size (bandwidth_gb_per_second: a cache's where it fits one); naive_ratio is the speed
      over a direct seven-loop convolution of the same layer on one image, timed once in the same run.
      Each default kernel is run again (a warm-up run, then runs for 20 ms or one run) after its layer's other
      entries; if its fastest is 1.5x faster than its figure (as when it was timed before the JIT had compiled
      it), it is timed again, and the new figure, if higher, replaces it, marked remeasured, the first kept as
      first_gflops (* in the text table).

      options:
        --json       print one JSON object on stdout (progress goes to stderr)
        --quick      shorter warm-up and fewer timed runs: faster, noisier
        --threads N  use N threads as "all" (default: the cores this JVM may use, or -Dsparkcnn.threads)
      Takes four to five minutes on 2 cores (two to three with --quick).

      bench train: trains on generated data through the real Spark path (local mode): first 1 partition on 1
      core, then P partitions (default: the cores; at most 256 and the batch) on P cores, each after 5 warm-up
      steps for at least --seconds (default 20). Prints images_per_second, overhead_fraction (share of step wall
      time that is not forward / backward compute: scheduling, broadcast, aggregation, optimizer) and
      speedup_P_vs_1, plus both phases' details. A third, shorter phase runs the same P-partition steps with
      forward and backward skipped (zero gradients of the model's size): empty_step_seconds is what Spark and
      the driver cost per step on their own, empty_step_fraction that over the real step. --batch is the global
      batch (default 256), --micro-batch the per-forward size (default 64). --sync picks the trainer
      (training.sync): collective (the default: one barrier stage for all the timed steps, ring all-reduce
      between the ranks; its job_seconds is the session's launch and rendezvous spread over its steps),
      broadcast (a Spark job per step through the driver) or local (local SGD, --sync-every K local steps per
      averaging, default 4; no empty phase). Figures are per optimizer step.

      bench allreduce: the collective trainer's ring on its own, 2..--max-ranks ranks (default 8) as threads over
      loopback TCP, messages of 1 KB to --max-mb MB (default 64) in steps of 4x, buckets of --bucket-mb (default
      4). Per entry: seconds per all-reduce, algbw (bytes / time), busbw (algbw x 2(n-1)/n, as nccl-tests) and
      busbw over the memory-copy bandwidth (System.arraycopy of 64 MB) measured in the same run.

      bench score: inference through the scoring path (folded model, batches, top-k rows) on generated images in
      memory (two batches a partition), --partitions P (default: the cores; at most 256): after a warm-up (a
      quarter of --seconds, at least four batches a partition), timed passes for at least --seconds (default 10)
      and two passes; a pass is at least the two batches, so for a slow model lower --batch. Prints
      images_per_second. Decoding files is not included. --batch defaults to 256. Then latency_ms_batch1: the
      median time of one image through the same path on the driver (latency_threads cores), after a warm-up,
      over up to 5 seconds.
      """;

  @Override
  public String summary() {
    return "measure kernel throughput against this CPU's FMA peak (--json for a report)";
  }

  @Override
  public int run(Args args, PrintStream out) {
    if (args.flag("--help") || args.flag("-h")) {
      out.print(HELP);
      return 0;
    }
    String what = args.choice("kernels", "train", "score", "allreduce");
    if ("allreduce".equals(what)) {
      return allreduce(args, out);
    }
    if ("train".equals(what)) {
      return train(args, out);
    }
    if ("score".equals(what)) {
      return score(args, out);
    }
    boolean json = args.flag("--json");
    boolean quick = args.flag("--quick");
    int threads = args.positiveInt("--threads", Parallel.threads());
    args.done("kernels, --json, --quick, --threads N, --help");
    Parallel.setThreads(threads);
    Map<String, Object> report = new KernelBench(quick, System.err).run();
    out.print(json ? Json.write(report) + "\n" : KernelBench.table(report));
    return 0;
  }

  /**
   * The benches run P partitions on a local[P] context: P task threads in this JVM. A million of them ran the JVM
   * out of native threads after a minute; past a few hundred they only measure the scheduler.
   */
  private static final int MAX_LOCAL_PARTITIONS = 256;

  /** --partitions (default: the cores, as many as allowed), at most {@code most}; why says what else bounds it. */
  private static int localPartitions(Args args, String command, int most, String why) {
    boolean given = args.has("--partitions");
    int p = args.positiveInt("--partitions", Math.min(most, Runtime.getRuntime().availableProcessors()));
    if (given && p > most) {
      throw new UsageException(command + ": --partitions: at most " + most + " (each partition is a task thread of"
          + " this JVM, local[P]" + why + "), got " + p);
    }
    return p;
  }

  private int score(Args args, PrintStream out) {
    boolean json = args.flag("--json");
    int batch = args.positiveInt("--batch", 256);
    int partitions = localPartitions(args, "sparkcnn bench score", MAX_LOCAL_PARTITIONS, "");
    int seconds = args.positiveInt("--seconds", 10);
    ModelSpec spec = SummaryCommand.modelSpec(args, "sparkcnn bench score");
    args.done("--model, --batch, --partitions, --input, --classes, --phi, --width, --depth, --resolution, "
        + "--seconds, --json, --help");
    int driverThreads = Parallel.threads();
    Map<String, Object> report;
    try {
      report = new ScoreBench(spec, batch, partitions, seconds, System.err).run();
    } finally {
      // The local-mode tasks set the JVM's shared kernel pool to their own cores.
      Parallel.setThreads(driverThreads);
    }
    // Latency: one image at a time through the same scoring path, on the driver, all its cores.
    System.err.printf(java.util.Locale.ROOT, "bench score: %s batch-1 latency on the driver ...%n", spec.name());
    Model m = Zoo.build(spec).init(1);
    Map<String, Object> latency = InferenceCost.measure(new ScoringModels.Member(spec, m.params(), m.state(),
        new Normalization(new float[] {0.5f}, new float[] {0.25f})), Math.min(seconds, 5), 1);
    report.put("latency_ms_batch1", latency.get("latency_ms_batch1"));
    report.put("latency_threads", latency.get("threads"));
    print(report, json, out);
    return 0;
  }

  private int allreduce(Args args, PrintStream out) {
    boolean json = args.flag("--json");
    int ranks = args.positiveInt("--max-ranks", 8);
    int maxMb = args.positiveInt("--max-mb", 64);
    int bucketMb = args.positiveInt("--bucket-mb", 4);
    args.done("--max-ranks, --max-mb, --bucket-mb, --json, --help");
    if (ranks < 2) {
      throw new UsageException("sparkcnn bench allreduce: --max-ranks: expected at least 2, got " + ranks);
    }
    Map<String, Object> report;
    try {
      report = new AllReduceBench(ranks, (long) maxMb << 20, bucketMb << 18, System.err).run();
    } catch (Exception e) {
      throw new IllegalStateException("bench allreduce: " + e.getMessage(), e);
    }
    if (json) {
      out.println(Json.write(report));
    } else {
      out.printf("memory copy %.2f GB/s (System.arraycopy, 64 MB)%n", (Double) report.get("copy_gb_per_second"));
      out.printf("%-9s %5s %12s %12s %12s %12s %8s%n", "transport", "ranks", "bytes", "ms", "algbw GB/s", "busbw GB/s",
          "/copy");
      for (Object o : (List<?>) report.get("entries")) {
        Map<?, ?> e = (Map<?, ?>) o;
        out.printf("%-9s %5d %12d %12.3f %12.3f %12.3f %8.3f%n", e.get("transport"), e.get("ranks"), e.get("bytes"),
            (Double) e.get("seconds") * 1e3, e.get("algbw_gb_per_second"), e.get("busbw_gb_per_second"),
            e.get("busbw_over_copy"));
      }
    }
    return 0;
  }

  private static void print(Map<String, Object> report, boolean json, PrintStream out) {
    if (json) {
      out.println(Json.write(report));
    } else {
      report.forEach((k, v) -> out.printf("%-22s %s%n", k, v instanceof Double d ? String.format("%.4g", d) : v));
    }
  }

  private int train(Args args, PrintStream out) {
    boolean json = args.flag("--json");
    int batch = args.positiveInt("--batch", 256);
    int micro = args.positiveInt("--micro-batch", 64);
    int partitions = localPartitions(args, "sparkcnn bench train", Math.min(MAX_LOCAL_PARTITIONS, batch),
        batch < MAX_LOCAL_PARTITIONS ? ", and each takes at least one image of --batch " + batch : "");
    int seconds = args.positiveInt("--seconds", 20);
    int syncEvery = args.positiveInt("--sync-every", 1);
    String given = args.option("--sync");
    String sync = given != null ? given : syncEvery > 1 ? "local" : "collective";
    if (!List.of("collective", "broadcast", "local").contains(sync)) {
      throw new UsageException("sparkcnn bench train: --sync: expected collective, broadcast or local, got '" + sync
          + "'");
    }
    if (sync.equals("local") && syncEvery == 1) {
      syncEvery = 4;
    }
    ModelSpec spec = SummaryCommand.modelSpec(args, "sparkcnn bench train");
    args.done("--model, --batch, --micro-batch, --partitions, --input, --classes, --phi, --width, --depth, "
        + "--resolution, --seconds, --sync, --sync-every, --json, --help");
    print(new TrainBench(spec, batch, micro, partitions, seconds, TrainConfig.Sync.parse(sync), syncEvery,
        System.err).run(), json, out);
    return 0;
  }
}
