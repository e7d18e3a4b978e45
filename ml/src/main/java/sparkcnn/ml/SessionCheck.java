package sparkcnn.ml;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import sparkcnn.driver.KryoRegistration;
import sparkcnn.driver.train.ExecutorSlots;

/**
 * Training needs the settings SparkCNN's own jobs start Spark with (SparkSetup.conf): Kryo with our registrator
 * (blocks and gradients cross the wire as Kryo, registration required) and the listener that counts task slots
 * for the collective trainer. They can only be given when the session starts, so fit checks them first and says
 * how to set them instead of failing inside a task.
 */
final class SessionCheck {
  private SessionCheck() {}

  static void requireTrainingSettings(String who, SparkConf conf) {
    List<String> missing = new ArrayList<>();
    if (!conf.get("spark.serializer", "").equals("org.apache.spark.serializer.KryoSerializer")) {
      missing.add("spark.serializer=org.apache.spark.serializer.KryoSerializer");
    }
    if (!conf.get("spark.kryo.registrator", "").contains(KryoRegistration.class.getName())) {
      missing.add("spark.kryo.registrator=" + KryoRegistration.class.getName());
    }
    if (!conf.get("spark.extraListeners", "").contains(ExecutorSlots.class.getName())) {
      missing.add("spark.extraListeners=" + ExecutorSlots.class.getName());
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(who + ": the Spark session lacks SparkCNN's settings " + missing + "; start it "
          + "with sparkcnn.driver.SparkSetup.conf(new SparkConf()) or pass them as --conf to spark-submit");
    }
  }
}
