package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Json;

/**
 * Hostile and odd files ({@link HostileImages}: empty, text, truncated JPEG and PNG, 20000 x 20000 headers, 16-bit
 * grey, RGBA, palette, CMYK, YCCK, EXIF-rotated, upper-case extensions, spaces and non-ASCII letters) in a class
 * tree, through the commands: `train` skips exactly the bad ones and counts them (and stops, naming the count and
 * the first, past max_bad_fraction), `evaluate` counts them, and `score`, run in a JVM of -Xmx1g as an executor
 * of that size would, writes one row per file with the error of each bad one and finishes.
 */
class HostileImagesCommandTest {
  @TempDir
  static Path dir;

  /** Two classes of 40 ordinary images; the hostile files go into the first (6 bad, 11 odd but good). */
  private static Path tree() throws IOException {
    Path root = dir.resolve("tree");
    Random r = new Random(5);
    List<String> classes = List.of("k\u00e4tzchen", "dogs 2");
    for (int c = 0; c < 2; c++) {
      Path sub = Files.createDirectories(root.resolve(classes.get(c)));
      for (int i = 0; i < 40; i++) {
        var img = HostileImages.noise(16, 16, r, false);
        // Class 1 is brighter: something to learn.
        for (int y = 0; y < 16; y++) {
          for (int x = 0; x < 16; x++) {
            int v = img.getRGB(x, y) & 0x3f3f3f;
            img.setRGB(x, y, c == 1 ? v | 0xc0c0c0 : v);
          }
        }
        Files.write(sub.resolve("img" + i + (i % 2 == 0 ? ".png" : ".jpg")), i % 2 == 0 ? HostileImages.png(img)
            : HostileImages.jpeg(img));
      }
    }
    HostileImages.write(root.resolve(classes.get(0)), HostileImages.all());
    return root;
  }

  private static Path job(Path tree, double maxBad, String run) throws IOException {
    Path job = dir.resolve(run + ".yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 2, input: 3x16x16, width: 0.5}
        data:
          train: {format: folder, path: '%s', max_bad_fraction: %s}
          test: {format: folder, path: '%s', max_bad_fraction: %s}
        training: {epochs: 1, batch: 32, optimizer: adam, lr: 0.003}
        spark: {master: 'local[2]'}
        output: '%s'
        log_every_seconds: 1000
        """.formatted(tree, maxBad, tree, maxBad, dir.resolve(run)));
    return job;
  }

  @Test
  void trainEvaluateAndScoreTakeEveryBadFileAsOneSkipOrOneErrorRow() throws Exception {
    Path tree = tree();
    List<HostileImages.Sample> samples = HostileImages.all();
    long bad = samples.stream().filter(s -> s.error() != null).count();
    long files = 80 + samples.size();

    // Training: 6 of 97 unreadable, tolerated at 0.1 and counted; refused at the default 0.01, naming the first.
    CommandRun train = CommandRun.of("train", job(tree, 0.1, "run").toString(), "--json");
    assertEquals(0, train.code(), train.err());
    JsonNode report = Json.tree(train.out());
    assertEquals(2 * bad, report.path("unreadable_images").asLong(), train.out()); // train and test: the same tree
    String checkpoint = report.path("checkpoint").asText();
    for (HostileImages.Sample s : samples) {
      if (s.error() != null) {
        assertTrue(train.err().contains(s.name() + ": ") || train.out().contains(s.name()), s.name() + " not "
            + "reported:\n" + train.err());
      }
    }
    CommandRun strict = CommandRun.of("train", job(tree, 0.01, "strict").toString());
    assertEquals(1, strict.code(), strict.err());
    assertTrue(strict.line("train").contains(bad + " of " + files + " images are unreadable, more than the allowed "
        + "fraction 0.01 (first: "), strict.err());

    // Evaluation on the same tree counts the same files.
    CommandRun eval = CommandRun.of("evaluate", "--checkpoint", checkpoint, "--data", job(tree, 0.1, "eval")
        .toString(), "--json");
    assertEquals(0, eval.code(), eval.err());
    assertEquals(bad, Json.tree(eval.out()).path("unreadable_images").asLong(), eval.out());

    // Scoring in a JVM of 1 GB: the 20000 x 20000 headers would need 1.2 GB each if decoded.
    Path out = dir.resolve("scored");
    Process p = scoreInSmallJvm(checkpoint, tree, out);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "score did not finish");
    String log = Files.readString(dir.resolve("score.log"), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), log);
    Map<String, String> errors = new HashMap<>();
    SparkSession spark = SparkSession.builder().master("local[1]").appName("read scores").getOrCreate();
    try {
      for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
        String path = row.getString(row.fieldIndex("path"));
        errors.put(path.substring(path.indexOf("/tree/") + 6), row.getString(row.fieldIndex("error")));
      }
    } finally {
      spark.stop();
    }
    assertEquals(files, errors.size(), errors.keySet().toString());
    for (HostileImages.Sample s : samples) {
      String key = "k\u00e4tzchen/" + s.name();
      assertTrue(errors.containsKey(key), key + " has no row: " + errors.keySet());
      String error = errors.get(key);
      if (s.error() == null) {
        assertEquals(null, error, s.name());
      } else {
        assertTrue(error != null && error.contains(s.error()), s.name() + ": " + error);
      }
    }
    assertEquals(bad, errors.values().stream().filter(e -> e != null).count(), errors.toString());
  }

  /** `score` in a child JVM of -Xmx1g (local mode: the executors are that JVM), output and log to files. */
  private static Process scoreInSmallJvm(String checkpoint, Path input, Path output) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().split(" ")));
    cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "sparkcnn.jobs.Main", "score", "--checkpoint", checkpoint, "--input", input.toString(), "--output",
        output.toString(), "--partitions", "2", "--json"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("score.log").toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }
}
