package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Checkpoint;

/**
 * Fine-tuning through `train`: a run started from another run's checkpoint with another class count replaces
 * and names the head, keeps the frozen backbone bit for bit (features pre-computed and cached, read again by
 * the next run), and a checkpoint that does not fit stops the run naming the layer.
 */
class FineTuneCommandTest {
  @TempDir
  Path dir;

  private Path job(String name, String body) throws IOException {
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, body.formatted(dir.resolve(name)));
    return f;
  }

  private static Checkpoint.Contents read(Path p) throws IOException {
    try (InputStream in = new FileInputStream(p.toFile())) {
      return Checkpoint.read(in, p.toString());
    }
  }

  private static Path last(Path run) throws IOException {
    try (var files = Files.list(run.resolve("checkpoints"))) {
      return files.filter(p -> p.toString().endsWith(".sparkcnn")).sorted().reduce((a, b) -> b).orElseThrow();
    }
  }

  @Test
  void startsFromAnotherRunReplacesTheHeadAndKeepsTheBackbone() throws Exception {
    Path pretrain = job("pretrain", """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.25}
        data:
          train: {format: generated, samples: 256, seed: 4}
        training: {epochs: 1, batch: 64, optimizer: adam, lr: 0.003}
        output: %s
        log_every_seconds: 0
        """);
    CommandRun a = CommandRun.of("train", pretrain.toString());
    assertEquals(0, a.code(), a.err());
    Path source = last(dir.resolve("pretrain"));
    String fineTune = """
        model: {architecture: tf_convnet, classes: 2, input: 1x16x16, width: 0.25}
        data:
          train: {format: generated, samples: 192, seed: 8}
          test: {format: generated, samples: 64, seed: 8}
        training: {epochs: 2, batch: 32, optimizer: adam, lr: 0.01, freeze: [all_but_head], features: precompute}
        init: {checkpoint: SOURCE}
        features: {path: FEATURES}
        output: %s
        log_every_seconds: 0
        """.replace("SOURCE", source.toString()).replace("FEATURES", dir.resolve("features").toString());
    Path tune = job("tune", fineTune);
    CommandRun b = CommandRun.of("train", tune.toString());
    assertEquals(0, b.code(), b.err());
    assertTrue(b.out().contains("initialized 3 layers from " + source) && b.out().contains(
        "re-initialized (new shape): 8 (linear 256->2)"), b.out());
    assertTrue(b.out().contains("pre-computed features (256) of 192 samples"), b.out());
    float[] before = read(source).blocks().get("params");
    float[] after = read(last(dir.resolve("tune"))).blocks().get("params");
    int backbone = before.length - (256 * 4 + 4);
    assertArrayEquals(Arrays.copyOf(before, backbone), Arrays.copyOf(after, backbone), "the frozen backbone");
    assertEquals(backbone + 256 * 2 + 2, after.length);
    // The checkpoint is the whole model: evaluate runs it on images.
    CommandRun eval = CommandRun.of("evaluate", "--checkpoint", last(dir.resolve("tune")).toString(), "--data",
        tune.toString());
    assertEquals(0, eval.code(), eval.err());
    // A second run reads the cached features instead of computing them.
    CommandRun c = CommandRun.of("train", tune.toString(), "--set", "output=" + dir.resolve("tune2"));
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().contains("reading pre-computed features from " + dir.resolve("features")), c.out());
    assertFalse(c.out().contains("pre-computed features (256)"), c.out());
    assertArrayEquals(after, read(last(dir.resolve("tune2"))).blocks().get("params"), "same features, same run");
  }

  @Test
  void aCheckpointThatDoesNotFitStopsTheRunNamingTheLayer() throws Exception {
    Path pretrain = job("wide", """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.5}
        data:
          train: {format: generated, samples: 64, seed: 4}
        training: {epochs: 1, batch: 64, optimizer: adam, lr: 0.003}
        output: %s
        log_every_seconds: 0
        """);
    assertEquals(0, CommandRun.of("train", pretrain.toString()).code());
    Path source = last(dir.resolve("wide"));
    Path tune = job("narrow", """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.25}
        data:
          train: {format: generated, samples: 64, seed: 4}
        training: {epochs: 1, batch: 64}
        init: {checkpoint: SOURCE}
        output: %s
        """.replace("SOURCE", source.toString()));
    CommandRun r = CommandRun.of("train", tune.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains(source.toString()) && r.err().contains("layer '0.0'"), r.err());
    CommandRun missing = CommandRun.of("train", tune.toString(), "--set", "init.checkpoint=" + dir.resolve("nope"));
    assertEquals(1, missing.code(), missing.err());
    assertTrue(missing.err().contains(dir.resolve("nope") + ": no such checkpoint"), missing.err());
  }
}
