package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Json;

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
    JsonNode value = Json.tree(json).path(key);
    assertTrue(value.canConvertToLong(), key + " in " + json);
    return value.asLong();
  }

  private static String kind(String metricsLine) {
    return Json.tree(metricsLine).path("kind").asText();
  }

  /** A metrics.jsonl record's kind and step. */
  private static List<Object> record(String metricsLine) {
    JsonNode r = Json.tree(metricsLine);
    return List.of(r.path("kind").asText(), r.path("step").asLong());
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
      assertTrue(Json.tree(first).has(key), key + " in " + first);
    }
    List<String> metrics = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    assertTrue(metrics.stream().anyMatch(l -> kind(l).equals("epoch")), metrics.toString());
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
    assertEquals(List.of("step", 6L), record(before.get(5)), before.toString());
    String resumed = train(job, "--resume", "--set", "training.epochs=2");
    assertEquals(16, number(resumed, "steps"));
    assertEquals(6, number(resumed, "resumed_from_step"));
    // Steps 1-6 of the first run kept as they were, its later records dropped, a mark, then the resumed run.
    List<String> after = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
    assertEquals(before.subList(0, 6), after.subList(0, 6));
    assertEquals(List.of("resumed", 6L), record(after.get(6)), after.toString());
    assertEquals(List.of("step", 7L), record(after.get(7)), after.toString());
    assertEquals(16L, Json.tree(after.get(after.size() - 1)).path("step").asLong(), after.toString());
    assertTrue(Files.exists(dir.resolve("run/checkpoints/checkpoint-000000016.sparkcnn")));
  }

  @Test
  void classNamesGoFromTheJobIntoTheCheckpointReportAndEvaluate() throws Exception {
    Path job = dir.resolve("named.yaml");
    // Awkward on purpose: a comma, '=', quotes, non-ASCII, and one name longer than the table's name column.
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x12x12, width: 0.25}
        data:
          train: {format: generated, samples: 128, seed: 4}
          test: {format: generated, samples: 64, seed: 4}
          class_names: ["T-shirt/top", "a,b=c", 'say "hi"', "Katze \u732b with a very long tail"]
        training: {epochs: 1, batch: 64, optimizer: adam, lr: 0.003}
        output: %s
        log_every_seconds: 1000
        """.formatted(dir.resolve("named")));
    String report = train(job);
    List<String> names = List.of("T-shirt/top", "a,b=c", "say \"hi\"", "Katze \u732b with a very long tail");
    assertEquals(names, CommandRun.strings(Json.tree(report).path("class_names")), report);
    String ckpt;
    try (var files = Files.list(dir.resolve("named/checkpoints"))) {
      ckpt = files.filter(p -> p.toString().endsWith(".sparkcnn")).findFirst().orElseThrow().toString();
    }

    CommandRun json = CommandRun.of("evaluate", "--checkpoint", ckpt, "--data", job.toString(), "--json");
    assertEquals(0, json.code(), json.err());
    JsonNode evaluated = Json.tree(json.out());
    assertEquals(names, CommandRun.strings(evaluated.path("class_names")), json.out());
    JsonNode first = evaluated.path("per_class").path(0);
    assertEquals(0, first.path("class").asInt(-1), json.out());
    assertEquals("T-shirt/top", first.path("name").asText(), json.out());
    assertTrue(first.path("support").isNumber(), json.out());
    for (String key : new String[] {"loss", "accuracy", "top5", "count", "confusion", "checkpoint", "step"}) {
      assertTrue(evaluated.has(key), key + " in " + json.out());
    }

    CommandRun text = CommandRun.of("evaluate", "--checkpoint", ckpt, "--data", job.toString());
    assertEquals(0, text.code(), text.err());
    System.out.print(text.out());
    List<String> lines = text.out().lines().toList();
    int at = lines.indexOf(lines.stream().filter(l -> l.startsWith("confusion matrix")).findFirst().orElseThrow());
    List<String> table = lines.subList(at + 1, at + 6);
    assertTrue(table.get(0).endsWith("|  recall  precision"), table.toString());
    assertTrue(table.get(1).startsWith("0 T-shirt/top        |"), table.toString());
    assertTrue(table.get(2).startsWith("1 a,b=c              |"), table.toString());
    assertTrue(table.get(3).startsWith("2 say \"hi\"           |"), table.toString());
    assertTrue(table.get(4).startsWith("3 Katze \u732b with a ve~ |"), table.toString());
    // Every row as wide as the header (code points: the CJK name is no wider than the others).
    for (String row : table) {
      assertEquals(table.get(0).codePointCount(0, table.get(0).length()), row.codePointCount(0, row.length()),
          table.toString());
    }
  }

  @Test
  void aCheckpointWithoutClassNamesEvaluatesWithNumbers() throws Exception {
    Path job = dir.resolve("old.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 3, input: 1x12x12, width: 0.25}
        data:
          train: {format: generated, samples: 128, seed: 2}
          test: {format: generated, samples: 64, seed: 2}
        training: {epochs: 1, batch: 64, optimizer: adam, lr: 0.003}
        output: %s
        log_every_seconds: 1000
        """.formatted(dir.resolve("old")));
    assertEquals(List.of("0", "1", "2"), CommandRun.strings(Json.tree(train(job)).path("class_names")));
    Path ckpt;
    try (var files = Files.list(dir.resolve("old/checkpoints"))) {
      ckpt = files.filter(p -> p.toString().endsWith(".sparkcnn")).findFirst().orElseThrow();
    }
    // Rewrite it as a checkpoint from before class names: the same spec without the key.
    sparkcnn.models.Checkpoint.Contents c;
    try (var in = Files.newInputStream(ckpt)) {
      c = sparkcnn.models.Checkpoint.read(in, ckpt.toString());
    }
    java.util.Map<String, String> spec = new java.util.LinkedHashMap<>(c.spec());
    assertTrue(spec.remove(sparkcnn.models.ClassNames.KEY) != null);
    sparkcnn.models.Model model = sparkcnn.models.zoo.Zoo.build(sparkcnn.models.zoo.ModelSpec.fromMap(spec));
    sparkcnn.models.Checkpoint.restore(c, model, null, ckpt.toString());
    Path old = dir.resolve("old-style.sparkcnn");
    try (var out = Files.newOutputStream(old)) {
      sparkcnn.models.Checkpoint.write(out, spec, c.step(), c.epoch(), model, null);
    }
    CommandRun r = CommandRun.of("evaluate", "--checkpoint", old.toString(), "--data", job.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of("0", "1", "2"), CommandRun.strings(Json.tree(r.out()).path("class_names")), r.out());
    CommandRun text = CommandRun.of("evaluate", "--checkpoint", old.toString(), "--data", job.toString());
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("\n0 |"), "numbers only, as before: " + text.out());
  }

  @Test
  void aValidationSplitIsEvaluatedEveryEpochAndTheTestSetOnceAtTheEnd() throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 4, input: 1x12x12, width: 0.125}
        data:
          train: {format: generated, samples: 200, seed: 4}
          test: {format: generated, samples: 64, seed: 4}
          validation: {fraction: 0.2, seed: 3}
        training: {epochs: 2, batch: 32, micro_batch: 32, optimizer: adam, lr: 0.003}
        output: %s
        log_every_seconds: 100
        """.formatted(dir.resolve("run")));
    com.fasterxml.jackson.databind.JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        train(job));
    // 200 generated samples of 4 classes: the rounded fifth of each class held out, about 40 in all.
    long held = report.get("validation_samples").asLong();
    assertTrue(held >= 38 && held <= 42, report.toString());
    assertTrue(report.get("validation_accuracy").asDouble() > 0.25, report.toString());
    assertTrue(report.has("test_accuracy"));
    List<com.fasterxml.jackson.databind.JsonNode> epochs = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("run/metrics.jsonl"))) {
      com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
      if (m.get("kind").asText().equals("epoch")) {
        epochs.add(m);
      }
    }
    assertEquals(2, epochs.size());
    assertTrue(epochs.get(0).has("validation_accuracy") && !epochs.get(0).has("test_accuracy"), epochs.toString());
    assertTrue(epochs.get(1).has("validation_accuracy") && epochs.get(1).has("test_accuracy"), epochs.toString());
    assertEquals(report.get("validation_accuracy"), epochs.get(1).get("validation_accuracy"));
  }
}
