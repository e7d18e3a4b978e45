package sparkcnn.jobs;

import java.io.PrintStream;
import java.util.Map;
import sparkcnn.kernels.Parallel;
import sparkcnn.kernels.bench.Json;
import sparkcnn.kernels.bench.KernelBench;

/** {@code bench [kernels]}: measured kernel throughput against this machine's own FMA peak. */
final class BenchCommand implements Main.Command {
  static final String HELP = """
      usage: bin/sparkcnn bench [kernels] [--json] [--quick] [--threads N]

      Measures the compute core on this machine, every figure timed in this run:
        peak_gflops_per_core  FP32 FMA peak of one core (independent FMA chains, same vector width as the kernels)
        gemm                  SGEMM m=n=k in {256, 512, 1024, 2048} on 1 thread and on all threads:
                              {m, n, k, threads, gflops, fraction_of_peak}
        conv                  forward, backward_data and backward_weights of 3x3 64->64 56x56 b8,
                              1x1 256->64 56x56 b8, depthwise 3x3 32ch 112x112 b8, 5x5 32->64 14x14 b128:
                              {name, pass, threads, gflops, fraction_of_peak, naive_ratio}
      fraction_of_peak is GFLOP/s over (peak of one core x threads); naive_ratio is the speed over a direct
      seven-loop convolution of the same layer on one image, timed in the same run.

      options:
        --json       print one JSON object on stdout (progress goes to stderr)
        --quick      shorter warm-up and fewer timed runs: faster, noisier
        --threads N  use N threads as "all" (default: the cores this JVM may use, or -Dsparkcnn.threads)
      Takes about a minute on 2 cores.
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
    args.choice("kernels");
    boolean json = args.flag("--json");
    boolean quick = args.flag("--quick");
    int threads = args.positiveInt("--threads", Parallel.threads());
    args.done("kernels, --json, --quick, --threads N, --help");
    Parallel.setThreads(threads);
    Map<String, Object> report = new KernelBench(quick, System.err).run();
    out.print(json ? Json.write(report) + "\n" : KernelBench.table(report));
    return 0;
  }
}
