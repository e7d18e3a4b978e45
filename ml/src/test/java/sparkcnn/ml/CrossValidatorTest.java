package sparkcnn.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** CrossValidator picks between two learning rates of a tiny CnnClassifier, Spark's tuning code unchanged. */
class CrossValidatorTest {
  @Test
  void crossValidatorChoosesTheLearningRate() {
    Dataset<Row> df = MlSpark.vectors(MlSpark.samples(90, 12, 13))
        .withColumn("label", org.apache.spark.sql.functions.when(
            org.apache.spark.sql.functions.col("name").equalTo(MlSpark.NAMES[0]), 0.0)
            .when(org.apache.spark.sql.functions.col("name").equalTo(MlSpark.NAMES[1]), 1.0).otherwise(2.0));
    CnnClassifier cnn = new CnnClassifier().setArchitecture("tf_convnet").setWidth(0.25).setInputShape("1x12x12")
        .setClasses(3).setEpochs(3).setBatchSize(15).setOptimizer("adam").setSeed(2)
        .setJobSettings("training.micro_batch=15", "training.schedule=constant");
    ParamMap[] grid = new ParamGridBuilder().addGrid(cnn.learningRate(), new double[] {0.01, 1e-5}).build();
    CrossValidatorModel cv = new CrossValidator().setEstimator(cnn).setEstimatorParamMaps(grid).setNumFolds(2)
        .setSeed(7).setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy")).fit(df);
    double[] metrics = cv.avgMetrics();
    assertEquals(2, metrics.length);
    assertTrue(metrics[0] > metrics[1] + 0.2, "lr 0.01 learns in 3 epochs, 1e-5 barely moves: "
        + java.util.Arrays.toString(metrics));
    CnnClassificationModel best = (CnnClassificationModel) cv.bestModel();
    assertEquals(0.01, best.getLearningRate());
    assertEquals(3, best.numClasses());
  }
}
