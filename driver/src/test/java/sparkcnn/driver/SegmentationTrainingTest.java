package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.train.SegmentationMetrics;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.driver.train.TrainingRun;
import sparkcnn.models.Json;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * A small U-Net learns the generated shapes task through the Spark path, in both synchronous modes, with masks
 * moved by geometric augmentations, an ignore index and class weights: the loss falls and the evaluation
 * reports pixel accuracy and mean IoU well above what predicting the background everywhere gives.
 */
class SegmentationTrainingTest {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = TrainConfig.Sync.class, names = {"COLLECTIVE", "BROADCAST"})
  void aUnetLearnsGeneratedShapes(TrainConfig.Sync sync) throws Exception {
    int classes = 3;
    JavaRDD<SampleBlock> train = Datasets.generatedSegmentation(SparkTestContext.get(), 192, 1, 16, 16, classes, 3,
        4);
    JavaRDD<SampleBlock> test = Datasets.generatedSegmentation(SparkTestContext.get(), 48, 1, 16, 16, classes, 2,
        99);
    TrainConfig cfg = new TrainConfig();
    cfg.sync = sync;
    cfg.model = Zoo.spec("unet_small", classes, new int[] {1, 16, 16}, new Scaling(0.25, 1, 1));
    cfg.globalBatch = 16;
    cfg.microBatch = 8;
    cfg.seed = 3;
    cfg.initSeed = 3;
    cfg.augmentations = List.of("hflip", "crop:2");
    cfg.ignoreIndex = 255;
    cfg.classWeights = new float[] {0.5f, 1f, 1f};
    cfg.normalization = new Normalization(new float[] {0.3f}, new float[] {0.25f});
    cfg.optimizer.name = "adam";
    cfg.optimizer.lr = 0.01f;
    cfg.optimizer.schedule = "constant";
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(printed, true, StandardCharsets.UTF_8);
    TrainingRun.Outcome o = TrainingRun.run(SparkTestContext.get(), train, null, test, cfg,
        new TrainingRun.Options(4, dir.resolve("run").toString(), 0, 1, false, 0, 16, log, 0, 0));
    String text = printed.toString(StandardCharsets.UTF_8);
    List<Double> losses = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("run/metrics.jsonl"))) {
      JsonNode record = Json.tree(line);
      if (record.path("kind").asText().equals("step")) {
        losses.add(record.path("train_loss").asDouble());
      }
    }
    assertEquals(48, losses.size(), text);
    double first = losses.get(0);
    double last = losses.subList(losses.size() - 6, losses.size()).stream().mapToDouble(d -> d).average().orElse(0);
    assertTrue(last < 0.5 * first, "loss falls: first " + first + ", last steps " + last + "\n" + text);
    assertTrue(o.test().perPixel());
    assertEquals(48L * 16 * 16, o.test().count(), "every test pixel is scored (none is 255 here)");
    SegmentationMetrics seg = o.test().segmentation();
    long background = o.test().confusion(0, 0) + o.test().confusion(0, 1) + o.test().confusion(0, 2);
    assertTrue(seg.pixelAccuracy() > background / (double) o.test().count() + 0.05, "better than all-background: "
        + seg.pixelAccuracy() + "\n" + text);
    assertTrue(seg.meanIou() > 0.5, "mean IoU " + seg.meanIou() + "\n" + text);
    assertTrue(text.contains("pixel accuracy") && text.contains("mean IoU"), text);
    String metrics = Files.readString(dir.resolve("run/metrics.jsonl"));
    assertTrue(metrics.lines().map(Json::tree).anyMatch(r -> r.path("test_mean_iou").isNumber()
        && r.path("test_pixel_accuracy").isNumber()), metrics);
    assertTrue(Files.exists(Path.of(o.checkpoint().replace("file:", ""))), o.checkpoint());
  }
}
