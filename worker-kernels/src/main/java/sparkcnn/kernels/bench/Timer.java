package sparkcnn.kernels.bench;

import java.util.Arrays;

/** Times a piece of work: warm-up until the JIT has settled, then the median of several timed runs. */
final class Timer {
  private Timer() {}

  /** Median seconds per run of {@code work}, after at least {@code warmupSeconds} of warm-up. */
  static double median(Runnable work, double warmupSeconds, int runs) {
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
    return t[runs / 2];
  }

  /** One timed run (for slow baselines), after one warm-up run of {@code warmup}. */
  static double once(Runnable warmup, Runnable work) {
    warmup.run();
    long t0 = System.nanoTime();
    work.run();
    return (System.nanoTime() - t0) * 1e-9;
  }
}
