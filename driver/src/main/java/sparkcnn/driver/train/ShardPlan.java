package sparkcnn.driver.train;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * Which samples each partition trains on at each step, as a pure function of (seed, step, partition), so that
 * retries, resumes and the single-JVM reference all see the same batches. A global batch of B is split into
 * shards of B / P (the first B mod P partitions take one more); partition p walks a fresh permutation of its own
 * samples every epoch. Shards are cut into micro-batches, numbered globally in partition order, which fixes
 * their dropout seeds.
 */
public final class ShardPlan implements Serializable {
  private final int globalBatch;
  private final int microBatch;
  private final long seed;
  private final int[] partitionSizes;
  private final long stepsPerEpoch;

  public ShardPlan(int globalBatch, int microBatch, long seed, int[] partitionSizes) {
    int p = partitionSizes.length;
    long total = 0;
    for (int i = 0; i < p; i++) {
      if (partitionSizes[i] <= 0) {
        throw new IllegalArgumentException("training data: partition " + i + " of " + p
            + " holds no samples: set data.partitions lower (at most the number of samples)");
      }
      total += partitionSizes[i];
    }
    if (globalBatch < p) {
      throw new IllegalArgumentException("global batch " + globalBatch + " is smaller than the " + p + " partitions");
    }
    this.globalBatch = globalBatch;
    this.microBatch = microBatch <= 0 ? globalBatch : microBatch;
    this.seed = seed;
    this.partitionSizes = partitionSizes.clone();
    this.stepsPerEpoch = Math.max(1, total / globalBatch);
  }

  /** The plan of a run over cached blocks (their sizes are counted by a Spark job). */
  public static ShardPlan of(org.apache.spark.api.java.JavaRDD<sparkcnn.driver.data.SampleBlock> data,
      TrainConfig config) {
    int[] sizes = data.map(sparkcnn.driver.data.SampleBlock::size).collect().stream().mapToInt(Integer::intValue)
        .toArray();
    return new ShardPlan(config.globalBatch, config.microBatch, config.seed, sizes);
  }

  public int partitions() {
    return partitionSizes.length;
  }

  public int globalBatch() {
    return globalBatch;
  }

  public long stepsPerEpoch() {
    return stepsPerEpoch;
  }

  public int shardSize(int partition) {
    int p = partitionSizes.length;
    return globalBatch / p + (partition < globalBatch % p ? 1 : 0);
  }

  /** Micro-batch sizes of a partition's shard. */
  public int[] microBatches(int partition) {
    int n = shardSize(partition);
    int count = (n + microBatch - 1) / microBatch;
    int[] sizes = new int[count];
    for (int i = 0; i < count; i++) {
      sizes[i] = Math.min(microBatch, n - i * microBatch);
    }
    return sizes;
  }

  /** The global index of a partition's first micro-batch. */
  public int firstMicroBatch(int partition) {
    int m = 0;
    for (int q = 0; q < partition; q++) {
      m += microBatches(q).length;
    }
    return m;
  }

  /** Local sample indices of a partition's shard at a step; perm caches the epoch's permutation. */
  public int[] shard(long step, int partition, EpochPermutation perm) {
    long epoch = step / stepsPerEpoch;
    long k = step % stepsPerEpoch;
    int[] order = perm.get(seed, epoch, partition, partitionSizes[partition]);
    int n = shardSize(partition);
    int[] out = new int[n];
    for (int j = 0; j < n; j++) {
      out[j] = order[(int) ((k * n + j) % order.length)];
    }
    return out;
  }

  /** A partition's permutation of its samples for one epoch, kept until the epoch changes. */
  public static final class EpochPermutation {
    private long key = Long.MIN_VALUE;
    private int[] order;

    int[] get(long seed, long epoch, int partition, int n) {
      long k = epoch * 65_537 + partition;
      if (order == null || k != key || order.length != n) {
        order = new int[n];
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k);
        for (int i = n - 1; i > 0; i--) {
          int j = rnd.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
        key = k;
      }
      return order;
    }
  }
}
