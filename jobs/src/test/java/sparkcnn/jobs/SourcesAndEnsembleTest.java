package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.models.Json;

/**
 * The data paths a user reaches through the commands: `train --set data.train.format=image` (Spark's image
 * source, from spark-mllib; before this it failed with DATA_SOURCE_NOT_FOUND) and binaryFile (Spark's source),
 * training from a Parquet table, `evaluate` giving the same loss and accuracy whichever way the same images are
 * read, `score` of a Parquet table giving each image the probabilities its file gets, and an ensemble of two
 * checkpoints scoring the mean of their probabilities.
 */
class SourcesAndEnsembleTest {
  @TempDir
  static Path dir;

  private static final List<String> CLASSES = List.of("0 dark", "1 mid", "2 light");

  /**
   * 3 classes of 24 RGB images by brightness (folder names sort in label order), as a folder tree and as a Parquet
   * table (name, image, label).
   */
  private static void data(Path tree, Path table) throws IOException {
    Random r = new Random(2);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      Path sub = Files.createDirectories(tree.resolve(CLASSES.get(c)));
      for (int i = 0; i < 24; i++) {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
          for (int x = 0; x < 16; x++) {
            int v = Math.min(255, c * 90 + r.nextInt(80));
            img.setRGB(x, y, v << 16 | (255 - v) << 8 | r.nextInt(256));
          }
        }
        String name = CLASSES.get(c) + "/" + i + ".png";
        byte[] png = HostileImages.png(img);
        Files.write(tree.resolve(name), png);
        rows.add(RowFactory.create(name, png, c));
      }
    }
    SparkSession spark = SparkSession.builder().master("local[1]").appName("table").getOrCreate();
    try {
      spark.createDataFrame(rows, new StructType().add("name", DataTypes.StringType)
          .add("image", DataTypes.BinaryType).add("label", DataTypes.IntegerType)).write().parquet(table.toString());
    } finally {
      spark.stop();
    }
  }

  private static String train(Path job, String... sets) {
    List<String> args = new ArrayList<>(List.of("train", job.toString(), "--json"));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    CommandRun r = CommandRun.of(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    return Json.tree(r.out()).path("checkpoint").asText();
  }

  private static JsonNode evaluate(String checkpoint, String data) {
    CommandRun r = CommandRun.of("evaluate", "--checkpoint", checkpoint, "--data", data, "--json");
    assertEquals(0, r.code(), data + ": " + r.err());
    return Json.tree(r.out());
  }

  /** Each scored row's probability per class, by the image's name (class/i.png). */
  private static Map<String, float[]> score(Path input, String output, String... options) {
    List<String> args = new ArrayList<>(List.of("score", "--input", input.toString(), "--output",
        dir.resolve(output).toString(), "--top-k", "3"));
    args.addAll(List.of(options));
    CommandRun r = CommandRun.of(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    Map<String, float[]> out = new HashMap<>();
    SparkSession spark = SparkSession.builder().master("local[1]").appName("read").getOrCreate();
    try {
      for (Row row : spark.read().parquet(dir.resolve(output).toString()).collectAsList()) {
        String path = row.getString(row.fieldIndex("path"));
        List<Integer> classes = row.getList(row.fieldIndex("classes"));
        List<Float> probs = row.getList(row.fieldIndex("probabilities"));
        float[] p = new float[3];
        for (int i = 0; i < 3; i++) {
          p[classes.get(i)] = probs.get(i);
        }
        out.put(path.substring(path.length() - name(path).length()), p);
      }
    } finally {
      spark.stop();
    }
    return out;
  }

  /** "class/i.png" at the end of a path or id. */
  private static String name(String path) {
    int slash = path.lastIndexOf('/', path.lastIndexOf('/') - 1);
    return path.substring(slash + 1);
  }

  @Test
  void everySourceReadsTheSameImagesAndAnEnsembleAveragesItsMembers() throws Exception {
    Path tree = dir.resolve("tree");
    Path table = dir.resolve("table.parquet");
    data(tree, table);
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: tf_convnet, classes: 3, input: 3x16x16, width: 0.5}
        data:
          train: {format: folder, path: '%s'}
          test: {format: folder, path: '%s'}
        training: {epochs: 2, batch: 24, optimizer: adam, lr: 0.003}
        spark: {master: 'local[2]'}
        log_every_seconds: 1000
        """.formatted(tree, tree));
    // As a user tried it: the image source for training, binaryFile for the test set.
    String a = train(job, "data.train.format=image", "data.test.format=binaryFile", "output=" + dir.resolve("a"));
    String b = train(job, "data.train.format=parquet", "data.train.path=" + table, "training.seed=9",
        "output=" + dir.resolve("b"));

    JsonNode folder = evaluate(a, "folder:" + tree);
    assertEquals(72, folder.path("count").asLong());
    for (String data : List.of("image:" + tree, "binaryFile:" + tree, "parquet:" + table)) {
      JsonNode other = evaluate(a, data);
      assertEquals(folder.path("count").asLong(), other.path("count").asLong(), data);
      assertEquals(folder.path("accuracy").asDouble(), other.path("accuracy").asDouble(), data);
      assertEquals(folder.path("loss").asDouble(), other.path("loss").asDouble(), 1e-6, data);
    }

    // A Parquet table scored (rows named by its id column) as its files are.
    Map<String, float[]> files = score(tree, "files", "--checkpoint", a);
    Map<String, float[]> rows = score(table, "rows", "--checkpoint", a, "--id-column", "name");
    assertEquals(72, files.size());
    assertEquals(files.keySet(), rows.keySet());
    for (String k : files.keySet()) {
      for (int c = 0; c < 3; c++) {
        assertEquals(files.get(k)[c], rows.get(k)[c], 1e-6, k);
      }
    }

    // Two checkpoints: each image's probabilities are the mean of the members'.
    Map<String, float[]> second = score(tree, "second", "--checkpoint", b);
    Map<String, float[]> both = score(tree, "both", "--checkpoint", a, "--checkpoint", b);
    int differ = 0;
    for (String k : files.keySet()) {
      for (int c = 0; c < 3; c++) {
        assertEquals((files.get(k)[c] + second.get(k)[c]) / 2, both.get(k)[c], 2e-6, k);
        differ += Math.abs(files.get(k)[c] - second.get(k)[c]) > 1e-3 ? 1 : 0;
      }
    }
    assertTrue(differ > 0, "the two members score alike: the ensemble test would prove nothing");
  }
}
