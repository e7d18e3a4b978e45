package sparkcnn.driver.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.kernels.Parallel;

/**
 * A training step runs one task per executor, not one per partition: each task takes the cached partitions that
 * live on its executor and trains them side by side, one thread per partition (BigDL's executors work the same
 * way). Partitions keep their numbers, shards and replicas, so the arithmetic is unchanged; what changes is that
 * an executor sums its partitions' gradients in memory, and the driver receives, deserializes and adds one
 * gradient-sized result per executor instead of one per partition (13 MB each for tf_convnet; on a cluster of
 * 8-core executors that is 8 times less for the driver to take in every step).
 *
 * Spark counts such a task as one core while it keeps a thread per partition busy: other jobs running at the same
 * time in the same application (concurrent sweep trials) share the cores with it rather than wait for them.
 */
final class ExecutorGroups {
  /** A cached partition's samples with the partition's number (built inside the task, never serialized). */
  record Member(int partition, SampleBlock block) {}

  private ExecutorGroups() {}

  /** The executors now registered (1 in local mode, where the driver runs the tasks). */
  static int executors(JavaSparkContext sc) {
    return sc.isLocal() ? 1 : Math.max(1, sc.sc().statusTracker().getExecutorInfos().length - 1);
  }

  /**
   * The partitions grouped into at most `groups` tasks. Coalescing without a shuffle follows the cached blocks'
   * locations, so a group is the partitions one executor holds; a block elsewhere is fetched, which is slower but
   * gives the same result.
   */
  static JavaRDD<List<Member>> of(JavaRDD<SampleBlock> data, int groups) {
    return data.mapPartitionsWithIndex((p, it) -> {
      List<Member> members = new ArrayList<>();
      it.forEachRemaining(b -> members.add(new Member(p, b)));
      return members.iterator();
    }, true).coalesce(Math.min(groups, data.getNumPartitions())).glom();
  }

  /**
   * Runs work on every member at once, one kernel thread each (a lone partition gets all the task's cores), and
   * sums the results in partition order so every run adds in the same order.
   */
  static <T extends Summable<T>> T train(List<Member> members, int cpus, Function<Member, T> work) {
    List<Member> ordered = new ArrayList<>(members);
    ordered.sort(Comparator.comparingInt(Member::partition));
    int n = ordered.size();
    Parallel.setThreads(Math.max(n, cpus));
    List<T> parts = new ArrayList<>(java.util.Collections.nCopies(n, null));
    Parallel.forEach(n, i -> parts.set(i, work.apply(ordered.get(i))));
    T sum = parts.get(0);
    for (int i = 1; i < n; i++) {
      sum = sum.plus(parts.get(i));
    }
    return sum;
  }
}
