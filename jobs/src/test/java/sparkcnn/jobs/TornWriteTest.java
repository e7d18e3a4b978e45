package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training JVM killed (SIGKILL) in the middle of writing a checkpoint, between the write and the rename: the
 * previous checkpoint stays the newest valid one, and `train --resume` continues from it to the same final
 * checkpoint, byte for byte, as a run that was never interrupted. While the killed run still lived, a second
 * `train` into its output was refused naming it; once it is dead, its lock is taken over at once (same host).
 */
class TornWriteTest {
  @TempDir
  Path dir;

  private Path job() throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 4, input: 1x32x32}
        data:
          train: {format: generated, samples: 256, seed: 6}
          partitions: 2
        training: {epochs: 1, batch: 32, optimizer: adam, lr: 0.002, seed: 3}
        checkpoint: {every_steps: 2, keep: 3}
        spark: {master: 'local[2]'}
        log_every_seconds: 0
        output: %s
        """.formatted(dir.resolve("unused")));
    return job;
  }

  private static List<String> names(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      // Hadoop's local file system keeps a .NAME.crc beside each file: not ours to count.
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).sorted().toList();
    }
  }

  @Test
  void aCheckpointTornByAKillLeavesThePreviousOneAndResumeEndsBitIdentical() throws Exception {
    Path job = job();
    Path straight = dir.resolve("straight");
    CommandRun s = CommandRun.of("train", job.toString(), "--set", "output=" + straight);
    assertEquals(0, s.code(), s.err());

    Path torn = dir.resolve("torn");
    Path marker = dir.resolve("torn-now");
    // The same job, its checkpoints written through a file system that tears checkpoint 6.
    Path childJob = dir.resolve("child.yaml");
    Files.writeString(childJob, Files.readString(job).replace("spark: {master: 'local[2]'}", "spark:\n  master: "
        + "'local[2]'\n  conf: {spark.hadoop.fs.file.impl: sparkcnn.jobs.TearingFileSystem, "
        + "spark.hadoop.fs.file.impl.disable.cache: 'true'}").replace(dir.resolve("unused").toString(), torn.toString()));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().split(" ")));
    cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "-Xmx1g",
        "-Dsparkcnn.test.tear=.checkpoint-000000006.sparkcnn.tmp", "-Dsparkcnn.test.torn=" + marker,
        "-cp", System.getProperty("java.class.path"), "sparkcnn.jobs.Main", "train", childJob.toString()));
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile())
        .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (!Files.exists(marker) && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(Files.exists(marker), "the child tore checkpoint 6: " + Files.readString(dir.resolve("child.log")));

      // The run is alive (stuck in its write): a second run into its output is refused, naming it.
      CommandRun second = CommandRun.of("train", job.toString(), "--set", "output=" + torn);
      assertEquals(1, second.code(), second.err());
      assertTrue(second.line("train").startsWith("sparkcnn train: failed: " + torn + " is in use by another training "
          + "run (pid " + child.pid() + " on "), second.err());
    } finally {
      new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    // Killed between write and rename: checkpoint 6 exists only as a partial temporary file.
    Path checkpoints = torn.resolve("checkpoints");
    List<String> left = names(checkpoints);
    assertTrue(left.containsAll(List.of("checkpoint-000000002.sparkcnn", "checkpoint-000000004.sparkcnn",
        ".checkpoint-000000006.sparkcnn.tmp")) && !left.contains("checkpoint-000000006.sparkcnn"), left.toString());
    long full = Files.size(straight.resolve("checkpoints/checkpoint-000000006.sparkcnn"));
    assertTrue(Files.size(checkpoints.resolve(".checkpoint-000000006.sparkcnn.tmp")) < full, "torn: a partial file");
    assertTrue(Files.exists(torn.resolve("train.lock")), "the killed run's lock is still there");

    CommandRun resumed = CommandRun.of("train", job.toString(), "--resume", "--json", "--set", "output=" + torn);
    assertEquals(0, resumed.code(), resumed.err());
    assertTrue(resumed.out().contains("\"resumed_from_step\": 4"), resumed.out());
    assertTrue(resumed.err().contains("taking over " + torn.resolve("train.lock")) && resumed.err()
        .contains("that process no longer runs"), resumed.err());
    assertEquals(-1L, Files.mismatch(straight.resolve("checkpoints/checkpoint-000000008.sparkcnn"),
        checkpoints.resolve("checkpoint-000000008.sparkcnn")), "the resumed run ends bit-identical");
    assertEquals(List.of("checkpoint-000000004.sparkcnn", "checkpoint-000000006.sparkcnn",
        "checkpoint-000000008.sparkcnn"), names(checkpoints), "checkpoint.keep: 3, no temporary file left");
    assertTrue(!Files.exists(torn.resolve("train.lock")), "the lock went with the resumed run");
  }
}
