package sparkcnn.driver;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * One local-mode SparkContext for all driver tests in a JVM (Spark allows one at a time): 3 task slots (a
 * collective session of 3 ranks needs 3 at once) and up to 4 attempts per task, so an injected failure is
 * retried as on a cluster.
 */
public final class SparkTestContext {
  private static JavaSparkContext sc;

  private SparkTestContext() {}

  public static synchronized JavaSparkContext get() {
    if (sc == null) {
      sc = SparkSetup.local("local[3,4]", "sparkcnn-tests");
      sc.setLogLevel("ERROR");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> sc.stop()));
    }
    return sc;
  }
}
