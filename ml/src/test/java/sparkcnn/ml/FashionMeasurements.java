package sparkcnn.ml;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.GreyPng;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.jobs.JobRun;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.models.Checkpoint;

/**
 * The README's Spark ML measurements, run on demand only (minutes of Fashion-MNIST; never in CI):
 *
 * <pre>
 * mvn -B -o -q test -pl ml -am -Dtest=FashionMeasurements -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dsparkcnn.measure=equivalence [-Dsparkcnn.epochs=1]
 * mvn ... -Dsparkcnn.measure=transform -Dsparkcnn.checkpoint=CKPT -Dsparkcnn.images=DIR
 * </pre>
 *
 * equivalence: conf/jobs/fashion-convnet.yaml (epochs shortened) through JobRun, then the same settings through
 * CnnClassifier on a DataFrame of the same IDX rows in the same partitions; prints both test accuracies and
 * whether the final parameters are bit-identical. transform: CnnClassificationModel.transform of a folder of
 * image files (binaryFile source, as many partitions as cores, as score uses) written to Parquet; prints images/s.
 */
class FashionMeasurements {
  private static final String DATA = "/usr/share/datasets/fashion-mnist/";
  private static final Path OUT = Path.of("/tmp/sparkcnn-ml-measure");

  @Test
  @EnabledIfSystemProperty(named = "sparkcnn.measure", matches = "equivalence")
  void estimatorEqualsJobFile() throws Exception {
    int epochs = Integer.getInteger("sparkcnn.epochs", 1);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(MlSpark.get().sparkContext());
    String jobOut = OUT.resolve("job").toString();
    deleteTree(OUT.resolve("job"));
    long t0 = System.nanoTime();
    TrainJob job = new TrainJob("../conf/jobs/fashion-convnet.yaml", List.of("training.epochs=" + epochs,
        "output=" + jobOut, "checkpoint.every_steps=0"));
    Map<String, Object> report = JobRun.run(sc, job, false, 0, System.out);
    double jobSeconds = (System.nanoTime() - t0) / 1e9;

    int partitions = sc.defaultParallelism();
    Dataset<Row> train = rows(sc, "train", partitions);
    Dataset<Row> test = rows(sc, "t10k", partitions);
    t0 = System.nanoTime();
    CnnClassifier cnn = new CnnClassifier().setArchitecture("tf_convnet").setClasses(10).setInputShape("1x28x28")
        .setEpochs(epochs).setBatchSize(128).setOptimizer("adam").setLearningRate(0.001).setWeightDecay(1e-4)
        .setAugmentations("hflip").setSeed(7)
        .setJobSettings("training.micro_batch=64", "training.schedule=cosine", "training.warmup_steps=100");
    CnnClassificationModel model = cnn.fit(train);
    double fitSeconds = (System.nanoTime() - t0) / 1e9;
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(model.transform(test));

    Checkpoint.Contents c = Checkpoint.read(new java.io.ByteArrayInputStream(HadoopFiles.readAll(
        (String) report.get("checkpoint"), sc.hadoopConfiguration())), "job checkpoint");
    float[] jobParams = c.blocks().get("params");
    float[] fitParams = model.parameters();
    int differing = 0;
    for (int i = 0; i < jobParams.length; i++) {
      differing += Float.floatToRawIntBits(jobParams[i]) != Float.floatToRawIntBits(fitParams[i]) ? 1 : 0;
    }
    System.out.printf(Locale.ROOT, "MEASURE equivalence epochs=%d steps=%s job_test_accuracy=%.4f "
        + "estimator_test_accuracy=%.4f params=%d differing_params=%d bit_identical=%b job_seconds=%.0f "
        + "fit_seconds=%.0f%n", epochs, report.get("steps"), (Double) report.get("test_accuracy"), accuracy,
        jobParams.length, differing, Arrays.equals(jobParams, fitParams), jobSeconds, fitSeconds);
  }

  @Test
  @EnabledIfSystemProperty(named = "sparkcnn.measure", matches = "transform")
  void transformThroughput() throws Exception {
    String images = System.getProperty("sparkcnn.images");
    int partitions = MlSpark.get().sparkContext().defaultParallelism();
    CnnClassificationModel model = CnnClassificationModel.fromCheckpoint(System.getProperty("sparkcnn.checkpoint"));
    int repeats = Integer.getInteger("sparkcnn.repeats", 1);
    for (int r = 0; r < repeats; r++) {
      // What bin/sparkcnn score runs (ScoreJob with the checkpoint's Scorer, top 5, one crop, batch 64, as many
      // partitions as cores), in this JVM and session, right before the transform: the same images, minutes apart.
      Path scored = OUT.resolve("score-job-out");
      deleteTree(scored);
      var member = new sparkcnn.driver.score.ScoringModels.Member(model.spec(), model.parameters(),
          model.checkpointState(), sparkcnn.driver.data.Normalization.from(model.checkpointSpec()));
      var scorer = new sparkcnn.driver.score.Scorer(new sparkcnn.driver.score.ScoringModels(List.of(member)), 5, 1,
          64, sparkcnn.driver.data.ImageDecoding.DEFAULT_MAX_PIXELS);
      var job = sparkcnn.driver.score.ScoreJob.run(JavaSparkContext.fromSparkContext(MlSpark.get().sparkContext()),
          images, "image", null, scorer, model.classNames(), scored.toString(), "parquet", partitions);
      System.out.printf(Locale.ROOT, "MEASURE score-job images=%d seconds=%.2f images_per_second=%.0f%n", job.rows(),
          job.seconds(), job.rows() / job.seconds());
      Path out = OUT.resolve("transform-out");
      deleteTree(out);
      long t0 = System.nanoTime();
      Dataset<Row> files = MlSpark.get().read().format("binaryFile").option("recursiveFileLookup", "true")
          .load(images).select("path", "content").coalesce(partitions);
      model.copy(new org.apache.spark.ml.param.ParamMap()).setFeaturesCol("content").transform(files)
          .select("path", "prediction", "probability", "error").write().parquet(out.toString());
      double seconds = (System.nanoTime() - t0) / 1e9;
      long n = MlSpark.get().read().parquet(out.toString()).count();
      System.out.printf(Locale.ROOT, "MEASURE transform images=%d seconds=%.2f images_per_second=%.0f%n", n, seconds,
          n / seconds);
    }
  }

  /** Writes the Fashion-MNIST test images as PNG files under DIR/CLASS/ (for score and transform). */
  @Test
  @EnabledIfSystemProperty(named = "sparkcnn.measure", matches = "pngs")
  void writeTestPngs() throws Exception {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(MlSpark.get().sparkContext());
    Path dir = Path.of(System.getProperty("sparkcnn.images"));
    int n = 0;
    for (SampleBlock b : Datasets.idx(sc, DATA + "t10k-images-idx3-ubyte.gz", DATA + "t10k-labels-idx1-ubyte.gz", 1)
        .collect()) {
      for (int i = 0; i < b.size(); i++, n++) {
        Path f = dir.resolve(Integer.toString(b.labels[i])).resolve(String.format("t10k-%05d.png", n));
        Files.createDirectories(f.getParent());
        try (OutputStream out = Files.newOutputStream(f)) {
          out.write(GreyPng.encode(b.pixels, i * b.sampleBytes(), b.height, b.width));
        }
      }
    }
    System.out.println("MEASURE wrote " + n + " PNGs under " + dir);
  }

  /** The IDX set as (features vector in [0, 1], label) rows, partition p holding exactly the job's block p. */
  private static Dataset<Row> rows(JavaSparkContext sc, String set, int partitions) throws Exception {
    JavaRDD<SampleBlock> blocks = Datasets.idx(sc, DATA + set + "-images-idx3-ubyte.gz",
        DATA + set + "-labels-idx1-ubyte.gz", partitions);
    JavaRDD<Row> rows = blocks.flatMap(b -> {
      List<Row> out = new ArrayList<>(b.size());
      int per = b.sampleBytes();
      for (int i = 0; i < b.size(); i++) {
        double[] v = new double[per];
        for (int k = 0; k < per; k++) {
          v[k] = (b.pixels[i * per + k] & 0xff) / 255.0;
        }
        out.add(RowFactory.create(Vectors.dense(v), (double) b.labels[i]));
      }
      return out.iterator();
    });
    StructType schema = new StructType().add("features", SQLDataTypes.VectorType())
        .add("label", DataTypes.DoubleType);
    return MlSpark.get().createDataFrame(rows, schema);
  }

  private static void deleteTree(Path p) throws java.io.IOException {
    if (Files.exists(p)) {
      try (var walk = Files.walk(p)) {
        for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(q);
        }
      }
    }
  }
}
