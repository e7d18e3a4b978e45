package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

  /**
   * Regions back to back, as a network at batch 1 enters them (the pool thread lingers between them and takes the
   * next one from its queue), from two callers at once and with regions nested inside tasks (run inline): every
   * task exactly once, on two and three threads. A failure in the pool's share reaches the caller as itself, and
   * the pool runs the next region.
   */
  @Test
  @Timeout(120)
  void backToBackRegionsRunEveryTaskOnceAndPassFailuresToTheCaller() throws Exception {
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {2, 3}) {
        Parallel.setThreads(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> callers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
          Thread t = new Thread(() -> {
            try {
              for (int region = 0; region < 2000; region++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(5 * 3);
                Parallel.forEach(5, i -> Parallel.forEach(3, j -> runs.incrementAndGet(i * 3 + j)));
                for (int i = 0; i < runs.length(); i++) {
                  assertEquals(1, runs.get(i), "region " + region + ", task " + i);
                }
              }
            } catch (Throwable e) {
              failure.compareAndSet(null, e);
            }
          });
          callers.add(t);
          t.start();
        }
        for (Thread t : callers) {
          t.join(60_000);
          assertFalse(t.isAlive(), "a caller still waits on its region");
        }
        if (failure.get() != null) {
          throw new AssertionError(threads + " threads", failure.get());
        }
        IllegalArgumentException thrown = new IllegalArgumentException("task 1 failed");
        IllegalArgumentException caught = assertThrows(IllegalArgumentException.class, () -> Parallel.forEach(2,
            i -> {
              if (i == 1) {
                throw thrown;
              }
            }));
        assertSame(thrown, caught);
        AtomicIntegerArray after = new AtomicIntegerArray(2);
        Parallel.forEach(2, after::incrementAndGet);
        assertEquals(1, after.get(1));
        // Both sides failing: the caller's own failure, the pool's attached to it.
        IllegalStateException own = new IllegalStateException("task 0 failed");
        IllegalStateException both = assertThrows(IllegalStateException.class, () -> Parallel.forEach(2, i -> {
          throw i == 0 ? own : thrown;
        }));
        assertSame(own, both);
        assertSame(thrown, both.getSuppressed()[0]);
        if (threads == 3) {
          // A failing piece does not end the region while another piece still runs (task 2 on a third thread).
          AtomicIntegerArray finished = new AtomicIntegerArray(4);
          assertThrows(IllegalArgumentException.class, () -> Parallel.forEach(4, i -> {
            if (i == 1) {
              throw thrown;
            }
            long until = System.nanoTime() + (i == 0 ? 0 : 20_000_000L);
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
            finished.incrementAndGet(i);
          }));
          assertEquals(1, finished.get(2));
          assertEquals(1, finished.get(3));
        }
        // An interrupted caller still waits for the pool's share (which takes a few ms), and stays interrupted.
        AtomicIntegerArray late = new AtomicIntegerArray(2);
        Thread.currentThread().interrupt();
        Parallel.forEach(2, i -> {
          if (i == 1) {
            long until = System.nanoTime() + 5_000_000L;
            while (System.nanoTime() < until) {
              Thread.onSpinWait();
            }
          }
          late.incrementAndGet(i);
        });
        assertTrue(Thread.interrupted(), "the interrupt is kept");
        assertEquals(1, late.get(1));
      }
    } finally {
      Parallel.setThreads(before);
    }
  }
}
