package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every command that reads a checkpoint (evaluate, score, train --resume, train from init.checkpoint), given a
 * damaged one, prints the reader's own message with the path (exit 1), never "null" or a bare exception: a file
 * cut in half or to its first 1,000,000 bytes (what the issue tried), seven bytes of garbage, one flipped byte.
 */
class CorruptCheckpointTest {
  @TempDir
  static Path dir;
  private static Path job;
  private static byte[] good;

  @BeforeAll
  static void trainOne() throws Exception {
    job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16}
        data:
          train: {format: generated, samples: 128, seed: 4}
          test: {format: generated, samples: 64, seed: 4}
        training: {epochs: 1, batch: 32, max_steps: 1}
        spark: {master: 'local[2]'}
        log_every_seconds: 1000
        output: %s
        """.formatted(dir.resolve("run")));
    assertEquals(0, CommandRun.of("train", job.toString()).code());
    try (var files = Files.list(dir.resolve("run/checkpoints"))) {
      good = Files.readAllBytes(files.filter(p -> p.toString().endsWith(".sparkcnn")).findFirst().orElseThrow());
    }
    assertTrue(good.length > 2_000_000, "a checkpoint larger than the cut: " + good.length);
  }

  private static String stderrOf(String... args) {
    CommandRun r = CommandRun.of(args);
    assertEquals(1, r.code(), r.err());
    return r.err();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', value = {
      "evaluate|cut|truncated checkpoint", "evaluate|cut1m|truncated checkpoint",
      "evaluate|garbage|truncated checkpoint", "evaluate|flipped|CRC mismatch",
      "score|cut|truncated checkpoint", "score|garbage|truncated checkpoint", "score|flipped|CRC mismatch",
      "resume|cut1m|truncated checkpoint", "resume|garbage|truncated checkpoint", "resume|flipped|CRC mismatch",
      "init|cut1m|truncated checkpoint", "init|garbage|truncated checkpoint", "init|flipped|CRC mismatch"})
  void theReadersMessageWithThePath(String command, String damage, String expected) throws Exception {
    byte[] bytes = switch (damage) {
      case "cut" -> Arrays.copyOf(good, good.length / 2);
      case "cut1m" -> Arrays.copyOf(good, 1_000_000);
      case "garbage" -> "garbage".getBytes(StandardCharsets.US_ASCII);
      default -> {
        byte[] b = good.clone();
        b[b.length / 2] ^= 0x40;
        yield b;
      }
    };
    Path bad = dir.resolve(command + "-" + damage + ".sparkcnn");
    if (command.equals("resume")) {
      // A run whose only checkpoint is damaged: --resume must say so, not start over.
      bad = Files.createDirectories(dir.resolve("resume-" + damage + "/checkpoints"))
          .resolve("checkpoint-000000001.sparkcnn");
    }
    Files.write(bad, bytes);
    Path tuned = dir.resolve("init-" + damage + ".yaml");
    Files.writeString(tuned, Files.readString(job).replace("output: ", "init: {checkpoint: " + bad + "}\noutput: ")
        .replace(dir.resolve("run").toString(), dir.resolve("tuned-" + damage).toString()));
    String printed = switch (command) {
      case "evaluate" -> stderrOf("evaluate", "--checkpoint", bad.toString(), "--data", job.toString());
      case "score" -> stderrOf("score", "--checkpoint", bad.toString(), "--input", dir.resolve("run").toString(),
          "--output", dir.resolve("scored-" + damage).toString());
      case "resume" -> stderrOf("train", job.toString(), "--resume", "--set",
          "output=" + dir.resolve("resume-" + damage));
      default -> stderrOf("train", tuned.toString());
    };
    String shown = command.equals("resume") || command.equals("init") ? "train" : command;
    String line = printed.lines().filter(l -> l.startsWith("sparkcnn " + shown)).findFirst().orElse("");
    assertTrue(line.contains(bad.toString()) && line.contains(expected), "the reader's message: " + printed);
    assertFalse(line.endsWith("null") || line.contains("Exception"), line);
  }
}
