package sparkcnn.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.train.DataParallelTrainer;
import sparkcnn.driver.train.FeatureCache;
import sparkcnn.driver.train.TrainConfig;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Transfer;
import sparkcnn.models.zoo.Zoo;

/**
 * training.features: precompute. Training the head on cached features of the folded backbone ends where training
 * with the frozen backbone run every step ends (float tolerance: the fold rounds differently); a cache on disk
 * is read back by the next run, and a folder that is not a cache is refused.
 */
class FeatureCacheTest {
  @TempDir
  Path dir;

  private static TrainConfig config() {
    TrainConfig cfg = new TrainConfig();
    cfg.sync = TrainConfig.Sync.BROADCAST;
    cfg.model = Zoo.spec("cifar_resnet20", 4, new int[] {1, 12, 12}, new Scaling(0.25, 0.3, 1));
    cfg.globalBatch = 24;
    cfg.microBatch = 8;
    cfg.seed = 5;
    cfg.initSeed = 6;
    cfg.normalization = new Normalization(new float[] {0.4f}, new float[] {0.25f});
    cfg.optimizer.name = "adam";
    cfg.optimizer.lr = 0.01f;
    cfg.optimizer.schedule = "constant";
    cfg.totalSteps = 6;
    cfg.frozenParams = Transfer.frozenParams(cfg.model, Zoo.build(cfg.model), List.of("all_but_head"));
    return cfg;
  }

  private static JavaRDD<SampleBlock> images() {
    return Datasets.generated(SparkTestContext.get(), 96, 1, 12, 12, 4, 2, 3);
  }

  private static float[] train(TrainConfig cfg, JavaRDD<SampleBlock> data, Model start) {
    DataParallelTrainer t = DataParallelTrainer.create(SparkTestContext.get(), data, cfg);
    t.model().load(start.params(), start.state());
    t.run(cfg.totalSteps, "features test", r -> { });
    t.close();
    return t.model().params().clone();
  }

  @Test
  void theHeadTrainedOnFeaturesEndsWhereTheFullForwardEnds() throws IOException {
    TrainConfig full = config();
    Model start = Zoo.build(full.model).init(full.initSeed);
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (int i = 0; i < start.state().length; i++) {
      start.state()[i] = 0.5f + (float) rnd.nextDouble(); // running statistics worth folding
    }
    float[] a = train(full, images(), start);
    TrainConfig pre = config();
    pre.featureInput = true;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    String cache = dir.resolve("features").toString();
    JavaRDD<SampleBlock> features = FeatureCache.of(SparkTestContext.get(), images(), pre, start, cache, "gen", out);
    float[] b = train(pre, features, start);
    double worst = 0;
    double moved = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
      moved = Math.max(moved, Math.abs(a[i] - start.params()[i]));
    }
    assertTrue(moved > 1e-3, "the head trained: moved " + moved);
    assertTrue(worst < 1e-4, "features vs full forward: worst difference " + worst);
    assertArrayEquals(java.util.Arrays.copyOf(start.params(), pre.frozenParams),
        java.util.Arrays.copyOf(b, pre.frozenParams));
    // The next run with the same backbone and data reads the cache: the same features, bit for bit.
    List<SampleBlock> first = features.collect();
    List<SampleBlock> again = FeatureCache.of(SparkTestContext.get(), images(), pre, start, cache, "gen", out)
        .collect();
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("reading pre-computed features from " + cache),
        log.toString(StandardCharsets.UTF_8));
    assertEquals(first.size(), again.size());
    for (int i = 0; i < first.size(); i++) {
      assertArrayEquals(first.get(i).features, again.get(i).features);
      assertArrayEquals(first.get(i).labels, again.get(i).labels);
    }
    // Another backbone: computed again, not read.
    start.params()[0] += 1;
    log.reset();
    FeatureCache.of(SparkTestContext.get(), images(), pre, start, cache, "gen", out);
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("computing them again"),
        log.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aFolderThatIsNotACacheIsRefused() throws IOException {
    Path mine = Files.createDirectories(dir.resolve("precious"));
    Files.writeString(mine.resolve("notes.txt"), "keep me");
    TrainConfig pre = config();
    pre.featureInput = true;
    Model start = Zoo.build(pre.model).init(1);
    IOException e = assertThrows(IOException.class, () -> FeatureCache.of(SparkTestContext.get(), images(), pre,
        start, mine.toString(), "gen", new PrintStream(new ByteArrayOutputStream())));
    assertTrue(e.getMessage().contains("not a SparkCNN feature cache"), e.getMessage());
    assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
  }
}
