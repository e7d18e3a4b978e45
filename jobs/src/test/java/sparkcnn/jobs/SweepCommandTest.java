package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.jobs.sweep.SuccessiveHalving;
import sparkcnn.jobs.sweep.TrialScheduler;

/**
 * `sweep` end to end on generated data and a tiny convnet: compound stages, successive halving against full
 * training, concurrent against sequential trials, choosing on validation only, a failed trial, --resume.
 */
class SweepCommandTest {
  @TempDir
  Path dir;

  /** A 4-class task of 12x12 images; 25% of the training set is held out for validation. */
  private Path base() throws Exception {
    Path job = dir.resolve("base.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x12x12, width: 0.125}
        data:
          train: {format: generated, samples: 256, seed: 4}
          test: {format: generated, samples: 96, seed: 9}
          validation: {fraction: 0.25, seed: 2}
        training: {epochs: 4, batch: 32, micro_batch: 32, optimizer: adam, lr: 0.003, ranks: 1}
        log_every_seconds: 100
        spark:
          master: local[2]
          conf: {spark.extraListeners: sparkcnn.jobs.PoolRecorder}
        """);
    return job;
  }

  private static JsonNode results(Path output) throws Exception {
    return new ObjectMapper().readTree(output.resolve("results.json").toFile());
  }

  private static JsonNode trial(JsonNode results, int index) {
    for (JsonNode t : results.get("trials")) {
      if (t.get("trial").asInt() == index) {
        return t;
      }
    }
    throw new AssertionError("no trial " + index);
  }

  @Test
  void compoundSearchWithSuccessiveHalvingMatchesConcurrentFullTrainingAndChoosesOnValidation() throws Exception {
    Path sweep = dir.resolve("sweep.yaml");
    Files.writeString(sweep, """
        base: %s
        search: compound
        grid: {alpha: [1.0, 1.2], beta: [1.0, 1.1, 1.2], gamma: [1.0, 1.15, 1.2], tolerance: 0.15}
        compound: {phi: [1, 2]}
        scheduler: successive_halving
        halving: {min_epochs: 1, eta: 2}
        latency_seconds: 0.05
        """.formatted(base()));
    Path sh = dir.resolve("sh");
    Path full = dir.resolve("full");
    PoolRecorder.JOBS.clear();
    CommandRun a = CommandRun.of("sweep", sweep.toString(), "--set", "output=" + sh);
    assertEquals(0, a.code(), a.err() + a.out());
    CommandRun b = CommandRun.of("sweep", sweep.toString(), "--set", "output=" + full, "--set", "scheduler=none",
        "--set", "grid.concurrent=2");
    assertEquals(0, b.code(), b.err() + b.out());
    JsonNode rs = results(sh);
    JsonNode rf = results(full);

    // Stage 1: exactly the grid's (alpha, beta, gamma) with alpha beta^2 gamma^2 within 0.15 of 2, at phi 1.
    Set<String> expected = new HashSet<>();
    for (double al : new double[] {1.0, 1.2}) {
      for (double be : new double[] {1.0, 1.1, 1.2}) {
        for (double ga : new double[] {1.0, 1.15, 1.2}) {
          if (Math.abs(al * be * be * ga * ga - 2) <= 0.15) {
            expected.add(al + "/" + be + "/" + ga);
          }
        }
      }
    }
    Set<String> stageOne = new HashSet<>();
    int stageTwo = -1;
    for (JsonNode t : rs.get("trials")) {
      if (t.get("stage").asInt() == 1) {
        assertEquals(1.0, t.get("phi").asDouble());
        stageOne.add(t.get("alpha").asDouble() + "/" + t.get("beta").asDouble() + "/" + t.get("gamma").asDouble());
      } else {
        stageTwo = t.get("trial").asInt();
      }
    }
    assertEquals(expected, stageOne);
    int n = stageOne.size();
    assertEquals(4, n);

    // Successive halving followed its rule on the metrics it measured: replayed, the same work in the same order.
    assertEquals(List.of(1, 2, 4), new ObjectMapper().convertValue(rs.get("rung_epochs"), List.class));
    SuccessiveHalving replay = new SuccessiveHalving(List.of(0, 1, 2, 3), List.of(1, 2, 4), 2);
    for (JsonNode e : rs.get("events")) {
      if (e.get(0).asInt() >= n) {
        continue; // stage 2
      }
      TrialScheduler.Work w = replay.next();
      assertEquals(List.of(e.get(0).asInt(), e.get(1).asInt()), List.of(w.trial(), w.rung()));
      replay.reported(w.trial(), w.rung(), e.get(2).asDouble());
    }
    assertNull(replay.next());
    int stopped = 0;
    for (int i = 0; i < n; i++) {
      JsonNode s = trial(rs, i);
      JsonNode f = trial(rf, i);
      assertEquals("finished", f.get("status").asText());
      int epochs = s.get("epochs").asInt();
      assertEquals(epochs == 4 ? "finished" : "stopped", s.get("status").asText());
      stopped += epochs < 4 ? 1 : 0;
      // A stopped trial keeps the checkpoint of its last rung (6 steps an epoch).
      assertTrue(s.get("checkpoint").asText().endsWith(String.format("checkpoint-%09d.sparkcnn", 6 * epochs)),
          s.get("checkpoint").asText());
      assertTrue(Files.exists(Path.of(s.get("checkpoint").asText())));
      // Each rung, trained in pieces and resumed, gives the validation accuracy of the same epoch of the full
      // run (two trials at a time there, one here): the same per-trial results.
      for (JsonNode r : s.get("rungs")) {
        JsonNode epoch = f.get("curve").get(r.get("epochs").asInt() - 1);
        assertEquals(epoch.get("validation_accuracy").asDouble(), r.get("validation_accuracy").asDouble());
        assertEquals(epoch.get("validation_loss").asDouble(), r.get("validation_loss").asDouble());
      }
      if (epochs == 4) {
        assertEquals(f.get("curve"), s.get("curve"));
        assertEquals(f.get("test_accuracy").asDouble(), s.get("test_accuracy").asDouble());
      } else {
        assertTrue(s.get("test_accuracy").isNull(), "a stopped trial is never evaluated on the test set");
      }
    }
    assertTrue(stopped >= 2, "successive halving stopped " + stopped + " of 4");
    assertTrue(rs.get("compute").get("train_images").asLong() < rf.get("compute").get("train_images").asLong());

    // Chosen: the best validation accuracy of the finished stage-1 trials, the same in both sweeps.
    assertEquals(best(rf, n, "validation_accuracy"), rf.get("chosen").asInt());
    assertEquals(rf.get("chosen"), rs.get("chosen"));

    // Stage 2: the chosen coefficients at phi 2, trained to the end, its model larger.
    JsonNode chosen = trial(rs, rs.get("chosen").asInt());
    JsonNode scaled = trial(rs, stageTwo);
    assertEquals(2.0, scaled.get("phi").asDouble());
    assertEquals("finished", scaled.get("status").asText());
    for (String k : new String[] {"alpha", "beta", "gamma"}) {
      assertEquals(chosen.get(k).asDouble(), scaled.get(k).asDouble());
    }
    assertTrue(scaled.get("macs").asDouble() > chosen.get("macs").asDouble());
    assertTrue(scaled.get("inference").get("latency_ms_batch1").asDouble() > 0);
    assertTrue(scaled.get("inference").get("images_per_second_batch64").asDouble() > 0);

    // Every trial's jobs ran in its own FAIR pool and job group; in the concurrent sweep two pools overlapped.
    Set<String> pools = new HashSet<>();
    List<PoolRecorder.Job> trialJobs = new ArrayList<>();
    for (PoolRecorder.Job j : PoolRecorder.JOBS) {
      if (j.pool() != null) {
        assertEquals(j.pool(), j.group());
        pools.add(j.pool());
        trialJobs.add(j);
      }
    }
    assertEquals(Set.of("trial-00", "trial-01", "trial-02", "trial-03", "trial-04"), pools);
    boolean overlap = false;
    for (PoolRecorder.Job x : trialJobs) {
      for (PoolRecorder.Job y : trialJobs) {
        overlap |= !x.pool().equals(y.pool()) && x.start() < y.end()[0] && y.start() < x.end()[0];
      }
    }
    assertTrue(overlap, "no two trials' jobs ran at the same time");

    // The outputs: a CSV row per trial, a page with the chart library and the data inlined, nothing fetched.
    assertEquals(n + 2, Files.readAllLines(full.resolve("results.csv")).size());
    String html = Files.readString(full.resolve("report.html"));
    assertTrue(html.contains("Chart.js v4") && html.contains("\"chosen\": " + rf.get("chosen").asInt()));
    assertFalse(html.contains("src=") || html.contains("href="), "the page loads nothing");
  }

  /** The first of the trials 0..n-1 with the highest value of key. */
  private static int best(JsonNode results, int n, String key) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (trial(results, i).get(key).asDouble() > trial(results, best).get(key).asDouble()) {
        best = i;
      }
    }
    return best;
  }

  /**
   * n 12x12 images of the generated 4-class task and their labels as IDX files; and swapped, the same labels with
   * classes 0 and 1, and 2 and 3, exchanged: a rigged test set on which the better a model is, the worse it does.
   */
  private void idx(Path images, Path labels, Path swapped, int n) throws Exception {
    SampleBlock b = Datasets.generate(0, n, 1, 12, 12, 4, 5);
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
      out.writeInt(0x00000803);
      out.writeInt(n);
      out.writeInt(12);
      out.writeInt(12);
      out.write(b.pixels);
    }
    for (Path p : new Path[] {labels, swapped}) {
      try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(p))) {
        out.writeInt(0x00000801);
        out.writeInt(n);
        for (int y : b.labels) {
          out.writeByte(p == labels ? y : y ^ 1);
        }
      }
    }
  }

  @Test
  void aFailedTrialIsReportedResumeRunsOnlyWhatIsMissingAndTheTestSetNeverChooses() throws Exception {
    idx(dir.resolve("images.idx"), dir.resolve("labels.idx"), dir.resolve("swapped.idx"), 160);
    Path late = dir.resolve("late-labels.idx");
    Path job = dir.resolve("idx.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x12x12, width: 0.125}
        data:
          train: {format: idx, path: %1$s/images.idx, labels: %1$s/labels.idx}
          test: {format: idx, path: %1$s/images.idx, labels: %1$s/swapped.idx}
          validation: {fraction: 0.25}
        training: {epochs: 1, batch: 32, micro_batch: 32, optimizer: adam, lr: 0.003, ranks: 1}
        spark: {master: "local[2]"}
        """.formatted(dir));
    Path sweep = dir.resolve("sweep.yaml");
    Path out = dir.resolve("out");
    Files.writeString(sweep, """
        base: %s
        grid:
          keys: {data.train.labels: [%s, %s], training.lr: [0.00001, 0.01]}
          concurrent: 2
        latency_seconds: 0
        output: %s
        """.formatted(job, dir.resolve("labels.idx"), late, out));
    CommandRun first = CommandRun.of("sweep", sweep.toString());
    assertEquals(0, first.code(), first.err() + first.out());
    JsonNode r = results(out);
    for (int i = 0; i < 4; i++) {
      JsonNode t = trial(r, i);
      // Trials 2 and 3 read labels that are not there yet: failed, with the reason; the others finished.
      assertEquals(i < 2 ? "finished" : "failed", t.get("status").asText(), t.toString());
      if (i >= 2) {
        assertTrue(t.get("error").asText().contains("late-labels.idx"), t.get("error").asText());
      }
    }
    assertTrue(first.out().contains("trial 2 failed: "), first.out());
    Path checkpoint = Path.of(trial(r, 0).get("checkpoint").asText());
    long written = Files.getLastModifiedTime(checkpoint).toMillis();

    // Not over an earlier sweep's results without --resume.
    CommandRun again = CommandRun.of("sweep", sweep.toString());
    assertEquals(2, again.code());
    assertTrue(again.line("sweep").contains("results.json exists"), again.err());

    Files.copy(dir.resolve("labels.idx"), late);
    CommandRun resumed = CommandRun.of("sweep", sweep.toString(), "--resume");
    assertEquals(0, resumed.code(), resumed.err() + resumed.out());
    JsonNode after = results(out);
    for (int i = 0; i < 4; i++) {
      assertEquals("finished", trial(after, i).get("status").asText());
    }
    // Only the two failed trials trained again; the finished ones kept their results and checkpoints.
    assertFalse(resumed.out().contains("trial-00: training") || resumed.out().contains("trial-01: training"),
        resumed.out());
    assertTrue(resumed.out().contains("trial-02: training") && resumed.out().contains("trial-03: training"));
    assertEquals(written, Files.getLastModifiedTime(checkpoint).toMillis());
    assertEquals(trial(r, 0), trial(after, 0).deepCopy());
    // lr 0.01 learns, lr 0.00001 hardly: on validation trials 1 and 3 (the same configuration) are best, and the
    // first of them is chosen; on the rigged test set the weak trials look best. The sweep chose on validation.
    assertEquals(1, after.get("chosen").asInt(), after.toString());
    assertEquals(1, best(after, 4, "validation_accuracy"));
    assertEquals(0, best(after, 4, "test_accuracy"), "the constructed case: the test set would choose trial 0");
    assertTrue(trial(after, 1).get("validation_accuracy").asDouble()
        > trial(after, 0).get("validation_accuracy").asDouble() + 0.2, after.toString());

    // Resuming under another metric would mix rankings: refused, naming both.
    CommandRun otherMetric = CommandRun.of("sweep", sweep.toString(), "--resume", "--set", "metric=validation_loss");
    assertEquals(2, otherMetric.code(), otherMetric.err());
    assertTrue(otherMetric.line("sweep").contains("ranked on validation_accuracy")
        && otherMetric.line("sweep").contains("metric: validation_loss"), otherMetric.err());
    // Ranked on loss: the lowest validation loss is chosen, and results.json says so.
    Path byLoss = dir.resolve("by-loss");
    CommandRun loss = CommandRun.of("sweep", sweep.toString(), "--set", "metric=validation_loss", "--set",
        "output=" + byLoss);
    assertEquals(0, loss.code(), loss.err() + loss.out());
    JsonNode l = results(byLoss);
    assertEquals("validation_loss", l.get("metric").asText());
    int lowest = 0;
    for (int i = 1; i < 4; i++) {
      if (trial(l, i).get("validation_loss").asDouble() < trial(l, lowest).get("validation_loss").asDouble()) {
        lowest = i;
      }
    }
    assertEquals(lowest, l.get("chosen").asInt(), l.toString());
    assertTrue(loss.out().contains("chosen (best validation loss): trial " + lowest), loss.out());
  }
}
