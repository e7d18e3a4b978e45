package sparkcnn.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkTestContext;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * A training run leaves nothing behind in the executors (here: local mode's executor, this JVM): its replicas and
 * evaluation models are dropped by a job that runs where the run's data is, not by the driver alone.
 */
class RunReleaseTest {
  @TempDir
  Path dir;

  @Test
  void replicasAndEvaluationModelsAreReleasedWhenTheRunEnds() throws Exception {
    JavaSparkContext sc = SparkTestContext.get();
    JavaRDD<SampleBlock> train = Datasets.generated(sc, 96, 1, 12, 12, 4, 2, 3);
    JavaRDD<SampleBlock> test = Datasets.generated(sc, 48, 1, 12, 12, 4, 2, 4);
    for (TrainConfig.Sync sync : List.of(TrainConfig.Sync.BROADCAST, TrainConfig.Sync.COLLECTIVE)) {
      TrainConfig cfg = new TrainConfig();
      cfg.sync = sync;
      cfg.model = Zoo.spec("tf_convnet", 4, new int[] {1, 12, 12}, new Scaling(0.25, 1, 1));
      cfg.globalBatch = 24;
      cfg.peerTimeoutSeconds = 60;
      TrainingRun.Outcome o = TrainingRun.run(sc, train, null, test, cfg, new TrainingRun.Options(2,
          dir.resolve(sync.toString()).toString(), 0, 1, false, 1000, 64, new PrintStream(
          java.io.OutputStream.nullOutputStream()), 0, 0));
      assertTrue(o.test() != null && o.steps() == 8, sync + ": trained and evaluated twice");
      assertEquals(0, Replica.cached(cfg.runId), sync + ": replicas released");
      assertEquals(0, Evaluator.cachedModels(cfg.model), sync + ": evaluation models released");
    }
  }
}
