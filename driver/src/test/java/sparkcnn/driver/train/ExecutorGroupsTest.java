package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.SparkTestContext;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.SampleBlock;

/** One task per executor: every partition exactly once with its own block, summed in partition order. */
class ExecutorGroupsTest {
  @Test
  void everyPartitionOnceWithItsOwnBlock() {
    var data = Datasets.generated(SparkTestContext.get(), 50, 1, 4, 4, 3, 5, 1);
    List<Integer> sizes = data.map(SampleBlock::size).collect();
    for (int groups : new int[] {1, 2, 5, 9}) {
      // Each task reports (partition, block size) pairs.
      List<int[]> tasks = ExecutorGroups.of(data, groups).map(ms -> {
        int[] r = new int[2 * ms.size()];
        for (int i = 0; i < ms.size(); i++) {
          r[2 * i] = ms.get(i).partition();
          r[2 * i + 1] = ms.get(i).block().size();
        }
        return r;
      }).collect();
      assertEquals(Math.min(groups, 5), tasks.size(), "tasks for " + groups + " groups");
      List<Integer> partitions = new ArrayList<>();
      for (int[] t : tasks) {
        for (int i = 0; i < t.length; i += 2) {
          partitions.add(t[i]);
          assertEquals(sizes.get(t[i]), t[i + 1], "block of partition " + t[i]);
        }
      }
      Collections.sort(partitions);
      assertEquals(List.of(0, 1, 2, 3, 4), partitions, groups + " groups");
    }
    assertEquals(1, ExecutorGroups.executors(SparkTestContext.get()), "local mode: the driver is the one executor");
  }

  @Test
  void runsEachMemberOnceAndSumsInPartitionOrder() {
    // Float addition is not associative: 1e8 + 1 - 1e8 is 0 in partition order, 1 in the order given.
    float[] values = {1e8f, 1f, -1e8f};
    List<ExecutorGroups.Member> members = new ArrayList<>();
    for (int p : new int[] {2, 0, 1}) {
      members.add(new ExecutorGroups.Member(p, null));
    }
    List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
    GradientSum sum = ExecutorGroups.train(members, 1, m -> {
      ran.add(m.partition());
      GradientSum s = new GradientSum();
      s.grads = new float[] {values[m.partition()]};
      s.counts = new StepCounts(0, 0, 10L * (m.partition() + 1), 0);
      return s;
    });
    assertEquals(0f, sum.grads[0]);
    assertEquals(60, sum.counts.count);
    assertEquals(3, sum.counts.tasks);
    Collections.sort(ran);
    assertEquals(List.of(0, 1, 2), ran);
  }
}
