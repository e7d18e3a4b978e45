package sparkcnn.driver.train;

import java.util.Arrays;
import java.util.Locale;

/**
 * A training task's heap exhaustion, turned into an error that says what to change. Left alone, the
 * OutOfMemoryError reaches Spark's uncaught-exception handler, which kills the executor's JVM (in local mode the
 * whole application, exit code 52) with a stack trace and no hint. Caught where a micro-batch's forward and
 * backward run, it becomes an ordinary task failure that the driver reports. Only heap exhaustion is translated
 * ("Java heap space", "GC overhead limit exceeded"): other kinds (native threads, metaspace, an array past the
 * VM's limit, which usually means a shape bug) are rethrown as they are.
 */
public final class OutOfMemoryAdvice {
  /** How the advice begins, so the driver can find it in a failure's text (Spark passes the text, not the type). */
  private static final String MARK = "out of memory at step ";

  private OutOfMemoryAdvice() {}

  /** Whether e is the heap running out, which a smaller micro-batch or a larger heap cures. */
  public static boolean isHeap(OutOfMemoryError e) {
    String m = e.getMessage();
    return m == null || m.contains("Java heap space") || m.contains("GC overhead limit exceeded");
  }

  /**
   * The advice line in a task failure's text, or null. Running out of heap on one micro-batch is not transient
   * in itself: the same micro-batch on the same heap fails again, so the driver reports it instead of rerunning
   * the session. A task that ran out of heap outside the step (Spark serializing a task's result: seen with
   * `mobilenet_v2` at 3x224x224 on two local partitions, broadcast, 4 GB, whose only message was "Java heap
   * space") gets advice too, {@link #OUTSIDE}.
   */
  static String in(String failure) {
    int at = failure == null ? -1 : failure.indexOf(MARK);
    if (at >= 0) {
      return failure.substring(at).lines().findFirst().orElse("");
    }
    if (failure != null && failure.contains("java.lang.OutOfMemoryError")
        && (failure.contains("Java heap space") || failure.contains("GC overhead limit exceeded"))) {
      return OUTSIDE;
    }
    return null;
  }

  /** The advice for a task that ran out of heap outside a micro-batch's forward and backward. */
  static final String OUTSIDE = "out of memory in a Spark task, outside the training step "
      + "(java.lang.OutOfMemoryError: Java heap space): give executors more memory (spark.executor.memory; in local "
      + "mode the partitions share the driver's: SPARKCNN_HEAP for bin/sparkcnn, default 4g), or lower "
      + "training.micro_batch (bench train: --micro-batch) or the number of partitions";

  /** The advice line anywhere in a failure's chain of causes, or null. */
  static String in(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String advice = in(t.getMessage());
      if (advice != null) {
        return advice;
      }
    }
    return null;
  }

  /**
   * The error for a step (counted from 0; reported from 1, as progress does) whose micro-batches (of the given
   * sizes, images of the given shape, or null if unknown) ran out of heap.
   */
  static IllegalStateException forStep(OutOfMemoryError e, long step, int[] microBatches, int[] imageShape) {
    int largest = Arrays.stream(microBatches).max().orElse(0);
    String shape = imageShape == null ? "" : " of " + String.join("x", Arrays.stream(imageShape)
        .mapToObj(Integer::toString).toArray(String[]::new));
    // Not chained to e: Spark looks down a task failure's causes (spark.executor.killOnFatalError.depth) and
    // kills the JVM when it finds an OutOfMemoryError there.
    return new IllegalStateException(String.format(Locale.ROOT,
        MARK + "%d: a micro-batch of %d images%s did not fit in this JVM's heap (%.1f GiB; %s): lower "
            + "training.micro_batch (bench train: --micro-batch), or give executors more memory "
            + "(spark.executor.memory; in local mode the driver's: SPARKCNN_HEAP for bin/sparkcnn, default 4g)",
        step + 1, largest, shape, Runtime.getRuntime().maxMemory() / (double) (1L << 30),
        e.getMessage() == null ? "OutOfMemoryError" : e.getMessage()));
  }
}
