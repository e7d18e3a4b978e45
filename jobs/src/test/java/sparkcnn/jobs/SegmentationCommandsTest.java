package sparkcnn.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.GreyPng;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.Json;

/**
 * Segmentation through the command line: a segfolder written here trains a small U-Net (`train`), whose
 * checkpoint `evaluate` reports IoU for and `score` writes masks and overlays with; bad masks stop `train` first.
 */
class SegmentationCommandsTest {
  @TempDir
  Path dir;

  /** n generated 16x16 samples of 3 classes as a segfolder: images/NAME.png and masks/NAME.png. */
  private Path segfolder(String name, int n, long seed) throws Exception {
    Path root = dir.resolve(name);
    Files.createDirectories(root.resolve("images"));
    Files.createDirectories(root.resolve("masks"));
    SampleBlock b = Datasets.generateSegmentation(0, n, 1, 16, 16, 3, seed);
    for (int s = 0; s < n; s++) {
      String file = String.format("s%03d.png", s);
      Files.write(root.resolve("images").resolve(file), GreyPng.encode(b.pixels, s * 256, 16, 16));
      Files.write(root.resolve("masks").resolve(file), GreyPng.encode(b.masks, s * 256, 16, 16));
    }
    return root;
  }

  private Path job(Path train, Path test, String extra) throws Exception {
    Path job = dir.resolve("seg.yaml");
    Files.writeString(job, """
        model: {architecture: unet_small, classes: 3, input: 1x16x16, width: 0.25}
        data:
          train: {format: segfolder, path: %s}
          test: {format: segfolder, path: %s}
          augmentations: [hflip, crop:2]
          partitions: 2
        training: {epochs: 5, batch: 16, micro_batch: 8, optimizer: adam, lr: 0.01, schedule: constant, %s}
        spark: {master: 'local[2]'}
        log_every_seconds: 0
        output: %s
        """.formatted(train, test, extra, dir.resolve("run")));
    return job;
  }

  @Test
  void trainEvaluateAndScoreASegmentationModel() throws Exception {
    Path train = segfolder("train", 160, 4);
    Path test = segfolder("test", 24, 9);
    CommandRun t = CommandRun.of("train", job(train, test, "ignore_index: 255").toString());
    assertEquals(0, t.code(), t.err() + t.out());
    assertTrue(t.out().contains("test mean IoU"), t.out());
    assertTrue(t.out().contains("pixel accuracy"), t.out());
    JsonNode report = Json.tree(Files.readString(dir.resolve("run/report.json")));
    assertTrue(report.path("test_mean_iou").isNumber(), report.toString());
    String checkpoint = report.path("checkpoint").asText();

    CommandRun e = CommandRun.of("evaluate", "--checkpoint", checkpoint, "--data", "segfolder:" + test, "--json");
    assertEquals(0, e.code(), e.err());
    JsonNode evaluated = e.json();
    double iou = evaluated.path("mean_iou").asDouble();
    assertTrue(iou > 0.4, "mean IoU " + iou);
    assertEquals(report.path("test_mean_iou").asDouble(), iou, 1e-5, "evaluate reproduces the training's last evaluation");
    assertTrue(evaluated.path("pixel_accuracy").isNumber() && evaluated.path("iou").isArray(), e.out());
    assertEquals(24 * 256, evaluated.path("count").asInt(), e.out());
    CommandRun text = CommandRun.of("evaluate", "--checkpoint", checkpoint, "--data", "segfolder:" + test);
    assertTrue(text.out().contains("mean IoU over the"), text.out());

    Path input = dir.resolve("to-score");
    Files.createDirectories(input.resolve("sub"));
    Files.copy(test.resolve("images/s000.png"), input.resolve("a.png"));
    Files.copy(test.resolve("images/s001.png"), input.resolve("sub/b.png"));
    Files.writeString(input.resolve("broken.png"), "not a png");
    Path out = dir.resolve("scored");
    CommandRun s = CommandRun.of("score", "--checkpoint", checkpoint, "--input", input.toString(), "--output",
        out.toString(), "--overlay", "--json");
    assertEquals(0, s.code(), s.err());
    assertEquals(List.of(3, 1), List.of(s.json().path("rows").asInt(), s.json().path("errors").asInt()), s.out());
    for (String name : List.of("a.png", "sub/b.png")) {
      BufferedImage mask = ImageIO.read(out.resolve("masks").resolve(name).toFile());
      assertEquals(16, mask.getWidth());
      assertEquals(BufferedImage.TYPE_BYTE_GRAY, mask.getType());
      for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
          assertTrue(mask.getRaster().getSample(j, i, 0) < 3, "class indices");
        }
      }
      assertEquals(16, ImageIO.read(out.resolve("overlays").resolve(name).toFile()).getHeight());
    }
    try (Stream<Path> files = Files.list(out.resolve("predictions"))) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".parquet")));
    }

    // A table without an id column: rows are named row-N in the table's order, through the shuffle.
    Path table = dir.resolve("images.parquet");
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]")
        .appName("write images").getOrCreate();
    try {
      List<org.apache.spark.sql.Row> rows = List.of(
          org.apache.spark.sql.RowFactory.create((Object) Files.readAllBytes(test.resolve("images/s000.png"))),
          org.apache.spark.sql.RowFactory.create((Object) "not a png".getBytes()),
          org.apache.spark.sql.RowFactory.create((Object) Files.readAllBytes(test.resolve("images/s002.png"))));
      spark.createDataFrame(rows, new org.apache.spark.sql.types.StructType().add("image",
          org.apache.spark.sql.types.DataTypes.BinaryType)).coalesce(1).write().parquet(table.toString());
    } finally {
      spark.stop();
    }
    Path fromTable = dir.resolve("scored-table");
    CommandRun scoredTable = CommandRun.of("score", "--checkpoint", checkpoint, "--input", table.toString(),
        "--output", fromTable.toString(), "--format", "csv", "--json");
    assertEquals(0, scoredTable.code(), scoredTable.err());
    assertEquals(List.of(3, 1), List.of(scoredTable.json().path("rows").asInt(),
        scoredTable.json().path("errors").asInt()), scoredTable.out());
    for (String name : List.of("row-0.png", "row-2.png")) {
      assertEquals(16, ImageIO.read(fromTable.resolve("masks").resolve(name).toFile()).getWidth(), name);
    }
  }

  @Test
  void aMaskValueOutsideTheClassesStopsTrainingNamingTheFileAndPixel() throws Exception {
    Path train = segfolder("train", 12, 4);
    Path mask = train.resolve("masks/s005.png");
    BufferedImage img = ImageIO.read(mask.toFile());
    img.getRaster().setSample(5, 2, 0, 7);
    ImageIO.write(img, "png", mask.toFile());
    CommandRun r = CommandRun.of("train", job(train, train, "ignore_index: 255").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.line("train").contains(mask.toUri().getPath().replaceAll("/$", "")) || r.line("train").contains(
        mask.toString()), r.err());
    assertTrue(r.line("train").contains("mask pixel (row 2, column 5 of the mask fitted to 16x16) is 7, outside "
        + "[0, 3) (model.classes is 3; training.ignore_index is 255)"), r.err());
    assertTrue(!Files.exists(dir.resolve("run/checkpoints")), "nothing trained");
  }

  @Test
  void aSegfolderImageWithoutAMaskIsRefusedNamingTheImage() throws Exception {
    Path train = segfolder("train", 6, 4);
    Files.delete(train.resolve("masks/s003.png"));
    CommandRun r = CommandRun.of("train", job(train, train, "seed: 1").toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.line("train").contains("s003.png: no mask for this image (expected "), r.err());
    assertTrue(r.line("train").contains("masks/s003.png or another image extension)"), r.err());
  }

  @Test
  void segmentationKeysAndFormatsAreCheckedAgainstTheModel() throws Exception {
    Path train = segfolder("train", 4, 4);
    CommandRun weights = CommandRun.of("train", job(train, train, "class_weights: [1, 2]").toString());
    assertEquals(2, weights.code());
    assertTrue(weights.err().contains("training.class_weights") && weights.err().contains("3 numbers (one per class)"),
        weights.err());
    CommandRun ignore = CommandRun.of("train", job(train, train, "ignore_index: 1").toString());
    assertEquals(2, ignore.code());
    assertTrue(ignore.err().contains("training.ignore_index") && ignore.err().contains("not a class"), ignore.err());
    Path classifier = dir.resolve("classifier.yaml");
    Files.writeString(classifier, """
        model: {architecture: lenet5, classes: 3, input: 1x32x32}
        data:
          train: {format: segfolder, path: %s}
        training: {epochs: 1, batch: 4}
        """.formatted(train));
    CommandRun wrong = CommandRun.of("train", classifier.toString());
    assertEquals(2, wrong.code());
    assertTrue(wrong.err().contains("data.train.format") && wrong.err().contains("predicts one class per image"),
        wrong.err());
  }
}
