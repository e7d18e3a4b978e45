package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A label the model cannot have stops `train` before its first step: exit 2, the label file and the record. So do
 * class folders that disagree with each other or with data.class_names; agreeing folders name the classes.
 */
class BadLabelsTest {
  @TempDir
  Path dir;

  /** 40 images of 8x8; labels i mod 10, except record `bad`, which gets label `value`. */
  private Path[] idx(int bad, int value) throws Exception {
    Path images = dir.resolve("images.idx");
    Path labels = dir.resolve("labels.idx");
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
      out.writeInt(0x00000803);
      out.writeInt(40);
      out.writeInt(8);
      out.writeInt(8);
      for (int i = 0; i < 40 * 64; i++) {
        out.writeByte(i * 7 & 0xff);
      }
    }
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labels))) {
      out.writeInt(0x00000801);
      out.writeInt(40);
      for (int i = 0; i < 40; i++) {
        out.writeByte(i == bad ? value : i % 10);
      }
    }
    return new Path[] {images, labels};
  }

  @ParameterizedTest(name = "classes {0}, record {1} labelled {2}")
  @CsvSource({"10, 13, 12, 13, 12", "4, 0, 0, 4, 4", "10, 39, 255, 39, 255"})
  void stopsBeforeTheFirstStepNamingTheFileAndTheRecord(int classes, int bad, int value, int record, int label)
      throws Exception {
    Path[] files = idx(bad, value);
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: %d, input: 1x32x32}
        data:
          train: {format: idx, path: %s, labels: %s}
          partitions: 3
        training: {epochs: 1, batch: 8}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(classes, files[0], files[1], dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString());
    String printed = r.err();
    assertEquals(2, r.code(), printed);
    assertTrue(printed.contains("sparkcnn train: " + files[1] + ": record " + record + ": label " + label
        + " is outside [0, " + classes + ")"), printed);
    assertTrue(!Files.exists(dir.resolve("run/checkpoints")), "nothing trained");
  }

  private void tree(Path root, String... classes) throws Exception {
    for (String c : classes) {
      Files.createDirectories(root.resolve(c));
      for (int i = 0; i < 3; i++) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8,
            java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(i, i, 0, 200);
        javax.imageio.ImageIO.write(img, "png", root.resolve(c).resolve(i + ".png").toFile());
      }
    }
  }

  @org.junit.jupiter.api.Test
  void trainAndTestTreesWithDifferentClassFoldersAreRefusedNamingBoth() throws Exception {
    tree(dir.resolve("train"), "cat", "dog");
    tree(dir.resolve("test"), "cat", "cow");
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 2, input: 1x32x32}
        data:
          train: {format: folder, path: %s}
          test: {format: folder, path: %s}
        training: {epochs: 1, batch: 2}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(dir.resolve("train"), dir.resolve("test"), dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString());
    String printed = r.err();
    assertEquals(2, r.code(), printed);
    assertTrue(printed.contains("the test tree's class folders [cat, cow] differ from the training tree's [cat, dog]"),
        printed);
  }

  @org.junit.jupiter.api.Test
  void classNamesThatDifferFromTheClassFoldersAreRefusedNamingBoth() throws Exception {
    tree(dir.resolve("train"), "cat", "dog");
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 2, input: 1x32x32}
        data:
          train: {format: folder, path: %s}
          class_names: [dog, cat]
        training: {epochs: 1, batch: 2}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(dir.resolve("train"), dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString());
    String printed = r.err();
    assertEquals(2, r.code(), printed);
    assertTrue(printed.contains("sparkcnn train: " + job + ": data.class_names [dog, cat] differ from the class "
        + "folders of " + dir.resolve("train") + ": [cat, dog]"), printed);
    assertTrue(!Files.exists(dir.resolve("run/checkpoints")), "nothing trained");
  }

  @org.junit.jupiter.api.Test
  void classFoldersNameTheClasses() throws Exception {
    tree(dir.resolve("train"), "cat", "dog", "h\u00fchner, =wild");
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 4, input: 1x32x32}
        data:
          train: {format: folder, path: %s}
        training: {epochs: 1, batch: 3, max_steps: 1}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(dir.resolve("train"), dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    // Three folders for four classes: the last has no folder and keeps its number.
    assertEquals(List.of("cat", "dog", "h\u00fchner, =wild", "3"), CommandRun.strings(r.json().path("class_names")),
        r.out());
    assertTrue(r.err().contains("class names (4, the class folders): [\"cat\", \"dog\", \"h\u00fchner, =wild\", \"3\"]"),
        r.err());
    String ckpt = r.json().path("checkpoint").asText();
    // evaluate on the same folders names the rows; on other folders it would score them against the wrong classes.
    CommandRun same = CommandRun.of("evaluate", "--checkpoint", ckpt, "--data", "folder:" + dir.resolve("train"));
    assertEquals(0, same.code(), same.err());
    assertTrue(same.out().contains("\n2 h\u00fchner, =wild |"), same.out());
    tree(dir.resolve("other"), "cat", "cow");
    CommandRun other = CommandRun.of("evaluate", "--checkpoint", ckpt, "--data", "folder:" + dir.resolve("other"));
    assertEquals(2, other.code(), other.err());
    assertTrue(other.line("evaluate").contains(dir.resolve("other") + ": the class folders [cat, cow] differ from the "
        + "checkpoint's class names [cat, dog, h\u00fchner, =wild, 3]"), other.err());
  }

  private CommandRun trainIdx(Path images, Path labels) throws Exception {
    Path job = dir.resolve("short.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 10, input: 1x32x32}
        data:
          train: {format: idx, path: %s, labels: %s}
        training: {epochs: 1, batch: 8}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(images, labels, dir.resolve("run")));
    return CommandRun.of("train", job.toString());
  }

  /** A label file shorter than its image file: by its header (fewer labels) or cut short (fewer bytes). */
  @org.junit.jupiter.api.Test
  void anIdxLabelFileShorterThanItsImagesIsRefusedNamingTheFirstRecordWithoutALabel() throws Exception {
    Path[] files = idx(-1, 0);
    byte[] labels = Files.readAllBytes(files[1]);
    Path fewer = dir.resolve("fewer-labels.idx");
    byte[] header37 = labels.clone();
    header37[7] = 37; // the count's low byte: 40 -> 37
    Files.write(fewer, java.util.Arrays.copyOf(header37, 8 + 37));
    CommandRun r = trainIdx(files[0], fewer);
    assertEquals(2, r.code(), r.err());
    assertEquals("sparkcnn train: " + fewer + " holds 37 labels but " + files[0] + " holds 40 images: record 37 has "
        + "no label", r.line("train"));
    Path cut = dir.resolve("cut-labels.idx");
    Files.write(cut, java.util.Arrays.copyOf(labels, 8 + 37));
    r = trainIdx(files[0], cut);
    assertEquals(2, r.code(), r.err());
    assertEquals("sparkcnn train: " + cut + ": truncated IDX file: its header declares 40 records but the file ends "
        + "in record 37 (records 37-39 are missing)", r.line("train"));
    assertTrue(!Files.exists(dir.resolve("run/checkpoints")), "nothing trained");
  }

  /** A negative label (a table's int column can hold one; IDX bytes cannot) names the table and its row. */
  @org.junit.jupiter.api.Test
  void aNegativeLabelInATableIsRefusedNamingTheRow() throws Exception {
    Path table = dir.resolve("table.parquet");
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder()
        .config(sparkcnn.driver.SparkSetup.local(new org.apache.spark.SparkConf().setAppName("table"), "local[1]"))
        .getOrCreate();
    try {
      java.util.List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8,
            java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(i % 8, i % 8, 0, 200);
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", png);
        rows.add(org.apache.spark.sql.RowFactory.create(png.toByteArray(), i == 7 ? -1 : i % 4));
      }
      org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
          .add("image", org.apache.spark.sql.types.DataTypes.BinaryType)
          .add("label", org.apache.spark.sql.types.DataTypes.IntegerType);
      spark.createDataFrame(rows, schema).coalesce(1).write().parquet(table.toString());
    } finally {
      spark.stop();
    }
    Path job = dir.resolve("table.yaml");
    Files.writeString(job, """
        model: {architecture: lenet5, classes: 4, input: 1x32x32}
        data:
          train: {format: parquet, path: %s}
          partitions: 3
        training: {epochs: 1, batch: 4}
        spark: {master: 'local[2]'}
        output: %s
        """.formatted(table, dir.resolve("run")));
    CommandRun r = CommandRun.of("train", job.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.line("train").startsWith("sparkcnn train: " + table + ": row 7: label -1 is outside [0, 4)"),
        r.err());
    assertTrue(!Files.exists(dir.resolve("run/checkpoints")), "nothing trained");
  }
}
