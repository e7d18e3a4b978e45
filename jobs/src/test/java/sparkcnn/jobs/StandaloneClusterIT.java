package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import sparkcnn.models.Json;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and two Workers (one core each) as separate JVMs from
 * the Spark jars on the test classpath, the packaged jar submitted through Spark's own SparkSubmit (client mode).
 * The run (collective: one barrier task per executor) must complete, use both executors, and its checkpoint must
 * evaluate to the accuracy its report gives; a second run whose executor is killed with SIGKILL mid-session must
 * end with the same checkpoint, byte for byte.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
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
      // Not the in-process HDFS of HdfsIT (a test dependency, no part of a Spark installation).
      String name = p.getFileName().toString();
      if (entry.endsWith(".jar") && Files.isRegularFile(p) && !name.startsWith("sparkcnn")
          && !name.startsWith("hadoop-client-minicluster")) {
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

  private static String master;
  private static Path home;
  private static final List<Process> WORKERS = new ArrayList<>();
  /** The uninterrupted run's final checkpoint, for the kill test to compare with. */
  private static Path straightCheckpoint;
  private static double straightAccuracy;

  /** Master and two one-core Workers, started once for both tests. */
  private static synchronized void cluster() throws IOException {
    if (master != null) {
      return;
    }
    home = sparkHome();
    int port = freePort();
    master = "spark://127.0.0.1:" + port;
    start(home, "master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
        Integer.toString(port), "--webui-port", Integer.toString(freePort())));
    for (int w = 1; w <= 2; w++) {
      Path work = Files.createDirectories(dir.resolve("work-" + w));
      WORKERS.add(start(home, "worker-" + w, List.of("org.apache.spark.deploy.worker.Worker", "--host",
          "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port", Integer.toString(freePort()),
          "--work-dir", work.toString(), master)));
    }
  }

  /** The job both tests train (collective, the default), with its output under run. */
  private static Path job(String name, Path out) throws IOException {
    Path job = dir.resolve(name + ".yaml");
    Files.writeString(job, """
        model:
          architecture: tf_convnet
          classes: 4
          input: 1x16x16
        data:
          train: {format: generated, samples: 2048, seed: 3}
          test: {format: generated, samples: 512, seed: 3}
          partitions: 2
          augmentations: [hflip]
        training:
          epochs: 2
          batch: 64
          micro_batch: 32
          optimizer: adam
          lr: 0.002
          seed: 5
          peer_timeout_seconds: 60
        log_every_seconds: 0
        output: %s
        """.formatted(out));
    return job;
  }

  /** train JOB --json [extra...] submitted to the cluster in client mode: the returned process is the driver. */
  private static Process submit(String name, Path job, String... extra) throws IOException {
    // No spark.scheduler.minRegisteredResourcesRatio: the trainer itself waits for the cores the application
    // asked for (spark.cores.max) before it starts a session.
    List<String> args = new ArrayList<>(List.of("org.apache.spark.deploy.SparkSubmit", "--master", master,
        "--deploy-mode", "client", "--class", "sparkcnn.jobs.Main",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.cores.max=2", "--conf", "spark.executor.memory=1g",
        System.getProperty("sparkcnn.jar"), "train", job.toString(), "--json"));
    args.addAll(Arrays.asList(extra));
    return start(home, name, args);
  }

  /** Waits until the submitted run's log shows a step of epoch 1 at or past `step` (of `steps`); returns it. */
  private static int awaitStep(String name, Process submit, int epochs, int steps, int step) throws Exception {
    long deadline = System.nanoTime() + 240_000_000_000L;
    Pattern at = Pattern.compile("epoch 1/" + epochs + " step (\\d+)/" + steps);
    int seen = 0;
    while (seen < step && System.nanoTime() < deadline && submit.isAlive()) {
      Matcher m = at.matcher(log(name));
      while (m.find()) {
        seen = Math.max(seen, Integer.parseInt(m.group(1)));
      }
      Thread.sleep(20);
    }
    return seen;
  }

  /**
   * The driver JVM (client mode: SparkSubmit itself) killed with SIGKILL mid-epoch, after its step-8 checkpoint;
   * `train --resume` of the same job (and options) then ends with the final checkpoint of an uninterrupted run
   * of it, byte for byte. Returns the resumed run's log.
   */
  private static String killDriverAndResume(String name, Path job, Path straight, int epochs, String... options)
      throws Exception {
    // Checkpoints every 8 steps in the killed run only: the uninterrupted run's sessions are whole epochs, so
    // this also checks that where the sessions end changes nothing.
    List<String> every8 = new ArrayList<>(Arrays.asList(options));
    every8.addAll(List.of("--set", "checkpoint.every_steps=8"));
    options = every8.toArray(String[]::new);
    Process driver = submit(name, job, options);
    int seen = awaitStep(name, driver, epochs, 32, 12);
    assertTrue(seen >= 12 && seen < 32, "the kill lands mid-epoch, after the step-8 checkpoint (step " + seen + ")");
    new ProcessBuilder("kill", "-9", Long.toString(driver.pid())).inheritIO().start().waitFor();
    assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, driver.exitValue(), "killed by SIGKILL");
    List<String> resume = new ArrayList<>(Arrays.asList(options));
    resume.add("--resume");
    Process resumed = submit(name + "-resumed", job, resume.toArray(String[]::new));
    assertTrue(resumed.waitFor(300, TimeUnit.SECONDS), "the resumed run finishes within 5 minutes");
    String resumedLog = log(name + "-resumed");
    assertEquals(0, resumed.exitValue(), resumedLog);
    Matcher from = Pattern.compile("\"resumed_from_step\": (\\d+)").matcher(resumedLog);
    assertTrue(from.find() && Integer.parseInt(from.group(1)) >= 8 && Integer.parseInt(from.group(1)) <= seen,
        "resumed from a checkpoint of the killed run: " + resumedLog);
    assertTrue(resumedLog.contains("that process no longer runs"), "the dead driver's lock taken over");
    assertEquals(-1L, Files.mismatch(straight, checkpoint(resumedLog)), "final checkpoint byte-identical to the "
        + "uninterrupted run's (" + straight + ")");
    return resumedLog;
  }

  /** The driver killed mid-epoch, collective (the default): resumed to the first test's checkpoint, byte for byte. */
  @Test
  @org.junit.jupiter.api.Order(4)
  void aKilledDriverResumesToTheSameCheckpointCollective() throws Exception {
    assertTrue(straightCheckpoint != null, "the uninterrupted run ran first");
    long t0 = System.nanoTime();
    String resumed = killDriverAndResume("driver-killed", job("driver-kill-job", dir.resolve("run-driver-killed")),
        straightCheckpoint, 2);
    assertTrue(resumed.contains("collective, 2 ranks"), resumed);
    System.out.printf("driver kill + resume, collective: %.0f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /** The same in broadcast mode (one epoch), against an uninterrupted broadcast run on the cluster. */
  @Test
  @org.junit.jupiter.api.Order(5)
  void aKilledDriverResumesToTheSameCheckpointBroadcast() throws Exception {
    cluster();
    long t0 = System.nanoTime();
    String[] broadcast = {"--set", "training.sync=broadcast", "--set", "training.epochs=1"};
    Process straight = submit("broadcast", job("broadcast-job", dir.resolve("run-broadcast")), broadcast);
    assertTrue(straight.waitFor(300, TimeUnit.SECONDS), "the broadcast run finishes within 5 minutes");
    String straightLog = log("broadcast");
    assertEquals(0, straight.exitValue(), straightLog);
    assertTrue(straightLog.contains("broadcast, 2 partitions"), straightLog);
    killDriverAndResume("broadcast-killed", job("broadcast-kill-job", dir.resolve("run-broadcast-killed")),
        checkpoint(straightLog), 1, broadcast);
    System.out.printf("broadcast run + driver kill + resume: %.0f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /** The --json report of `train`: the log's one line that is a JSON object. */
  private static JsonNode report(String submitLog) {
    String line = submitLog.lines().filter(l -> l.startsWith("{\"")).reduce((a, b) -> b).orElse(null);
    assertTrue(line != null, "a JSON report in " + submitLog);
    return Json.tree(line);
  }

  private static double reportedAccuracy(String submitLog) {
    JsonNode acc = report(submitLog).path("test_accuracy");
    assertTrue(acc.isNumber(), submitLog);
    return acc.asDouble();
  }

  private static Path checkpoint(String submitLog) {
    String ckpt = report(submitLog).path("checkpoint").asText();
    assertTrue(!ckpt.isEmpty(), submitLog);
    return Path.of(java.net.URI.create(ckpt.startsWith("file:") ? ckpt : "file://" + ckpt));
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void trainsOnTwoWorkersAndTheCheckpointEvaluatesToTheReportedAccuracy() throws Exception {
    String jar = System.getProperty("sparkcnn.jar");
    assertTrue(jar != null && Files.exists(Path.of(jar)), "the packaged jar (mvn package) at " + jar);
    cluster();
    Path job = job("cluster-job", dir.resolve("run"));
    Process submit = submit("submit", job);
    assertTrue(submit.waitFor(300, TimeUnit.SECONDS), "the submitted job finishes within 5 minutes");
    String submitLog = log("submit");
    assertEquals(0, submit.exitValue(), submitLog);
    double reported = reportedAccuracy(submitLog);
    assertTrue(reported > 0.5, "a learnable task: accuracy " + reported + " (chance 0.25)");
    assertTrue(submitLog.contains("collective, 2 ranks"), submitLog);
    // Both workers ran an executor that ran a training rank (a barrier task).
    for (int w = 1; w <= 2; w++) {
      try (Stream<Path> files = Files.walk(dir.resolve("work-" + w))) {
        List<Path> stderr = files.filter(p -> p.getFileName().toString().equals("stderr")).toList();
        assertEquals(1, stderr.size(), "worker " + w + " launched one executor");
        assertTrue(Files.readString(stderr.get(0)).contains("Running task"), "worker " + w + "'s executor ran tasks");
      }
    }
    // The checkpoint alone reproduces the reported accuracy (local mode, this JVM).
    straightCheckpoint = checkpoint(submitLog);
    straightAccuracy = reported;
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    int code = Main.run(new String[] {"evaluate", "--checkpoint", straightCheckpoint.toString(), "--data",
        job.toString(), "--json"}, new java.io.PrintStream(buf, true, StandardCharsets.UTF_8));
    assertEquals(0, code);
    JsonNode eval = Json.tree(buf.toString(StandardCharsets.UTF_8)).path("accuracy");
    assertTrue(eval.isNumber(), buf.toString(StandardCharsets.UTF_8));
    assertEquals(reported, eval.asDouble(), 1e-9);
  }

  /**
   * SIGKILL of one executor JVM mid-session: Spark reruns the session's barrier stage from its snapshot on the
   * relaunched executor, and the run ends with the same checkpoint, byte for byte, as the uninterrupted one.
   */
  @Test
  @org.junit.jupiter.api.Order(2)
  void aKilledExecutorMidSessionChangesNothing() throws Exception {
    assertTrue(straightCheckpoint != null, "the uninterrupted run ran first");
    Path job = job("kill-job", dir.resolve("run-killed"));
    Process submit = submit("submit-killed", job);
    int seen = awaitStep("submit-killed", submit, 2, 32, 8);
    assertTrue(seen >= 8 && seen < 32, "the kill lands mid-session (step " + seen + " of 32)");
    ProcessHandle executor = WORKERS.get(1).descendants()
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).findFirst()
        .orElseThrow(() -> new AssertionError("no executor JVM under worker 2"));
    new ProcessBuilder("kill", "-9", Long.toString(executor.pid())).inheritIO().start().waitFor();
    assertTrue(submit.waitFor(300, TimeUnit.SECONDS), "the job finishes within 5 minutes after the kill");
    String submitLog = log("submit-killed");
    assertEquals(0, submit.exitValue(), submitLog);
    Path killed = checkpoint(submitLog);
    assertEquals(-1L, Files.mismatch(straightCheckpoint, killed), "final checkpoint byte-identical to the "
        + "uninterrupted run's (" + straightCheckpoint + " vs " + killed + ")");
    assertEquals(straightAccuracy, reportedAccuracy(submitLog), 0);
    try (Stream<Path> files = Files.walk(dir.resolve("work-2"))) {
      assertTrue(files.filter(p -> p.getFileName().toString().equals("stderr")).count() >= 2,
          "worker 2 relaunched its killed executor");
    }
  }

  /**
   * Fine-tuning on the cluster: the first run's checkpoint with a new 3-class head, its backbone frozen and its
   * features pre-computed by the executors (and written to a cache folder); the backbone comes back bit for bit.
   */
  @Test
  @org.junit.jupiter.api.Order(3)
  void fineTunesFromTheFirstRunOnTheCluster() throws Exception {
    assertTrue(straightCheckpoint != null, "the first run ran first");
    Path job = dir.resolve("fine-tune.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 3, input: 1x16x16}
        init: {checkpoint: %s}
        data:
          train: {format: generated, samples: 768, seed: 9}
          test: {format: generated, samples: 256, seed: 9}
          partitions: 2
        training:
          epochs: 1
          batch: 64
          optimizer: adam
          lr: 0.01
          seed: 5
          freeze: [all_but_head]
          features: precompute
          peer_timeout_seconds: 60
        features: {path: %s}
        log_every_seconds: 0
        output: %s
        """.formatted(straightCheckpoint, dir.resolve("features"), dir.resolve("run-tuned")));
    Process submit = submit("submit-tuned", job);
    assertTrue(submit.waitFor(300, TimeUnit.SECONDS), "the fine-tuning job finishes within 5 minutes");
    String submitLog = log("submit-tuned");
    assertEquals(0, submit.exitValue(), submitLog);
    assertTrue(submitLog.contains("re-initialized (new shape): 8 (linear 1024->3)")
        && submitLog.contains("pre-computed features (1024) of 768 samples") && submitLog.contains("collective, 2 ranks"),
        submitLog);
    assertTrue(Files.exists(dir.resolve("features/part-00001.features")), "both executors wrote their features");
    float[] before = read(straightCheckpoint);
    float[] after = read(checkpoint(submitLog));
    int backbone = before.length - (1024 * 4 + 4);
    assertEquals(backbone + 1024 * 3 + 3, after.length);
    for (int i = 0; i < backbone; i++) {
      assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(after[i]), "backbone parameter " + i);
    }
  }

  private static float[] read(Path checkpoint) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(checkpoint)) {
      return sparkcnn.models.Checkpoint.read(in, checkpoint.toString()).blocks().get("params");
    }
  }
}
