package sparkcnn.jobs;

import org.apache.spark.launcher.JavaModuleOptions;

/**
 * Prints the JVM options Spark's own launcher would give a Spark JVM on this Java version; bin/sparkcnn puts
 * them on the driver's java line (in local and client mode the driver is our JVM, and Spark cannot add them).
 */
public final class JvmOptions {
  private JvmOptions() {}

  public static void main(String[] args) {
    System.out.println(JavaModuleOptions.defaultModuleOptions());
  }
}
