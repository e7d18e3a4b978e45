package sparkcnn.driver.train;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * How many ranks a collective session gets, checked before any barrier stage is launched: Spark would otherwise
 * fail it late (too few slots after minutes of retries) or at once with an internal message (dynamic
 * allocation). A rank is one task of spark.task.cpus cores. On a cluster it waits for the executors the
 * application asked for (spark.cores.max, or spark.executor.instances x spark.executor.cores) instead of starting
 * with whoever registered first.
 */
final class ClusterSlots {
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");

  private ClusterSlots() {}

  /** Problems with the configuration itself, or null. */
  static String configurationProblem(SparkConf conf) {
    if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      return "training.sync collective: spark.dynamicAllocation.enabled is true, but a barrier stage needs a fixed "
          + "set of executors; turn dynamic allocation off for this application or use training.sync: broadcast";
    }
    return null;
  }

  /** Task slots of a local master (local, local[N], local[*], local[N,F]), or -1 if the master is not local. */
  static int localSlots(String master, int taskCpus) {
    Matcher m = LOCAL.matcher(master);
    if (!m.matches()) {
      return -1;
    }
    int threads = m.group(1) == null ? 1 : m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors()
        : Integer.parseInt(m.group(1));
    return Math.max(1, threads / taskCpus);
  }

  /**
   * The ranks for a run: requested (0: one per slot), at most one per data partition; waits up to waitSeconds
   * for a cluster's expected slots. Fails with one line naming what is short.
   */
  static int ranks(JavaSparkContext sc, int requested, int partitions, double waitSeconds) {
    SparkConf conf = sc.getConf();
    String problem = configurationProblem(conf);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (requested > partitions) {
      throw new IllegalArgumentException("training.ranks " + requested + " is more than the " + partitions
          + " data partitions: every rank needs at least one (raise data.partitions)");
    }
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    int slots = localSlots(sc.master(), taskCpus);
    if (slots < 0) {
      int expected = requested > 0 ? requested : expectedSlots(conf, taskCpus);
      long deadline = System.nanoTime() + (long) (waitSeconds * 1e9);
      slots = clusterSlots(taskCpus);
      while (slots < Math.max(1, expected) && System.nanoTime() < deadline) {
        sleep();
        slots = clusterSlots(taskCpus);
      }
      if (slots < Math.max(1, expected)) {
        throw new IllegalStateException(String.format(Locale.ROOT, "training.sync collective: %d rank(s) need %d "
            + "task slots of %d core(s), but after waiting %.0f s the cluster has %d (executors and their cores, "
            + "as Spark's listener bus reported them to ExecutorSlots: %s); add executors, lower training.ranks, "
            + "or use training.sync: broadcast", Math.max(1, expected),
            Math.max(1, expected), taskCpus, waitSeconds, slots, ExecutorSlots.executors()));
      }
    }
    if (requested > slots) {
      throw new IllegalStateException("training.ranks " + requested + ": the cluster has only " + slots
          + " task slot(s) of " + taskCpus + " core(s); a barrier stage runs all its ranks at once");
    }
    return requested > 0 ? requested : Math.min(slots, partitions);
  }

  /** What the application asked for, or 0 when it did not say (then: whoever has registered). */
  private static int expectedSlots(SparkConf conf, int taskCpus) {
    if (conf.contains("spark.cores.max")) {
      return conf.getInt("spark.cores.max", 0) / taskCpus;
    }
    if (conf.contains("spark.executor.instances")) {
      return conf.getInt("spark.executor.instances", 0) * conf.getInt("spark.executor.cores", 1) / taskCpus;
    }
    return 0;
  }

  private static int clusterSlots(int taskCpus) {
    int slots = 0;
    for (Map.Entry<String, Integer> e : ExecutorSlots.executors().entrySet()) {
      slots += e.getValue() / taskCpus;
    }
    return slots;
  }

  private static void sleep() {
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for executors", e);
    }
  }
}
