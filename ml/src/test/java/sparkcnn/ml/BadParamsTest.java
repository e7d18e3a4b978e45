package sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad params and columns fail at fit / transform with one message naming the param (and the column), before
 * Spark runs a single job: a listener counts the jobs started.
 */
class BadParamsTest {
  private static Dataset<Row> table() {
    StructType schema = new StructType().add("path", DataTypes.StringType).add("label", DataTypes.DoubleType)
        .add("name", DataTypes.StringType);
    return MlSpark.get().createDataFrame(List.of(RowFactory.create("a.png", 0.0, "x")), schema);
  }

  /** Runs what must fail; returns its message after checking no Spark job started. */
  private static String failsBeforeAnyJob(Executable e) {
    Dataset<Row> warm = table(); // creating the DataFrame runs no job; count from here
    int before = MlSpark.jobs();
    Throwable t = assertThrows(IllegalArgumentException.class, e);
    assertEquals(before, MlSpark.jobs(), "no Spark job may start before the error: " + t.getMessage());
    assertTrue(warm.columns().length > 0);
    return t.getMessage();
  }

  @Test
  void unknownArchitectureNamesTheParamAtFit() {
    CnnClassifier cnn = new CnnClassifier().setFeaturesCol("path");
    String msg = failsBeforeAnyJob(() -> cnn.fit(table(), new ParamMap().put(cnn.architecture().w("resnet9000"))));
    assertTrue(msg.startsWith("CnnClassifier: param architecture (job key model.architecture): got 'resnet9000', "
        + "expected one of "), msg);
    assertTrue(msg.contains("tf_convnet"), msg);
  }

  @Test
  void missingArchitectureAndColumnsNameTheParam() {
    Dataset<Row> bytes = table().withColumn("image", org.apache.spark.sql.functions.encode(
        org.apache.spark.sql.functions.col("path"), "UTF-8"));
    String msg = failsBeforeAnyJob(() -> new CnnClassifier().setFeaturesCol("image").fit(bytes));
    assertTrue(msg.startsWith("CnnClassifier: param architecture (job key model.architecture) is required (one of "),
        msg);
    msg = failsBeforeAnyJob(() -> new CnnClassifier().setArchitecture("tf_convnet").fit(bytes));
    assertTrue(msg.startsWith("CnnClassifier: param featuresCol: no column 'features' (columns: path, label, name, "
        + "image)"), msg);
    msg = failsBeforeAnyJob(() -> new CnnClassifier().setArchitecture("tf_convnet").setFeaturesCol("image")
        .setLabelCol("y").fit(bytes));
    assertTrue(msg.startsWith("CnnClassifier: param labelCol: no column 'y'"), msg);
  }

  @Test
  void wrongColumnTypesNameTheParamAndColumn() {
    String msg = failsBeforeAnyJob(() -> new CnnClassifier().setArchitecture("tf_convnet").setFeaturesCol("path")
        .fit(table()));
    assertEquals("CnnClassifier: param featuresCol: column 'path' is string, expected Spark's image struct (the image "
        + "data source), binary (encoded image bytes), a vector or an array<float> of C*H*W pixels in [0, 1]", msg);
    Dataset<Row> bytes = table().withColumn("image", org.apache.spark.sql.functions.encode(
        org.apache.spark.sql.functions.col("path"), "UTF-8"));
    msg = failsBeforeAnyJob(() -> new CnnClassifier().setArchitecture("tf_convnet").setFeaturesCol("image")
        .setLabelCol("name").fit(bytes));
    assertTrue(msg.startsWith("CnnClassifier: param labelCol: column 'name' is string, expected numeric class "
        + "indices"), msg);
  }

  @Test
  void badValuesAndCrossKeyChecksNameTheParam() {
    Dataset<Row> bytes = table().withColumn("image", org.apache.spark.sql.functions.encode(
        org.apache.spark.sql.functions.col("path"), "UTF-8"));
    CnnClassifier cnn = new CnnClassifier().setArchitecture("tf_convnet").setFeaturesCol("image");
    String msg = failsBeforeAnyJob(() -> cnn.fit(bytes, new ParamMap().put(cnn.learningRate().w(-1.0))));
    assertTrue(msg.startsWith("CnnClassifier: param learningRate (job key training.lr): got '-1.0', expected a "
        + "number in [0, 10]"), msg);
    msg = failsBeforeAnyJob(() -> cnn.copy(ParamMap.empty()).setPhi(1).setWidth(2).fit(bytes));
    assertEquals("CnnClassifier: param phi (job key model.phi): got '1.0', expected either phi or "
        + "width/depth/resolution, not both", msg);
    msg = failsBeforeAnyJob(() -> cnn.copy(ParamMap.empty()).setJobSettings("training.lr=0.5").fit(bytes));
    assertTrue(msg.contains("param jobSettings: got 'training.lr=0.5'; training.lr is param learningRate"), msg);
    msg = failsBeforeAnyJob(() -> cnn.copy(ParamMap.empty()).setJobSettings("data.train.path=/x").fit(bytes));
    assertTrue(msg.contains("data.train.path does not apply to a DataFrame"), msg);
    msg = failsBeforeAnyJob(() -> cnn.copy(ParamMap.empty()).setJobSettings("training.nesterov=true",
        "training.momentum=0").fit(bytes));
    assertEquals("CnnClassifier: param jobSettings: training.nesterov: got 'true', expected momentum > 0 (Nesterov "
        + "needs momentum)", msg);
    msg = failsBeforeAnyJob(() -> cnn.copy(ParamMap.empty()).setJobSettings("training.bogus=1").fit(bytes));
    assertTrue(msg.startsWith("CnnClassifier: param jobSettings: unknown key 'training.bogus'"), msg);
  }

  @Test
  void transformChecksItsColumnsFirst() throws Exception {
    MlSpark.get();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("bad-transform");
    var model = CnnClassificationModel.fromCheckpoint(TinyCheckpoint.write(dir).toString());
    String msg = failsBeforeAnyJob(() -> model.setFeaturesCol("path").transform(table()));
    assertTrue(msg.startsWith("CnnClassificationModel: param featuresCol: column 'path' is string"), msg);
    msg = failsBeforeAnyJob(() -> model.setFeaturesCol("missing").transform(table()));
    assertTrue(msg.contains("param featuresCol: no column 'missing' (columns: path, label, name)"), msg);
    Dataset<Row> bytes = table().withColumn("image", org.apache.spark.sql.functions.encode(
        org.apache.spark.sql.functions.col("path"), "UTF-8")).withColumn("prediction",
        org.apache.spark.sql.functions.lit(1.0));
    msg = failsBeforeAnyJob(() -> model.setFeaturesCol("image").transform(bytes));
    assertTrue(msg.contains("param predictionCol: column 'prediction' already exists"), msg);
  }
}
