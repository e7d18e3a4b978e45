package sparkcnn.jobs;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;

/**
 * A Spark listener for tests (spark.extraListeners): each job's scheduler pool, job group and start and end
 * times, to check that a sweep's trials ran in their own pools and at the same time.
 */
public final class PoolRecorder extends SparkListener {
  /** One job as the scheduler saw it. */
  record Job(int id, String pool, String group, long start, long[] end) {}

  static final List<Job> JOBS = new CopyOnWriteArrayList<>();
  private static final Map<Integer, Job> OPEN = new ConcurrentHashMap<>();

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    Job j = new Job(e.jobId(), e.properties().getProperty("spark.scheduler.pool"),
        e.properties().getProperty("spark.jobGroup.id"), e.time(), new long[] {Long.MAX_VALUE});
    JOBS.add(j);
    OPEN.put(e.jobId(), j);
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    Job j = OPEN.remove(e.jobId());
    if (j != null) {
      j.end()[0] = e.time();
    }
  }
}
