package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and two Workers (one core each) as separate JVMs from
 * the Spark jars on the test classpath, the packaged jar submitted through Spark's own SparkSubmit (client mode).
 * The run must complete, use both executors, and its checkpoint must evaluate to the accuracy its report gives.
 */
class StandaloneClusterIT {
  @TempDir
  static Path dir;
  private static final List<Process> STARTED = new ArrayList<>();

  @AfterAll
  static void stopWhatWeStarted() throws InterruptedException {
    for (Process p : STARTED) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : STARTED) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** SPARK_HOME with jars/ linking every jar of this JVM's class path (Spark, Scala, Hadoop, the launcher...). */
  private static Path sparkHome() throws IOException {
    Path home = dir.resolve("spark-home");
    Path jars = Files.createDirectories(home.resolve("jars"));
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (entry.endsWith(".jar") && Files.isRegularFile(p) && !p.getFileName().toString().startsWith("sparkcnn")) {
        Path link = jars.resolve(p.getFileName());
        if (!Files.exists(link)) {
          Files.createSymbolicLink(link, p.toAbsolutePath());
        }
      }
    }
    Files.createDirectories(home.resolve("conf"));
    return home;
  }

  private static Process start(Path home, String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().split(" ")));
    cmd.add("-Xmx1g");
    cmd.add("-cp");
    cmd.add(home.resolve("jars") + File.separator + "*");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve(name + ".log").toFile());
    Process p = pb.start();
    STARTED.add(p);
    return p;
  }

  private static String log(String name) throws IOException {
    return Files.readString(dir.resolve(name + ".log"));
  }

  @Test
  void trainsOnTwoWorkersAndTheCheckpointEvaluatesToTheReportedAccuracy() throws Exception {
    String jar = System.getProperty("sparkcnn.jar");
    assertTrue(jar != null && Files.exists(Path.of(jar)), "the packaged jar (mvn package) at " + jar);
    Path home = sparkHome();
    int port = freePort();
    String master = "spark://127.0.0.1:" + port;
    start(home, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
        Integer.toString(port), "--webui-port", Integer.toString(freePort())));
    for (int w = 1; w <= 2; w++) {
      Path work = Files.createDirectories(dir.resolve("work-" + w));
      start(home, "worker-" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores",
          "1", "--memory", "2g", "--webui-port", Integer.toString(freePort()), "--work-dir", work.toString(), master));
    }
    Path job = dir.resolve("cluster-job.yaml");
    Path out = dir.resolve("run");
    Files.writeString(job, """
        model:
          architecture: tf_convnet
          classes: 4
          input: 1x16x16
        data:
          train: {format: generated, samples: 2048, seed: 3}
          test: {format: generated, samples: 512, seed: 3}
          partitions: 2
        training:
          epochs: 2
          batch: 64
          micro_batch: 32
          optimizer: adam
          lr: 0.002
          seed: 5
        output: %s
        """.formatted(out));
    Process submit = start(home, "submit", List.of("org.apache.spark.deploy.SparkSubmit", "--master", master,
        "--deploy-mode", "client", "--class", "sparkcnn.jobs.Main",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=1g",
        "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
        jar, "train", job.toString(), "--json"));
    assertTrue(submit.waitFor(300, TimeUnit.SECONDS), "the submitted job finishes within 5 minutes");
    String submitLog = log("submit");
    assertEquals(0, submit.exitValue(), submitLog);
    Matcher acc = Pattern.compile("\"test_accuracy\": ([0-9.]+)").matcher(submitLog);
    assertTrue(acc.find(), submitLog);
    double reported = Double.parseDouble(acc.group(1));
    assertTrue(reported > 0.5, "a learnable task: accuracy " + reported + " (chance 0.25)");
    // Both workers ran an executor that ran tasks.
    for (int w = 1; w <= 2; w++) {
      try (Stream<Path> files = Files.walk(dir.resolve("work-" + w))) {
        List<Path> stderr = files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
        assertEquals(1, stderr.size(), "worker " + w + " launched one executor");
        assertTrue(Files.readString(stderr.get(0)).contains("Running task"), "worker " + w + "'s executor ran tasks");
      }
    }
    // The checkpoint alone reproduces the reported accuracy (local mode, this JVM).
    Matcher ckpt = Pattern.compile("\"checkpoint\": \"([^\"]+)\"").matcher(submitLog);
    assertTrue(ckpt.find(), submitLog);
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    int code = Main.run(new String[] {"evaluate", "--checkpoint", ckpt.group(1), "--data", job.toString(), "--json"},
        new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
    assertEquals(0, code);
    Matcher eval = Pattern.compile("\"accuracy\": ([0-9.]+)").matcher(buf.toString(StandardCharsets.UTF_8));
    assertTrue(eval.find(), buf.toString(StandardCharsets.UTF_8));
    assertEquals(reported, Double.parseDouble(eval.group(1)), 1e-9);
  }
}
