package sparkcnn.kernels.bench;

import java.util.Arrays;

/**
 * Times a piece of work: warm-up until the JIT has settled, then several timed runs, of which the fastest is the
 * figure (as for the peak and the bandwidths: on a shared machine interference only slows a run down, so the
 * fastest run is the closest to what the kernel does alone) and the median is kept beside it.
 */
final class Timer {
  private Timer() {}

  /** Seconds per run: the fastest and the median of the timed runs. */
  record Timing(double best, double median) {}

  /** Times {@code runs} runs of {@code work} after at least {@code warmupSeconds} (and two runs) of warm-up. */
  static Timing time(Runnable work, double warmupSeconds, int runs) {
    long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    int warm = 0;
    while (warm < 2 || System.nanoTime() < warmEnd) {
      work.run();
      warm++;
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

  /** One timed run (for slow baselines), after one warm-up run of {@code warmup}. */
  static double once(Runnable warmup, Runnable work) {
    warmup.run();
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) * 1e-9;
  }
}
