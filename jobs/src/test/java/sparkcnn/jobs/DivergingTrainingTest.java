package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Checkpoint;

/**
 * A learning rate that diverges (SGD at an effective 100,000: lr 10 with every layer's multiplier at 10,000; at lr 10
 * alone the loss reached 1e12 and then the ReLUs died, finite), through `train` as a user runs it: the first non-finite step stops the run
 * (exit 1, one line naming the step, the epoch and the layer) and the checkpoint of the step before it is intact
 * and finite; with training.skip_nonfinite the bad steps change nothing and are counted in report.json, and one
 * more than allowed stops the run naming the ones skipped.
 */
class DivergingTrainingTest {
  @TempDir
  Path dir;

  private Path job(String output, String extra) throws Exception {
    Path job = dir.resolve(output + ".yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.25}
        data:
          train: {format: generated, samples: 256, seed: 8}
          partitions: 2
        training:
          epochs: 4
          batch: 32
          optimizer: sgd
          lr: 10
          lr_multipliers: {all_but_head: 10000, head: 10000}
          schedule: constant
          seed: 2
        %s
        checkpoint: {every_steps: 1, keep: 100}
        spark: {master: 'local[2]'}
        log_every_seconds: 1000
        output: %s
        """.formatted(extra, dir.resolve(output)));
    return job;
  }

  private static Checkpoint.Contents read(Path p) throws Exception {
    try (InputStream in = Files.newInputStream(p)) {
      return Checkpoint.read(in, p.toString());
    }
  }

  private static Path checkpoint(Path run, long step) {
    return run.resolve(String.format("checkpoints/checkpoint-%09d.sparkcnn", step));
  }

  @Test
  void theFirstNonFiniteStepStopsTheRunAndSkippingCountsAndChangesNothing() throws Exception {
    CommandRun stopped = CommandRun.of("train", job("diverging", "").toString());
    assertEquals(1, stopped.code(), stopped.err());
    Matcher m = Pattern.compile("^sparkcnn train: failed: step (\\d+) \\(epoch (\\d)\\): (the gradient of layer '[^']+'"
        + " \\(layer [0-9.]+, parameters \\d+-\\d+\\) is not finite \\(the first such layer\\)(, and the loss is \\S+)?|the loss is \\S+); stopped before "
        + "applying it \\(the newest checkpoint is the last good state; lower training.lr or set training.clip_norm\\)$")
        .matcher(stopped.line("train"));
    assertTrue(m.find(), stopped.err());
    long bad = Long.parseLong(m.group(1));
    assertTrue(bad >= 2, "diverges after a good step: " + bad);
    Path run = dir.resolve("diverging");
    // The last good state, intact: the checkpoint of the step before, readable and finite; none after it.
    Checkpoint.Contents good = read(checkpoint(run, bad - 1));
    for (float v : good.blocks().get("params")) {
      assertTrue(Float.isFinite(v));
    }
    assertTrue(!Files.exists(checkpoint(run, bad)), "no checkpoint of the bad step");

    // Skipping two: the run ends at max_steps = bad + 1 with both skipped; the model is the last good one.
    CommandRun skipped = CommandRun.of("train", job("skipping", "  skip_nonfinite: 2\n  max_steps: " + (bad + 1))
        .toString(), "--json");
    assertEquals(0, skipped.code(), skipped.err());
    JsonNode report = new ObjectMapper().readTree(skipped.out());
    assertEquals(2, report.get("skipped_nonfinite").asInt(), skipped.out());
    assertEquals("[" + bad + "," + (bad + 1) + "]", report.get("skipped_nonfinite_steps").toString());
    assertEquals(report, new ObjectMapper().readTree(Files.readString(dir.resolve("skipping/report.json"))));
    assertTrue(skipped.err().contains("step " + bad + " (epoch ") && skipped.err().contains("skipped (2 of "
        + "training.skip_nonfinite: 2)"), skipped.err());
    assertArrayEquals(good.blocks().get("params"), read(checkpoint(dir.resolve("skipping"), bad + 1)).blocks()
        .get("params"), "skipped steps change nothing");

    // One more than allowed (here a few good steps later) stops the run, saying which were skipped.
    CommandRun over = CommandRun.of("train", job("over", "  skip_nonfinite: 2").toString());
    assertEquals(1, over.code(), over.err());
    Matcher third = Pattern.compile("^sparkcnn train: failed: step (\\d+) \\(epoch ").matcher(over.line("train"));
    assertTrue(third.find() && Long.parseLong(third.group(1)) > bad + 1 && over.line("train").endsWith("; 2 earlier "
        + "non-finite step(s) skipped [" + bad + ", " + (bad + 1) + "], training.skip_nonfinite is 2"), over.err());
  }
}
