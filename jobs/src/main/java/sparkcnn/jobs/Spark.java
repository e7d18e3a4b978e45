package sparkcnn.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import sparkcnn.driver.SparkSetup;

/**
 * The SparkContext of a command: under spark-submit (spark.master already set by SparkSubmit) the cluster it was
 * given; otherwise an embedded local-mode Spark with the job's master (default local[*]). Our settings (Kryo,
 * registrator) are added either way; the job's spark.conf entries are applied on top.
 */
final class Spark {
  private Spark() {}

  static boolean submitted() {
    return System.getProperty("spark.master") != null;
  }

  static JavaSparkContext start(String app, String localMaster, Map<String, String> conf) {
    SparkConf c = SparkSetup.conf(new SparkConf().setAppName(app));
    if (!submitted()) {
      SparkSetup.local(c, localMaster == null ? "local[*]" : localMaster);
    }
    conf.forEach(c::set);
    SparkSetup.withExecutorJitOption(c); // a job's own executor options keep the kernels' JIT option
    JavaSparkContext sc = new JavaSparkContext(c);
    sc.setLogLevel("WARN");
    return sc;
  }
}
