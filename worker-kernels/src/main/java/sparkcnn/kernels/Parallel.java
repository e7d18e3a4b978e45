package sparkcnn.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;

/**
 * Intra-op parallelism: one small fork-join pool sized to the cores this process may use (or to
 * {@code -Dsparkcnn.threads=N}, which a Spark executor sets to its task's cores). Never more threads
 * than that. A parallel region entered from inside the pool runs inline, so a kernel that is already
 * parallel over images can call GEMM without oversubscribing.
 */
public final class Parallel {
  private static volatile ForkJoinPool pool = newPool(defaultThreads());
  /** Regions in flight hold it shared; a resize takes it exclusively (fair: a waiting resize is not starved). */
  private static final ReentrantReadWriteLock RESIZE = new ReentrantReadWriteLock(true);
  /** Nonzero while this (non-pool) thread runs a chunk of a region inline. */
  private static final ThreadLocal<int[]> INLINE_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private Parallel() {}

  private static int defaultThreads() {
    String prop = System.getProperty("sparkcnn.threads");
    if (prop != null) {
      try {
        int n = Integer.parseInt(prop.trim());
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
      throw new IllegalArgumentException("-Dsparkcnn.threads: expected a positive integer, got '" + prop + "'");
    }
    return Runtime.getRuntime().availableProcessors();
  }

  private static ForkJoinPool newPool(int threads) {
    ForkJoinPool.ForkJoinWorkerThreadFactory factory = p -> {
      ForkJoinWorkerThread t = new KernelThread(p);
      t.setName("sparkcnn-kernel-" + t.getPoolIndex());
      t.setDaemon(true);
      return t;
    };
    return new ForkJoinPool(threads, factory, null, false);
  }

  /** Threads a parallel region uses. */
  public static int threads() {
    return pool.getParallelism();
  }

  /**
   * Resizes the pool (e.g. to the cores a Spark task was given). Concurrent tasks in one executor may resize it
   * while others run regions on it (concurrent sweep trials, training next to evaluation): the swap waits for
   * the regions in flight, which would otherwise see their work cancelled by the old pool's shutdown.
   */
  public static void setThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: expected a positive integer, got " + threads);
    }
    if (threads == threads()) {
      return;
    }
    RESIZE.writeLock().lock();
    try {
      if (threads != threads()) {
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
      }
    } finally {
      RESIZE.writeLock().unlock();
    }
  }

  /** True inside a parallel region (on a pool thread, or on the caller running its share): nesting runs inline. */
  public static boolean inWorker() {
    return Thread.currentThread() instanceof KernelThread || INLINE_DEPTH.get()[0] > 0;
  }

  /**
   * Runs body.accept(t) for t in [0, tasks), in parallel when there is more than one thread. The calling thread
   * runs task 0 itself while the pool runs the rest: it starts at once instead of waiting for a parked worker
   * to wake, which matters for sub-millisecond regions.
   */
  public static void forEach(int tasks, IntConsumer body) {
    if (tasks <= 1 || threads() == 1 || inWorker()) {
      for (int t = 0; t < tasks; t++) {
        body.accept(t);
      }
      return;
    }
    RESIZE.readLock().lock();
    try {
      Region rest = new Region(body, tasks, Thread.currentThread());
      pool.execute(rest);
      int[] depth = INLINE_DEPTH.get();
      depth[0]++;
      Throwable first = null;
      try {
        body.accept(0);
      } catch (Throwable e) {
        first = e;
      } finally {
        depth[0]--;
      }
      // The pool's share is waited for whatever task 0 did; a failure of both keeps task 0's, the other attached.
      Throwable pools = rest.await();
      if (first == null) {
        first = pools;
      } else if (pools != null && pools != first) {
        first.addSuppressed(pools);
      }
      if (first != null) {
        rethrow(first);
      }
    } finally {
      RESIZE.readLock().unlock();
    }
  }

  /**
   * How long a pool thread that has finished its share of a region keeps looking for the next region before it
   * parks. Waking a parked thread took 26-39 us (median) here, and a network at batch 1 enters hundreds of regions
   * of 50-300 us each, so the pool thread joined each late: two threads ran single layers 1.0-1.3x one thread.
   * OpenMP runtimes spin far longer (KMP_BLOCKTIME, 200 ms by default). The lingering thread yields between polls,
   * so a thread that wants the core (another task's, a spare worker's) gets it.
   */
  private static final long LINGER_NANOS = Long.getLong("sparkcnn.linger.micros", 200) * 1000L;

  /**
   * Tasks [1, tasks) of a region on the pool, then the linger: the caller waits on done (not on the fork-join
   * task, which ends only after the linger), and the first failure is rethrown to it.
   */
  private static final class Region extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient IntConsumer body;
    private final int tasks;
    private final transient Thread caller;
    private volatile boolean done;
    private volatile Throwable failure;

    Region(IntConsumer body, int tasks, Thread caller) {
      this.body = body;
      this.tasks = tasks;
      this.caller = caller;
    }

    @Override
    protected void compute() {
      runShare();
      if (Thread.currentThread() instanceof KernelThread t && !t.lingering) {
        t.lingering = true;
        try {
          linger();
        } finally {
          t.lingering = false;
        }
      }
    }

    private void runShare() {
      try {
        new Split(body, 1, tasks).invoke();
      } catch (Throwable e) {
        failure = e;
      } finally {
        done = true;
        LockSupport.unpark(caller);
      }
    }

    /**
     * Runs the pool's next tasks as they come (another region's forked pieces, stolen, or the next region
     * submitted), until none has come for LINGER_NANOS.
     */
    private static void linger() {
      long until = System.nanoTime() + LINGER_NANOS;
      while (System.nanoTime() < until) {
        ForkJoinTask<?> next = pollTask();
        if (next == null) {
          next = pollSubmission();
        }
        if (next == null) {
          Thread.yield();
          continue;
        }
        next.quietlyInvoke();
        until = System.nanoTime() + LINGER_NANOS;
      }
    }

    /**
     * Waits for the pool's share (a short spin, then parked until runShare unparks it); its failure, or null. An
     * interrupt does not end the wait (park would return at once for ever after): it is kept and restored.
     */
    Throwable await() {
      long spinUntil = System.nanoTime() + 20_000L;
      boolean interrupted = false;
      while (!done) {
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
          interrupted |= Thread.interrupted();
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return failure;
    }
  }

  /** Throws e as it is where unchecked (a body cannot throw anything else), else wrapped. */
  private static void rethrow(Throwable e) {
    if (e instanceof RuntimeException r) {
      throw r;
    }
    if (e instanceof Error err) {
      throw err;
    }
    throw new IllegalStateException(e);
  }

  /** A body over a contiguous range [lo, hi) that is chunk number {@code chunk} of {@code chunks}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int lo, int hi, int chunk);
  }

  /** Splits [0, n) into at most {@link #threads()} contiguous chunks of near-equal size. */
  public static void forRange(int n, RangeBody body) {
    int chunks = chunks(n);
    forEach(chunks, t -> body.run((int) ((long) n * t / chunks), (int) ((long) n * (t + 1) / chunks), t));
  }

  /** How many chunks {@link #forRange} cuts n items into from the current thread. */
  public static int chunks(int n) {
    return inWorker() ? Math.min(1, n) : Math.max(1, Math.min(n, threads()));
  }

  private static final class KernelThread extends ForkJoinWorkerThread {
    /** True while this thread lingers after a region (the regions it then runs do not linger again). */
    boolean lingering;

    KernelThread(ForkJoinPool pool) {
      super(pool);
    }
  }

  private static final class Split extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient IntConsumer body;
    private final int lo;
    private final int hi;

    Split(IntConsumer body, int lo, int hi) {
      this.body = body;
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        body.accept(lo);
        return;
      }
      int mid = (lo + hi) >>> 1;
      // Not invokeAll: when one half fails it returns at once, while the other, stolen, may still be writing. The
      // region ends only when both have.
      Split right = new Split(body, mid, hi);
      right.fork();
      Throwable failure = null;
      try {
        new Split(body, lo, mid).invoke();
      } catch (Throwable e) {
        failure = e;
      }
      right.quietlyJoin();
      if (failure == null) {
        failure = right.getException();
      }
      if (failure != null) {
        rethrow(failure);
      }
    }
  }
}
