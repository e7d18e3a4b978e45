package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/** The pom's copy of Spark's JVM options (used by the test JVMs) has not drifted from Spark's own list. */
class JvmOptionsTest {
  @Test
  void testJvmsGetEverySparkModuleOption() {
    List<String> ours = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (String option : JavaModuleOptions.defaultModuleOptions().split(" ")) {
      assertTrue(ours.contains(option), option + " is missing from spark.jvm.options in pom.xml");
    }
  }
}
