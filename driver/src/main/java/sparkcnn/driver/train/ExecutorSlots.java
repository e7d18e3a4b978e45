package sparkcnn.driver.train;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * The cores of every registered executor, as Spark's listener bus reports them (Spark's public API has no other
 * way to ask how many task slots a cluster has). Installed through spark.extraListeners by SparkSetup, so it
 * sees the executors that register before the first job too.
 */
public final class ExecutorSlots extends SparkListener {
  private static final Map<String, Integer> CORES = new ConcurrentHashMap<>();

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded e) {
    CORES.put(e.executorId(), e.executorInfo().totalCores());
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
    CORES.remove(e.executorId());
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd e) {
    CORES.clear();
  }

  /** Executors now registered (not counting the driver) and their cores. */
  static Map<String, Integer> executors() {
    Map<String, Integer> m = new java.util.TreeMap<>(CORES);
    m.remove("driver");
    return m;
  }
}
