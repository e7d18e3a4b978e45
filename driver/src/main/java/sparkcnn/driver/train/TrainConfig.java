package sparkcnn.driver.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.zoo.ModelSpec;

/**
 * Everything an executor needs to reproduce its part of a step, as plain values (it travels in task closures):
 * the model spec, batch and micro-batch sizes, loss options, seed, augmentations, normalization, optimizer, the
 * synchronization interval and the run's length.
 */
public final class TrainConfig implements Serializable {
  /** Distinguishes this run's model replicas in executor memory. */
  public String runId = java.util.UUID.randomUUID().toString();
  public ModelSpec model;
  public long initSeed = 1;
  public int globalBatch = 128;
  public int microBatch = 32;
  public float labelSmoothing = 0f;
  /** Segmentation: the mask value that counts for nothing (training.ignore_index); negative: none. */
  public int ignoreIndex = -1;
  /** Segmentation: per-class loss weights (training.class_weights); null: none. */
  public float[] classWeights;
  public double clipNorm = 0;
  public long seed = 1;
  /** How replicas agree each step (training.sync): see {@link DataParallelTrainer}. */
  public enum Sync {
    COLLECTIVE, BROADCAST, LOCAL;

    public static Sync parse(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  public Sync sync = Sync.COLLECTIVE;
  /** Local SGD (sync LOCAL): average every this many local steps. */
  public int syncEvery = 1;
  /** Collective: ranks (barrier tasks) per session; 0 = one per task slot the cluster has (see ClusterSlots). */
  public int ranks = 0;
  /** Collective: a failed session is rerun from its starting snapshot at most this many times. */
  public int sessionRetries = 2;
  /** Collective: seconds a rank waits for a peer (connect, each read) before it fails the session. */
  public double peerTimeoutSeconds = 300;
  /** Collective: floats per all-reduce bucket (buckets start reducing as soon as backward has filled them). */
  public int bucketFloats = 1 << 20;
  /** Leading parameters of a frozen backbone (training.freeze resolved; 0: none): see Model#freeze. */
  public int frozenParams = 0;
  /** Learning-rate multipliers by layer name or prefix, in order (training.lr_multipliers); empty: none. */
  public java.util.LinkedHashMap<String, Double> lrMultipliers = new java.util.LinkedHashMap<>();
  /** Samples are the frozen backbone's pre-computed features, not images (training.features: precompute). */
  public boolean featureInput = false;
  /** Driver: a checkpoint to start from (init.checkpoint; layers matched by name, see Transfer), or null. */
  public String initCheckpoint;
  /** Driver, with featureInput: where the features are cached between runs (features.path), or null. */
  public String featuresPath;
  /** Driver, with featureInput: the training data as the job names it (part of the cache's fingerprint). */
  public String dataDescription = "";
  public List<String> augmentations = new ArrayList<>();
  public Normalization normalization;
  /** Output i's name, one per class, stored in every checkpoint; null: "0".."K-1". */
  public ArrayList<String> classNames;
  public OptimizerConfig optimizer = new OptimizerConfig();
  public long totalSteps = 100;
  /** Spark job descriptions and log lines use it: 0 = unknown. */
  public long stepsPerEpoch = 0;
  /**
   * Benchmarks only: partitions skip forward and backward and return zero gradients of the model's size, so a
   * step costs exactly what Spark and the driver add (broadcast, job, results, optimizer) and nothing else.
   */
  public boolean skipCompute = false;
  /** Non-finite steps skipped (no update) before one stops the run (training.skip_nonfinite). */
  public int skipNonFinite;
  /**
   * Fault injection for tests: partition 0's first attempt at this step throws (Spark retries it; collective: rank
   * 0's first stage attempt, so the whole session reruns). -1: never.
   */
  public long injectFailureAtStep = -1;
  /** Fault injection for tests: partition 0's first input pixel is NaN at this step (so is everything after). */
  public long injectNonFiniteAtStep = -1;
  /**
   * Fault injection for tests: partition 0 runs out of heap at this step (an OutOfMemoryError, "Java heap space",
   * from its first micro-batch, every attempt). -1: never.
   */
  public long injectOutOfMemoryAtStep = -1;
  /** The model every trainer trains: the architecture, its backbone frozen and fed features as configured. */
  public sparkcnn.models.Model buildModel() {
    sparkcnn.models.Model m = sparkcnn.models.zoo.Zoo.build(model).freeze(frozenParams);
    m.scaleRates(sparkcnn.models.zoo.Transfer.rates(model, m, lrMultipliers));
    return featureInput ? m.takeFeatures() : m;
  }

  /** Collective: how many stage attempts of each session job the injected failure hits (more than Spark's 4: all). */
  public int injectFailureAttempts = 1;
}
