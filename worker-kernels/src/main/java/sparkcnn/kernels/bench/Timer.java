package sparkcnn.kernels.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a piece of work: warm-up until the JIT has settled, then several timed runs, of which the fastest is the
 * figure (as for the peak and the bandwidths: on a shared machine interference only slows a run down, so the
 * fastest run is the closest to what the kernel does alone) and the median is kept beside it.
 *
 * <p>Settled means a minimum warm-up, then a window of runs in which the JIT compiled nothing (up to {@link
 * #MAX_WARMUP_SECONDS}). Why: a fixed 0.4 s was not always enough. The 5x5 stride-2 depthwise forward's C2
 * compilation finished about half a second after its first call (its JIT-profiling version ran at 0.4 GFLOP/s
 * before), and the bench reported 18 GFLOP/s for a kernel that runs at 25-30 once compiled.
 */
final class Timer {
  /** The longest warm-up while the JIT keeps compiling (other threads' compilations count too). */
  static final double MAX_WARMUP_SECONDS = 4.0;

  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();

  private Timer() {}

  /** Seconds per run: the fastest and the median of the timed runs. */
  record Timing(double best, double median) {}

  /**
   * Times {@code runs} runs of {@code work} after at least {@code warmupSeconds} (and two runs) of warm-up, and
   * then until a window of a quarter of that passes without compilation.
   */
  static Timing time(Runnable work, double warmupSeconds, int runs) {
    long start = System.nanoTime();
    long warmEnd = start + (long) (warmupSeconds * 1e9);
    long cap = start + (long) (MAX_WARMUP_SECONDS * 1e9);
    int warm = 0;
    while (warm < 2 || System.nanoTime() < warmEnd) {
      work.run();
      warm++;
    }
    long window = (long) (warmupSeconds * 0.25e9);
    while (System.nanoTime() < cap) {
      long compiled = compileMillis();
      long windowEnd = System.nanoTime() + window;
      do {
        work.run();
      } while (System.nanoTime() < windowEnd);
      if (compileMillis() == compiled) {
        break;
      }
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

  /** The JIT's total compilation time so far, or -1 where the JVM does not report it (no settling then). */
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
