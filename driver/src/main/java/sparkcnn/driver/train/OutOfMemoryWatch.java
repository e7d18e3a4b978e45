package sparkcnn.driver.train;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Watches the jobs this driver thread submits while open for a task that failed with {@link OutOfMemoryAdvice}'s
 * text, and cancels them when one did. Why: when a barrier stage fails, Spark reruns the whole stage
 * (spark.stage.maxConsecutiveAttempts, 4 by default) and then aborts the job with "barrier task ... finished
 * unsuccessfully" and the last attempt's reason only. A micro-batch too large for the heap fails the same way on
 * every attempt, and each attempt leaves less heap to the next: measured with `mobilenet_v2` at 3x224x224 on two
 * local partitions and a 4 GiB heap, the fourth attempt ran out of heap outside the step, Spark's handler stopped
 * the SparkContext, and the user read "Cannot call methods on a stopped SparkContext" a minute later. A broadcast
 * step's task is retried the same way on a cluster (spark.task.maxFailures, 4 by default). Seen here, the first
 * such failure ends the job at once with the advice.
 */
final class OutOfMemoryWatch extends SparkListener implements AutoCloseable {
  /** The local property that marks this watch's jobs (Spark copies a thread's local properties into its jobs). */
  private static final String PROPERTY = "sparkcnn.outOfMemoryWatch";
  /** How long a failed job waits for its end to reach the listener bus (delivered on the bus's own thread). */
  private static final long SETTLE_MS = 2_000;

  private final SparkContext sc;
  private final String id = UUID.randomUUID().toString();
  private final Set<Object> stages = ConcurrentHashMap.newKeySet();
  private final Set<Integer> jobs = ConcurrentHashMap.newKeySet();
  private volatile String advice;
  /** Set when a watched job's end has been delivered: every task event of the job came before it on the bus. */
  private volatile boolean ended;

  private OutOfMemoryWatch(SparkContext sc) {
    this.sc = sc;
  }

  /** Watches the jobs the calling thread submits until closed (or until another thread {@link #arm}s it). */
  static OutOfMemoryWatch start(SparkContext sc) {
    OutOfMemoryWatch w = new OutOfMemoryWatch(sc);
    sc.addSparkListener(w);
    w.arm();
    return w;
  }

  /**
   * Watches the jobs the calling thread submits from now on, forgetting the jobs before: a trainer that submits a
   * job every step keeps one watch (adding and removing a listener every step could start and stop a listener
   * queue's thread every step).
   */
  void arm() {
    stages.clear();
    jobs.clear();
    advice = null;
    ended = false;
    sc.setLocalProperty(PROPERTY, id);
  }

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    if (e.properties() != null && id.equals(e.properties().getProperty(PROPERTY))) {
      stages.addAll(CollectionConverters.asJava(e.stageIds()));
      jobs.add(e.jobId());
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    if (jobs.contains(e.jobId())) {
      ended = true;
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (advice == null && stages.contains(e.stageId()) && e.reason() instanceof TaskFailedReason f) {
      advice = OutOfMemoryAdvice.in(f.toErrorString());
      if (advice != null) {
        // Ended here, not by the thread that waits on the job (a broadcast step blocks in its action): Spark
        // would retry the task (spark.task.maxFailures) or rerun the barrier stage first, to the same end.
        for (int job : jobs) {
          sc.cancelJob(job, advice);
        }
      }
    }
  }

  /** The advice a watched task failed with, or null. */
  String advice() {
    return advice;
  }

  /** {@link #advice}, once the failed job's end has arrived (or a moment has passed without it). */
  String adviceAfterFailure() throws InterruptedException {
    long end = System.nanoTime() + SETTLE_MS * 1_000_000;
    while (!ended && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    return advice;
  }

  /**
   * Runs a job the calling thread submits (a step's action) under this watch, armed first: if a task of it runs
   * out of heap, the job ends at once and the advice is the error, not Spark's job failure.
   */
  <T> T run(java.util.function.Supplier<T> job) {
    arm();
    try {
      return job.get();
    } catch (Exception e) { // SparkException among them: Scala throws it without declaring it
      String found;
      try {
        found = adviceAfterFailure();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        found = advice;
      }
      if (found != null) { // not chained: Spark's job failure adds nothing to it
        throw new IllegalStateException(found);
      }
      throw e;
    }
  }

  @Override
  public void close() {
    sc.setLocalProperty(PROPERTY, null);
    sc.removeSparkListener(this);
  }
}
