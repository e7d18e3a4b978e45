package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Concurrent Spark tasks in one executor may resize the kernel pool while others run regions on it (concurrent
 * sweep trials, training next to evaluation): every region still runs each of its tasks exactly once.
 */
class ParallelTest {
  @Test
  void regionsSurviveThePoolBeingResizedUnderThem() throws Exception {
    int before = Parallel.threads();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    long until = System.nanoTime() + 300_000_000L;
    for (int w = 0; w < 3; w++) {
      Thread t = new Thread(() -> {
        try {
          while (System.nanoTime() < until) {
            AtomicIntegerArray runs = new AtomicIntegerArray(7);
            Parallel.forEach(7, i -> runs.incrementAndGet(i));
            for (int i = 0; i < 7; i++) {
              assertEquals(1, runs.get(i), "task " + i);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      workers.add(t);
      t.start();
    }
    int n = 0;
    while (System.nanoTime() < until) {
      Parallel.setThreads(1 + n++ % 3);
    }
    for (Thread t : workers) {
      t.join();
    }
    Parallel.setThreads(before);
    if (failure.get() != null) {
      throw new AssertionError("a region failed while the pool was resized", failure.get());
    }
  }
}
