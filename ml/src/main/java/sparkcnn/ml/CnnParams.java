package sparkcnn.ml;

import java.util.Map;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * The params {@link CnnClassifier} and {@link CnnClassificationModel} share, as Spark ML reads them: one public
 * accessor and one getter each. Names, docs, defaults and validation are declared once, in {@link JobParams};
 * each instance holds its own Param objects (Spark keys them by the owner's uid).
 */
public interface CnnParams extends Params {
  /** This instance's params by name, made once in its constructor by {@link JobParams#declare}. */
  Map<String, Param<?>> paramsByName();

  @SuppressWarnings("unchecked")
  private <P> P p(String name) {
    return (P) paramsByName().get(name);
  }

  default Param<String> featuresCol() {
    return p("featuresCol");
  }

  default Param<String> labelCol() {
    return p("labelCol");
  }

  default Param<String> predictionCol() {
    return p("predictionCol");
  }

  default Param<String> probabilityCol() {
    return p("probabilityCol");
  }

  default Param<String> rawPredictionCol() {
    return p("rawPredictionCol");
  }

  default Param<String> errorCol() {
    return p("errorCol");
  }

  default Param<String> architecture() {
    return p("architecture");
  }

  default IntParam classes() {
    return p("classes");
  }

  default Param<String> inputShape() {
    return p("inputShape");
  }

  default DoubleParam phi() {
    return p("phi");
  }

  default DoubleParam width() {
    return p("width");
  }

  default DoubleParam depth() {
    return p("depth");
  }

  default DoubleParam resolution() {
    return p("resolution");
  }

  default IntParam epochs() {
    return p("epochs");
  }

  default IntParam batchSize() {
    return p("batchSize");
  }

  default Param<String> optimizer() {
    return p("optimizer");
  }

  default DoubleParam learningRate() {
    return p("learningRate");
  }

  default DoubleParam weightDecay() {
    return p("weightDecay");
  }

  default StringArrayParam augmentations() {
    return p("augmentations");
  }

  default Param<String> sync() {
    return p("sync");
  }

  default LongParam seed() {
    return p("seed");
  }

  default StringArrayParam freeze() {
    return p("freeze");
  }

  default Param<String> initCheckpoint() {
    return p("initCheckpoint");
  }

  default DoubleParam validationFraction() {
    return p("validationFraction");
  }

  default Param<String> checkpointDir() {
    return p("checkpointDir");
  }

  default IntParam scoreBatchSize() {
    return p("scoreBatchSize");
  }

  default StringArrayParam jobSettings() {
    return p("jobSettings");
  }

  default String getFeaturesCol() {
    return (String) getOrDefault(featuresCol());
  }

  default String getLabelCol() {
    return (String) getOrDefault(labelCol());
  }

  default String getPredictionCol() {
    return (String) getOrDefault(predictionCol());
  }

  default String getProbabilityCol() {
    return (String) getOrDefault(probabilityCol());
  }

  default String getRawPredictionCol() {
    return (String) getOrDefault(rawPredictionCol());
  }

  default String getErrorCol() {
    return (String) getOrDefault(errorCol());
  }

  default String getArchitecture() {
    return (String) getOrDefault(architecture());
  }

  default int getClasses() {
    return (Integer) getOrDefault(classes());
  }

  default String getInputShape() {
    return (String) getOrDefault(inputShape());
  }

  default double getPhi() {
    return (Double) getOrDefault(phi());
  }

  default double getWidth() {
    return (Double) getOrDefault(width());
  }

  default double getDepth() {
    return (Double) getOrDefault(depth());
  }

  default double getResolution() {
    return (Double) getOrDefault(resolution());
  }

  default int getEpochs() {
    return (Integer) getOrDefault(epochs());
  }

  default int getBatchSize() {
    return (Integer) getOrDefault(batchSize());
  }

  default String getOptimizer() {
    return (String) getOrDefault(optimizer());
  }

  default double getLearningRate() {
    return (Double) getOrDefault(learningRate());
  }

  default double getWeightDecay() {
    return (Double) getOrDefault(weightDecay());
  }

  default String[] getAugmentations() {
    return (String[]) getOrDefault(augmentations());
  }

  default String getSync() {
    return (String) getOrDefault(sync());
  }

  default long getSeed() {
    return (Long) getOrDefault(seed());
  }

  default String[] getFreeze() {
    return (String[]) getOrDefault(freeze());
  }

  default String getInitCheckpoint() {
    return (String) getOrDefault(initCheckpoint());
  }

  default double getValidationFraction() {
    return (Double) getOrDefault(validationFraction());
  }

  default String getCheckpointDir() {
    return (String) getOrDefault(checkpointDir());
  }

  default int getScoreBatchSize() {
    return (Integer) getOrDefault(scoreBatchSize());
  }

  default String[] getJobSettings() {
    return (String[]) getOrDefault(jobSettings());
  }
}
