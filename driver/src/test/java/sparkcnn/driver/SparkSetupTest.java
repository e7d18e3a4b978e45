package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import sparkcnn.kernels.Simd;

/** Executors get the kernels' JIT option besides their own options, once, and a trap limit of the user's stays. */
class SparkSetupTest {
  @Test
  void executorsGetTheJitOptionOnceBesideTheirOwn() {
    SparkConf bare = SparkSetup.conf(new SparkConf(false));
    assertEquals(Simd.JIT_OPTION, bare.get("spark.executor.extraJavaOptions"));
    assertEquals(Simd.JIT_OPTION, SparkSetup.withExecutorJitOption(bare).get("spark.executor.extraJavaOptions"));

    SparkConf own = new SparkConf(false).set("spark.executor.extraJavaOptions", "-XX:+UseG1GC");
    assertEquals("-XX:+UseG1GC " + Simd.JIT_OPTION,
        SparkSetup.conf(own).get("spark.executor.extraJavaOptions"));

    SparkConf limited = new SparkConf(false).set("spark.executor.extraJavaOptions", "-XX:PerMethodTrapLimit=5000");
    assertEquals("-XX:PerMethodTrapLimit=5000", SparkSetup.conf(limited).get("spark.executor.extraJavaOptions"));
  }
}
