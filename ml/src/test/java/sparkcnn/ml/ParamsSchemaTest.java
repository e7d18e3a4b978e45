package sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.jobs.config.Field;
import sparkcnn.jobs.config.TrainJob;

/**
 * The params and the job schema cannot drift: every param that sets a job key names a key of the schema, with
 * that key's doc and default and a Spark type that holds its values; every key kept from DataFrames exists; and
 * an estimator's params build the same training configuration as the job file that says the same.
 */
class ParamsSchemaTest {
  @TempDir
  Path tmp;

  private static final Map<String, List<JobParams.Kind>> KINDS_BY_FIELD_TYPE = Map.of(
      "integer", List.of(JobParams.Kind.INT, JobParams.Kind.LONG),
      "number", List.of(JobParams.Kind.DOUBLE),
      "list", List.of(JobParams.Kind.STRINGS),
      "one of", List.of(JobParams.Kind.STRING),
      "string", List.of(JobParams.Kind.STRING),
      "true or false", List.of(JobParams.Kind.BOOLEAN));

  @Test
  void everyJobParamIsASchemaKeyWithItsDocDefaultAndType() {
    Map<String, Field> fields = TrainJob.schema().fields();
    CnnClassifier cnn = new CnnClassifier();
    int jobParams = 0;
    for (JobParams.Decl d : JobParams.DECLS) {
      Param<?> p = cnn.getParam(d.name());
      assertNotNull(p, d.name() + " is a param of the estimator");
      if (d.jobKey() == null) {
        continue;
      }
      jobParams++;
      Field f = fields.get(d.jobKey());
      assertNotNull(f, "param " + d.name() + ": job key " + d.jobKey() + " is in the schema");
      assertEquals(f.description() + " (job key " + d.jobKey() + ")", p.doc());
      String type = KINDS_BY_FIELD_TYPE.keySet().stream().filter(f.type()::startsWith).findFirst().orElseThrow();
      assertTrue(KINDS_BY_FIELD_TYPE.get(type).contains(d.kind()), d.name() + ": " + d.kind() + " holds " + f.type());
      if (f.dflt() == null) {
        assertTrue(!cnn.hasDefault(p), d.name() + " has no default, like " + d.jobKey());
      } else {
        Object dflt = cnn.getDefault(p).get();
        Object asJob = JobParams.toJob(dflt);
        assertEquals(f.dflt(), asJob instanceof List<?> l && l.isEmpty() ? List.of() : asJob, d.name() + " default");
      }
    }
    assertEquals(18, jobParams, "the issue's job-key params");
    for (String kept : JobParams.NOT_FOR_DATAFRAMES) {
      assertTrue(fields.keySet().stream().anyMatch(k -> k.equals(kept) || kept.endsWith(".") && k.startsWith(kept)),
          kept + " is (a section of) the schema");
    }
  }

  @Test
  void paramsBuildTheSameConfigurationAsTheJobFile() throws Exception {
    Path yaml = tmp.resolve("job.yaml");
    Files.writeString(yaml, """
        model: {architecture: tf_convnet, classes: 4, input: 1x16x16, width: 0.5}
        data:
          train: {format: generated}
          augmentations: [hflip, "crop:4"]
        training:
          epochs: 3
          batch: 32
          optimizer: adamw
          lr: 0.003
          weight_decay: 0.01
          sync: broadcast
          seed: 9
          freeze: ["0"]
          schedule: step
          step_every: 7
          momentum: 0.5
        init: {checkpoint: /some/where.ckpt}
        """);
    TrainJob file = new TrainJob(yaml.toString(), List.of());
    CnnClassifier cnn = new CnnClassifier().setArchitecture("tf_convnet").setClasses(4).setInputShape("1x16x16")
        .setWidth(0.5).setAugmentations("hflip", "crop:4").setEpochs(3).setBatchSize(32).setOptimizer("adamw")
        .setLearningRate(0.003).setWeightDecay(0.01).setSync("broadcast").setSeed(9).setFreeze("0")
        .setInitCheckpoint("/some/where.ckpt")
        .setJobSettings("training.schedule=step", "training.step_every=7", "training.momentum=0.5");
    TrainJob params = TrainJob.withoutSources("params", JobParams.jobDocument(cnn, Map.of()));
    assertEquals(file.model, params.model);
    var a = file.config;
    var b = params.config;
    assertEquals(a.globalBatch, b.globalBatch);
    assertEquals(a.microBatch, b.microBatch);
    assertEquals(a.seed, b.seed);
    assertEquals(a.sync, b.sync);
    assertEquals(a.augmentations, b.augmentations);
    assertEquals(a.frozenParams, b.frozenParams);
    assertTrue(a.frozenParams > 0);
    assertEquals(a.initCheckpoint, b.initCheckpoint);
    assertEquals(a.optimizer.describe(), b.optimizer.describe());
    assertEquals(a.optimizer.stepEvery, b.optimizer.stepEvery);
    assertEquals(a.optimizer.momentum, b.optimizer.momentum);
    assertEquals(file.job.integer("training.epochs"), params.job.integer("training.epochs"));
    assertEquals(Arrays.asList(0.003, 0.01), List.of((double) b.optimizer.lr, (double) b.optimizer.weightDecay)
        .stream().map(v -> Math.round(v * 1e6) / 1e6).toList());
  }
}
