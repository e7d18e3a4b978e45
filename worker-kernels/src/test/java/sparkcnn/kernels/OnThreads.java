package sparkcnn.kernels;

import java.util.function.IntConsumer;

/** Runs a test's body once for each thread count of the kernel pool, and gives the pool its count back after. */
final class OnThreads {
  private OnThreads() {}

  /** body(t) with the pool at t threads, for each t of counts in turn. */
  static void each(IntConsumer body, int... counts) {
    int threads = Parallel.threads();
    try {
      for (int t : counts) {
        Parallel.setThreads(t);
        body.accept(t);
      }
    } finally {
      Parallel.setThreads(threads);
    }
  }
}
