package sparkcnn.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelBenchTest {
  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Work that was slow when it was timed (as a kernel still in the JIT's profiling code) and is fast now. */
  @Test
  void aKernelFasterNowThanItsFigureIsTimedAgain() {
    assertTrue(KernelBench.runsFaster(() -> { }, 0.05));
    int[] calls = {0};
    // Slow for the two runs of the figure's time and for the second look's warm-up run, then fast.
    Runnable compiledLate = () -> sleep(calls[0]++ < 3 ? 40 : 0);
    compiledLate.run();
    compiledLate.run();
    assertTrue(KernelBench.runsFaster(compiledLate, 0.04));
    // Twice as fast as its figure (sleep may overrun, never run short).
    assertTrue(KernelBench.runsFaster(() -> sleep(20), 0.08));
  }

  /** Work as fast as its figure (every run sleeps as long) is not timed again, however the machine is loaded. */
  @Test
  void aKernelAsFastAsItsFigureIsNot() {
    assertFalse(KernelBench.runsFaster(() -> sleep(20), 0.020));
    // Slower than its figure (a busy moment) is not faster either, nor 1.2x faster: under the threshold.
    assertFalse(KernelBench.runsFaster(() -> sleep(30), 0.020));
    assertFalse(KernelBench.runsFaster(() -> sleep(25), 0.030));
  }
}
