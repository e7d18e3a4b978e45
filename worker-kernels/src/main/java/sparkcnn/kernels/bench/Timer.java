package sparkcnn.kernels.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a piece of work: warm-up until the JIT has settled, then several timed runs, of which the fastest is the
 * figure (as for the peak and the bandwidths: on a shared machine interference only slows a run down, so the
 * fastest run is the closest to what the kernel does alone) and the median is kept beside it.
 *
 * <p>Settled means a minimum warm-up, then two windows in a row in which no compilation finished and no run beat the
 * fastest run before it by 2% (up to {@link #MAX_WARMUP_SECONDS}): the JIT reports a compilation only once it has
 * finished, so one still under way looks quiet for a while, and the runs' times say whether anything still changes.
 * Why: a fixed 0.4 s was not always enough. The 5x5 stride-2 depthwise forward's C2 compilation finished about half
 * a second after its first call (its JIT-profiling version ran at 0.4 GFLOP/s before), and the bench reported 18
 * GFLOP/s for a kernel that runs at 25-30 once compiled.
 */
final class Timer {
  /** The longest warm-up while the JIT keeps compiling (other threads' compilations count too). */
  static final double MAX_WARMUP_SECONDS = 4.0;

  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private Timer() {}

  /** Seconds per run: the fastest and the median of the timed runs. */
  record Timing(double best, double median) {}

  /**
   * Times {@code runs} runs of {@code work} after at least {@code warmupSeconds} (and two runs) of warm-up, and then
   * until the JIT and the runs' times have settled (windows of 3/8 of that).
   */
  static Timing time(Runnable work, double warmupSeconds, int runs) {
    long start = System.nanoTime();
    long warmEnd = start + (long) (warmupSeconds * 1e9);
    long cap = start + (long) (MAX_WARMUP_SECONDS * 1e9);
    int warm = 0;
    long fastestBefore = Long.MAX_VALUE;
    while (warm < 2 || System.nanoTime() < warmEnd) {
      long t0 = System.nanoTime();
      work.run();
      fastestBefore = Math.min(fastestBefore, System.nanoTime() - t0);
      warm++;
    }
    long window = (long) (warmupSeconds * 0.375e9);
    long compiled = compileMillis();
    int quiet = 0;
    while (quiet < 2 && System.nanoTime() < cap) {
      long windowEnd = System.nanoTime() + window;
      long fastest = Long.MAX_VALUE;
      do {
        long t0 = System.nanoTime();
        work.run();
        fastest = Math.min(fastest, System.nanoTime() - t0);
      } while (System.nanoTime() < windowEnd);
      long now = compileMillis();
      quiet = now == compiled && fastest >= 0.98 * fastestBefore ? quiet + 1 : 0;
      compiled = now;
      fastestBefore = Math.min(fastestBefore, fastest);
    }
    double[] t = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      work.run();
      t[i] = (System.nanoTime() - t0) * 1e-9;
    }
    Arrays.sort(t);
    return new Timing(t[0], t[runs / 2]);
  }

  /** The JIT's total time in finished compilations so far, or -1 where the JVM does not report it. */
  private static long compileMillis() {
    return JIT != null && JIT.isCompilationTimeMonitoringSupported() ? JIT.getTotalCompilationTime() : -1;
  }

  /** One timed run (for slow baselines), after one warm-up run of {@code warmup}. */
  static double once(Runnable warmup, Runnable work) {
    warmup.run();
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) * 1e-9;
  }
}
