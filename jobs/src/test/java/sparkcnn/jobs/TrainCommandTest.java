package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `train` end to end on generated data: the JSON summary, report, metrics and checkpoints, and --resume. */
class TrainCommandTest {
  @TempDir
  Path dir;

  private String train(Path job, String... extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] args = new String[2 + extra.length + 1];
    args[0] = "train";
    args[1] = job.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    args[args.length - 1] = "--json";
    assertEquals(0, Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8)));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static long number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": ([0-9]+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Long.parseLong(m.group(1));
  }

  @Test
  void trainsWritesItsOutputsAndResumes() throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: cifar_resnet20, classes: 4, input: 1x12x12, width: 0.5, depth: 0.3}
        data:
          train: {format: generated, samples: 512, seed: 4}
          test: {format: generated, samples: 128, seed: 4}
        training: {epochs: 1, batch: 64, micro_batch: 32, optimizer: adam, lr: 0.003}
        checkpoint: {every_steps: 2, keep: 2}
        output: %s
        log_every_seconds: 0
        """.formatted(dir.resolve("run")));
    String first = train(job);
    assertEquals(8, number(first, "steps"));
    for (String key : new String[] {"test_accuracy", "test_loss", "checkpoint", "metrics", "seconds"}) {
      assertTrue(first.contains("\"" + key + "\""), key + " in " + first);
    }
    List<String> metrics = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    assertTrue(metrics.stream().anyMatch(l -> l.contains("\"kind\": \"epoch\"")), metrics.toString());
    assertTrue(Files.exists(dir.resolve("run/report.json")));
    try (var files = Files.list(dir.resolve("run/checkpoints"))) {
      // Four checkpoints written (steps 2, 4, 6, 8), checkpoint.keep of them kept.
      assertEquals(List.of("checkpoint-000000006.sparkcnn", "checkpoint-000000008.sparkcnn"), files
          .map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sparkcnn")).sorted().toList());
    }
    // --resume with a longer run continues from step 8 and ends at 16.
    // As if the run had died after step 8's records but before its checkpoint: resume from step 6.
    Files.delete(dir.resolve("run/checkpoints/checkpoint-000000008.sparkcnn"));
    List<String> before = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    assertTrue(before.get(5).startsWith("{\"kind\": \"step\", \"step\": 6,"), before.toString());
    String resumed = train(job, "--resume", "--set", "training.epochs=2");
    assertEquals(16, number(resumed, "steps"));
    assertEquals(6, number(resumed, "resumed_from_step"));
    // Steps 1-6 of the first run kept as they were, its later records dropped, a mark, then the resumed run.
    List<String> after = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    assertEquals(before.subList(0, 6), after.subList(0, 6));
    assertTrue(after.get(6).contains("\"kind\": \"resumed\"") && after.get(6).contains("\"step\": 6"),
        after.toString());
    assertTrue(after.get(7).startsWith("{\"kind\": \"step\", \"step\": 7,"), after.toString());
    assertTrue(after.get(after.size() - 1).contains("\"step\": 16"), after.toString());
    assertTrue(Files.exists(dir.resolve("run/checkpoints/checkpoint-000000016.sparkcnn")));
  }
}
