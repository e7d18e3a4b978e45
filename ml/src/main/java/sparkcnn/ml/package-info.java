/**
 * Spark ML API over the SparkCNN trainer and scorer: {@link sparkcnn.ml.CnnClassifier} (Estimator),
 * {@link sparkcnn.ml.CnnClassificationModel} (Model) and {@link sparkcnn.ml.ImageFeaturizer} (Transformer), with
 * params that map onto the job-file schema and MLWritable / MLReadable persistence.
 */
package sparkcnn.ml;
