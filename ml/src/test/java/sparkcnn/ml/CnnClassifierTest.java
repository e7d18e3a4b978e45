package sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.IndexToString;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.SoftmaxCrossEntropy;
import sparkcnn.models.zoo.Zoo;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.split;

/**
 * StringIndexer -> CnnClassifier pipelines on Spark's image source over a folder tree and on a vector column:
 * output columns and schema, the evaluator, IndexToString, probabilities equal to the network's own forward
 * pass, error rows, and a saved PipelineModel that scores identically after loading.
 */
class CnnClassifierTest {
  @TempDir
  Path tmp;

  private static CnnClassifier tiny() {
    return new CnnClassifier().setArchitecture("tf_convnet").setWidth(0.25).setInputShape("1x12x12")
        .setEpochs(4).setBatchSize(16).setOptimizer("adam").setLearningRate(0.01).setSeed(3)
        .setJobSettings("training.micro_batch=16", "training.schedule=constant");
  }

  @Test
  void imageSourcePipelineTrainsScoresAndRoundTrips() throws Exception {
    SampleBlock data = MlSpark.samples(60, 12, 5);
    Path tree = MlSpark.folderTree(tmp.resolve("images"), data);
    Dataset<Row> images = MlSpark.get().read().format("image").option("recursiveFileLookup", "true")
        .load(tree.toString())
        .withColumn("class", element_at(split(col("image.origin"), "/"), -2));
    CnnClassifier cnn = tiny().setFeaturesCol("image").setLabelCol("label");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("class").setOutputCol("label"), cnn});
    PipelineModel fitted = pipeline.fit(images);
    Dataset<Row> scored = fitted.transform(images).cache();

    StructType schema = scored.schema();
    assertEquals(DataTypes.DoubleType, schema.apply("prediction").dataType());
    assertTrue(schema.apply("probability").dataType() instanceof VectorUDT);
    assertTrue(schema.apply("rawPrediction").dataType() instanceof VectorUDT);
    assertEquals(DataTypes.StringType, schema.apply("error").dataType());
    NominalAttribute predicted = (NominalAttribute) Attribute.fromStructField(schema.apply("prediction"));
    List<String> labels = Arrays.asList(((NominalAttribute) Attribute.fromStructField(schema.apply("label")))
        .values().get());
    assertEquals(labels, Arrays.asList(predicted.values().get()), "class names from StringIndexer's metadata");

    CnnClassificationModel model = (CnnClassificationModel) fitted.stages()[1];
    assertEquals(labels, model.classNames());
    assertEquals(4, model.summary().epochs());
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored);
    assertTrue(accuracy > 0.8, "a learnable 3-class task, got accuracy " + accuracy);

    // The probabilities are the network's softmax on the same planes; raw = log p; prediction = argmax.
    List<Row> rows = scored.select("image", "probability", "rawPrediction", "prediction", "error").collectAsList();
    Model net = Zoo.restore(Checkpoint.read(new java.io.ByteArrayInputStream(model.checkpointBytes()), "model"),
        "model");
    var norm = sparkcnn.driver.data.Normalization.from(model.checkpointSpec());
    for (Row r : rows.subList(0, 8)) {
      byte[] px = sparkcnn.driver.data.ImageDecoding.fromSparkImage(r.getStruct(0), 1, 12, 12);
      Tensor x = Tensor.zeros(1, 1, 12, 12);
      sparkcnn.driver.data.ImageDecoding.toUnit(px, 0, x.data, 0, px.length);
      norm.apply(x.data, 0, 1, 144);
      SoftmaxCrossEntropy sm = new SoftmaxCrossEntropy(0f);
      sm.forward(net.forward(x, false), new int[1]);
      Vector p = r.getAs(1);
      Vector raw = r.getAs(2);
      for (int k = 0; k < 3; k++) {
        assertEquals(sm.probabilities().data[k], p.apply(k), 1e-5);
        assertEquals(Math.log(p.apply(k)), raw.apply(k), 1e-9);
      }
      assertEquals(p.argmax(), r.getDouble(3));
      assertNull(r.get(4));
    }

    List<Row> named = new IndexToString().setInputCol("prediction").setOutputCol("predictedClass").transform(scored)
        .select("class", "predictedClass").collectAsList();
    assertTrue(named.stream().filter(r -> r.get(0).equals(r.get(1))).count() > 0.8 * named.size());

    String saved = tmp.resolve("pipeline").toString();
    fitted.write().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);
    CnnClassificationModel back = (CnnClassificationModel) loaded.stages()[1];
    assertEquals("image", back.getFeaturesCol());
    assertEquals(model.uid(), back.uid());
    assertArrayEquals(model.parameters(), back.parameters());
    List<Row> again = loaded.transform(images).select("image.origin", "prediction", "probability")
        .orderBy("origin").collectAsList();
    List<Row> first = scored.select("image.origin", "prediction", "probability").orderBy("origin").collectAsList();
    assertEquals(first, again, "the loaded PipelineModel scores identically");
  }

  @Test
  void vectorColumnPipelineWithValidationAndErrorRows() throws Exception {
    SampleBlock data = MlSpark.samples(90, 12, 9);
    Dataset<Row> df = MlSpark.vectors(data);
    CnnClassifier cnn = tiny().setValidationFraction(0.3).setSync("broadcast");
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new StringIndexer().setInputCol("name").setOutputCol("label"), cnn});
    // The estimator saves and loads as Spark ML params (the unfitted pipeline round trip).
    pipeline.write().save(tmp.resolve("unfitted").toString());
    CnnClassifier loaded = (CnnClassifier) Pipeline.load(tmp.resolve("unfitted").toString()).getStages()[1];
    assertEquals(cnn.uid(), loaded.uid());
    for (org.apache.spark.ml.param.Param<?> p : cnn.params()) {
      assertEquals(cnn.isDefined(p), loaded.isDefined(p), p.name());
      if (cnn.isDefined(p)) {
        assertEquals(List.of(p.jsonEncode(cast(cnn.getOrDefault(p)))).toString(),
            List.of(p.jsonEncode(cast(loaded.getOrDefault(loaded.getParam(p.name()))))).toString(), p.name());
      }
    }
    assertArrayEquals(cnn.getJobSettings(), loaded.getJobSettings());
    PipelineModel fitted = pipeline.fit(df);
    CnnClassificationModel model = (CnnClassificationModel) fitted.stages()[1];
    TrainingSummary s = model.summary();
    assertEquals(4, s.epochs());
    assertEquals(4, s.validationAccuracyHistory().length);
    assertTrue(Arrays.stream(s.validationAccuracyHistory()).allMatch(a -> a >= 0 && a <= 1));
    assertTrue(s.lossHistory()[3] < s.lossHistory()[0], "loss falls: " + Arrays.toString(s.lossHistory()));
    double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
        .evaluate(fitted.transform(df));
    assertTrue(accuracy > 0.8, "accuracy " + accuracy);

    // A vector of the wrong size and one with a value outside [0, 1]: rows with errors, not a failed job.
    StructType schema = new StructType().add("features", new VectorUDT());
    Dataset<Row> bad = MlSpark.get().createDataFrame(List.of(
        RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(new double[5])),
        RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(fill(144, 2.0)))), schema);
    List<Row> out = model.transform(bad).select("prediction", "probability", "error").collectAsList();
    assertNull(out.get(0).get(0));
    assertNull(out.get(0).get(1));
    assertTrue(out.get(0).getString(2).contains("5 values, expected 1x12x12"), out.get(0).getString(2));
    assertNull(out.get(1).get(0));
    assertTrue(out.get(1).getString(2).contains("expected pixels in [0, 1]"), out.get(1).getString(2));
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object v) {
    return (T) v;
  }

  private static double[] fill(int n, double v) {
    double[] a = new double[n];
    Arrays.fill(a, v);
    return a;
  }
}
