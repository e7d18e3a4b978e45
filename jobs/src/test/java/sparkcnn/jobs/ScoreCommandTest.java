package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Json;

/**
 * Scoring through the command: a checkpoint from a short training run, then 1,000 generated PNG and JPEG files
 * with a few corrupt ones: one row per file, error rows for the corrupt ones, nothing overwritten. (The heap's
 * flatness is measured in the driver's ScoreHeapTest, on inputs large enough for a leak to show.)
 */
class ScoreCommandTest {
  @TempDir
  static Path dir;

  private static int run(ByteArrayOutputStream out, String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  /** The checkpoint's class names: a comma, '=', quotes, non-ASCII. */
  static final List<String> NAMES = List.of("a,b", "x=\"y\"", "\u732b cat");

  private static String checkpoint;

  /** A checkpoint from a short training run (once for the class). */
  private static String checkpoint() throws IOException {
    if (checkpoint != null) {
      return checkpoint;
    }
    Path job = dir.resolve("tiny.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 3, input: 1x16x16, width: 0.5}
        data:
          train: {format: generated, samples: 256}
          class_names: ['a,b', 'x="y"', "\u732b cat"]
        training: {epochs: 1, batch: 64, optimizer: adam, lr: 0.001}
        output: %s
        log_every_seconds: 1000
        """.formatted(dir.resolve("run")));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, run(out, "train", job.toString(), "--json"));
    String json = out.toString(StandardCharsets.UTF_8);
    checkpoint = Json.tree(json).path("checkpoint").asText();
    return checkpoint;
  }

  /** n images in 10 subfolders, alternating PNG and JPEG, random sizes around 16x16, plus 3 corrupt files. */
  private static Path images(String name, int n) throws IOException {
    Path root = dir.resolve(name);
    Random r = new Random(n);
    for (int i = 0; i < n; i++) {
      Path sub = Files.createDirectories(root.resolve("part" + i % 10));
      BufferedImage img = new BufferedImage(12 + r.nextInt(10), 12 + r.nextInt(10), BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < img.getHeight(); y++) {
        for (int x = 0; x < img.getWidth(); x++) {
          img.setRGB(x, y, r.nextInt(1 << 24));
        }
      }
      boolean png = i % 2 == 0;
      ImageIO.write(img, png ? "png" : "jpg", sub.resolve("img" + i + (png ? ".png" : ".jpg")).toFile());
    }
    Files.write(root.resolve("part0/empty.jpg"), new byte[0]);
    Files.write(root.resolve("part1/text.png"), "not an image".getBytes());
    byte[] jpg = Files.readAllBytes(root.resolve("part1/img1.jpg"));
    Files.write(root.resolve("part2/truncated.jpg"), java.util.Arrays.copyOf(jpg, jpg.length / 4));
    return root;
  }

  /** Scores a folder into CSV; returns {rows, error rows}. */
  private static long[] score(String checkpoint, Path input, Path output) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = run(out, "score", "--checkpoint", checkpoint, "--input", input.toString(), "--output",
        output.toString(), "--format", "csv", "--batch", "64", "--json");
    assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
    List<String> rows = new ArrayList<>();
    try (Stream<Path> parts = Files.list(output)) {
      for (Path p : parts.filter(f -> f.getFileName().toString().endsWith(".csv")).toList()) {
        List<String> lines = Files.readAllLines(p);
        rows.addAll(lines.subList(1, lines.size()));
      }
    }
    long errors = rows.stream().filter(l -> !l.endsWith(",")).count();
    return new long[] {rows.size(), errors};
  }

  @Test
  void oneRowPerFileErrorRowsForCorruptOnesAndNothingOverwritten() throws Exception {
    String ckpt = checkpoint();
    long[] small = score(ckpt, images("small", 1000), dir.resolve("small-out"));
    assertEquals(1003, small[0]);
    assertEquals(3, small[1]);
    // Nothing is overwritten: scoring into an existing output is refused.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(1, run(out, "score", "--checkpoint", ckpt, "--input", dir.resolve("small").toString(), "--output",
        dir.resolve("small-out").toString()));
  }

  @Test
  void rowsNameTheirClassesInParquetAndCsv() throws Exception {
    String ckpt = checkpoint();
    Path input = images("few", 20);
    for (String format : new String[] {"parquet", "csv"}) {
      CommandRun r = CommandRun.of("score", "--checkpoint", ckpt, "--input", input.toString(), "--output",
          dir.resolve("few-" + format).toString(), "--format", format, "--top-k", "2");
      assertEquals(0, r.code(), r.err());
    }
    List<String> csvLines = new ArrayList<>();
    try (Stream<Path> parts = Files.list(dir.resolve("few-csv"))) {
      for (Path p : parts.filter(f -> f.getFileName().toString().endsWith(".csv")).toList()) {
        csvLines.addAll(Files.readAllLines(p));
      }
    }
    assertEquals("path,top_class,top_class_name,top_probability,classes,class_names,probabilities,error",
        csvLines.get(0));
    SparkSession spark = SparkSession.builder().master("local[1]").appName("read scores").getOrCreate();
    try {
      Dataset<Row> parquet = spark.read().parquet(dir.resolve("few-parquet").toString());
      Dataset<Row> csv = spark.read().option("header", "true").option("escape", "\"")
          .csv(dir.resolve("few-csv").toString());
      for (Dataset<Row> df : List.of(parquet, csv)) {
        assertEquals(List.of("path", "top_class", "top_class_name", "top_probability", "classes", "class_names",
            "probabilities", "error"), List.of(df.columns()));
        List<Row> rows = df.collectAsList();
        assertEquals(23, rows.size());
        int named = 0;
        for (Row row : rows) {
          if (row.getAs("error") != null) {
            assertTrue(row.isNullAt(row.fieldIndex("top_class_name")));
            continue;
          }
          boolean isCsv = df == csv;
          int top = isCsv ? Integer.parseInt(row.getString(row.fieldIndex("top_class"))) : (Integer) row.getAs("top_class");
          assertEquals(NAMES.get(top), row.getString(row.fieldIndex("top_class_name")));
          List<Integer> classes = new ArrayList<>();
          if (isCsv) {
            for (String c : row.getString(row.fieldIndex("classes")).split(";")) {
              classes.add(Integer.parseInt(c));
            }
          } else {
            classes.addAll(row.getList(row.fieldIndex("classes")));
          }
          assertEquals(2, classes.size());
          assertEquals(top, classes.get(0));
          List<String> expected = classes.stream().map(NAMES::get).toList();
          if (isCsv) {
            String json = Json.write(expected);
            assertEquals(json, row.getString(row.fieldIndex("class_names")));
            // RFC 4180 quoting, which any CSV reader understands: the field in quotes, a quote inside it doubled.
            String quoted = "\"" + json.replace("\"", "\"\"") + "\"";
            assertTrue(csvLines.stream().anyMatch(l -> l.contains(quoted)), quoted + " in " + csvLines);
          } else {
            assertEquals(expected, row.getList(row.fieldIndex("class_names")));
          }
          named++;
        }
        assertEquals(20, named);
      }
    } finally {
      spark.stop();
    }
  }
}
