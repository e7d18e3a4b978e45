package sparkcnn.driver;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.kernels.Simd;

/**
 * The Spark settings every SparkCNN job needs: Kryo with registration required (so an unregistered class on the
 * wire is an error, not a silent slow path) and our registrator, no broadcast compression or checksum (parameters
 * do not compress and the CPU time shows in every step), room for large buffers in Kryo, and the executors' JVM
 * option the vector kernels need ({@link Simd#JIT_OPTION}).
 */
public final class SparkSetup {
  private SparkSetup() {}

  public static SparkConf conf(SparkConf conf) {
    // The collective trainer counts the cluster's task slots through this listener (see ExecutorSlots).
    String listener = sparkcnn.driver.train.ExecutorSlots.class.getName();
    String listeners = conf.get("spark.extraListeners", "");
    if (!listeners.contains(listener)) {
      conf.set("spark.extraListeners", listeners.isEmpty() ? listener : listeners + "," + listener);
    }
    withExecutorJitOption(conf);
    return conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.kryo.registrator", KryoRegistration.class.getName())
        .set("spark.kryoserializer.buffer.max", "1g")
        // Gradients and parameters are big float arrays: unsafe I/O copies them in bulk instead of per element.
        .set("spark.kryo.unsafe", "true")
        // Task results (gradient sums) go straight back to the driver instead of through the block manager.
        .setIfMissing("spark.task.maxDirectResultSize", "512m")
        .set("spark.broadcast.compress", "false")
        // An Adler-32 pass over the whole parameter buffer on the driver every step (about 5 ms for 13 MB here);
        // blocks still travel over TCP's own checksums. A user who wants it sets it back to true.
        .setIfMissing("spark.broadcast.checksum", "false")
        .set("spark.rdd.compress", "false")
        .setIfMissing("spark.ui.showConsoleProgress", "false");
  }

  /**
   * Appends the option the vector kernels need ({@link Simd#JIT_OPTION}) to the executors' JVM options, unless
   * they already set the trap limit; bin/sparkcnn gives it to the driver's JVM. Callers that apply a job's own
   * settings after {@link #conf} call this again, since a job's spark.executor.extraJavaOptions replaces ours.
   */
  public static SparkConf withExecutorJitOption(SparkConf conf) {
    String executor = conf.get("spark.executor.extraJavaOptions", "");
    if (!executor.contains("PerMethodTrapLimit")) {
      conf.set("spark.executor.extraJavaOptions", (executor + " " + Simd.JIT_OPTION).trim());
    }
    return conf;
  }

  /** Embedded local mode on this machine: the given master, loopback only, no web UI (unless set). */
  public static SparkConf local(SparkConf conf, String master) {
    return conf.setMaster(master)
        .setIfMissing("spark.ui.enabled", "false")
        .setIfMissing("spark.driver.host", "127.0.0.1")
        .setIfMissing("spark.driver.bindAddress", "127.0.0.1");
  }

  /** A local-mode context with our settings, e.g. master "local[2]". */
  public static JavaSparkContext local(String master, String app) {
    return new JavaSparkContext(local(conf(new SparkConf().setAppName(app)), master)
        .setIfMissing("spark.sql.shuffle.partitions", "4"));
  }
}
