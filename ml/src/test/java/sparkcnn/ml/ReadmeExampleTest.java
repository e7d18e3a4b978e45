package sparkcnn.ml;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.split;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.SparkSetup;

/**
 * The README's Java example is the region between the markers below, run here as it is printed: the test fails
 * if README.md does not contain the region's lines verbatim (indentation aside), so the two cannot drift.
 */
class ReadmeExampleTest {
  private static final String BEGIN = "// README: Spark ML example begins";
  private static final String END = "// README: Spark ML example ends";

  @TempDir
  Path tmp;

  @Test
  void theReadmeExampleRunsAsPrinted() throws Exception {
    MlSpark.get(); // the suite's session: getOrCreate below returns it
    String imagesDir = MlSpark.folderTree(tmp.resolve("images"), MlSpark.samples(80, 12, 17)).toString();
    String modelDir = tmp.resolve("model").toString();
    // README: Spark ML example begins
    SparkSession spark = SparkSession.builder().appName("cnn-pipeline").master("local[2]")
        .config(SparkSetup.conf(new SparkConf()).set("spark.kryo.registrationRequired", "false"))
        .getOrCreate();

    // imagesDir/<class>/<image>: Spark's image data source reads the tree; the folder names the class.
    Dataset<Row> images = spark.read().format("image").option("recursiveFileLookup", "true").load(imagesDir)
        .withColumn("class", element_at(split(col("image.origin"), "/"), -2));
    Dataset<Row>[] trainTest = images.randomSplit(new double[] {0.8, 0.2}, 42);

    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("class").setOutputCol("label"),
        new CnnClassifier().setFeaturesCol("image").setArchitecture("tf_convnet").setInputShape("1x12x12")
            .setWidth(0.25).setEpochs(4).setBatchSize(16).setOptimizer("adam").setLearningRate(0.01)
            .setJobSettings("training.schedule=constant"),
        new IndexToString().setInputCol("prediction").setOutputCol("predictedClass")});
    PipelineModel model = pipeline.fit(trainTest[0]);
    model.write().overwrite().save(modelDir);

    Dataset<Row> predictions = PipelineModel.load(modelDir).transform(trainTest[1]);
    predictions.select("image.origin", "class", "predictedClass", "probability").show(5, false);
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
    System.out.println("test accuracy " + accuracy);
    // README: Spark ML example ends
    assertTrue(accuracy > 0.7, "the example learns the generated task: " + accuracy);
    assertTrue(predictions.filter(col("class").equalTo(col("predictedClass"))).count() > 0);
  }

  @Test
  void theReadmeShowsTheRegionVerbatim() throws Exception {
    List<String> source = Files.readAllLines(Path.of("src/test/java/sparkcnn/ml/ReadmeExampleTest.java"));
    int from = -1;
    int to = -1;
    for (int i = 0; i < source.size(); i++) {
      if (source.get(i).trim().equals(BEGIN)) {
        from = i + 1;
      } else if (source.get(i).trim().equals(END)) {
        to = i;
      }
    }
    String region = String.join("\n", source.subList(from, to).stream().map(l -> l.length() >= 4
        ? l.substring(4) : l.trim()).toList());
    String readme = Files.readString(Path.of("../README.md"));
    assertTrue(readme.contains("```java\n" + region + "\n```"), "README.md must show the example exactly as this "
        + "test runs it (the lines between the README markers, 4 spaces of indentation removed):\n" + region);
  }
}
