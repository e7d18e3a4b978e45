package sparkcnn.ml;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.LoggerFactory;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.data.ValidationSplit;
import sparkcnn.driver.train.TrainingRun;
import sparkcnn.jobs.JobRun;
import sparkcnn.jobs.config.ConfigException;
import sparkcnn.jobs.config.TrainJob;
import sparkcnn.models.ClassNames;
import sparkcnn.models.zoo.ModelSpec;

/**
 * A CNN image classifier as a Spark ML Estimator: the params are job-file keys ({@link JobParams}), fit turns
 * the DataFrame's rows into the trainer's sample blocks and runs the same {@link TrainingRun} as
 * {@code bin/sparkcnn train} (collective, broadcast or local SGD), and returns a {@link CnnClassificationModel}
 * that scores with the same scorer as {@code bin/sparkcnn score}. Everything about the params and columns is
 * checked before the first Spark job.
 */
public final class CnnClassifier extends Estimator<CnnClassificationModel>
    implements CnnParams, DefaultParamsWritable {
  private static final String WHO = "CnnClassifier";
  private final String uid;
  private final Map<String, Param<?>> params;

  public CnnClassifier() {
    this(Identifiable$.MODULE$.randomUID("cnnClassifier"));
  }

  public CnnClassifier(String uid) {
    this.uid = uid;
    this.params = JobParams.declare(this);
    JobParams.setDefaults(this, params);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Map<String, Param<?>> paramsByName() {
    return params;
  }

  @Override
  public CnnClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<CnnClassifier> read() {
    return new DefaultParamsReader<>();
  }

  public static CnnClassifier load(String path) {
    return read().load(path);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeaturesColumn.of(WHO, schema, "featuresCol", getFeaturesCol());
    List<String> names = LabelColumn.names(LabelColumn.check(WHO, schema, getLabelCol()));
    Integer classes = getClassesOrNull();
    job(classes != null ? classes : names != null ? Integer.valueOf(names.size()) : null, null);
    // Before fitting, the classes are known from the label metadata or the classes param, if at all.
    return CnnClassificationModel.outputSchema(WHO, this, schema, names != null ? names
        : classes != null ? ClassNames.defaults(classes) : null);
  }

  private Integer getClassesOrNull() {
    return isDefined(classes()) ? getClasses() : null;
  }

  /** The job these params describe, validated like a job file; class count and names may come from the data. */
  private TrainJob job(Integer classes, List<String> names) {
    Map<String, Object> extra = new LinkedHashMap<>();
    if (classes != null) {
      extra.put("model.classes", classes.longValue());
    }
    if (names != null) {
      extra.put("data.class_names", new ArrayList<Object>(names));
    }
    // One progress line per epoch: the summary's per-epoch means come from those lines (see TrainingSummary).
    extra.put("log_every_seconds", 1e6);
    try {
      return TrainJob.withoutSources(WHO + " params", JobParams.jobDocument(this, extra));
    } catch (ConfigException e) {
      throw JobParams.translate(WHO, e);
    }
  }

  @Override
  public CnnClassificationModel fit(Dataset<?> dataset) {
    StructType schema = dataset.schema();
    FeaturesColumn kind = FeaturesColumn.of(WHO, schema, "featuresCol", getFeaturesCol());
    StructField labelField = LabelColumn.check(WHO, schema, getLabelCol());
    List<String> names = LabelColumn.names(labelField);
    Integer classes = getClassesOrNull();
    if (names != null && classes != null && names.size() != classes) {
      throw new IllegalArgumentException(WHO + ": param classes is " + classes + " but column '" + getLabelCol()
          + "' (param labelCol) names " + names.size() + " classes in its metadata: " + names);
    }
    TrainJob job = job(classes != null ? classes : names != null ? Integer.valueOf(names.size()) : null, names);
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    SessionCheck.requireTrainingSettings(WHO, sc.getConf());
    if (classes == null && names == null) {
      // No class count in the params or the label metadata: the largest label says it (one Spark job), as for
      // Spark's own classifiers.
      Row max = dataset.agg(org.apache.spark.sql.functions.max(getLabelCol())).first();
      if (!max.isNullAt(0)) {
        job = job(Math.max(1, (int) Math.rint(((Number) max.get(0)).doubleValue()) + 1), null);
      }
    }
    try {
      return train(sc, dataset.toDF(), kind, job);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  private CnnClassificationModel train(JavaSparkContext sc, Dataset<Row> df, FeaturesColumn kind, TrainJob job)
      throws IOException {
    PrintStream log = LogStream.to(LoggerFactory.getLogger(CnnClassifier.class));
    ModelSpec m = job.model;
    int partitions = (int) job.job.integer("data.partitions");
    partitions = partitions > 0 ? partitions : sc.defaultParallelism();
    JavaRDD<SampleBlock> trainBlocks = DataFrameBlocks.of(df, kind, getFeaturesCol(), getLabelCol(), m.channels(),
        m.height(), m.width(), m.classes(), partitions, WHO + " training rows");
    JavaRDD<SampleBlock> validationBlocks = null;
    double fraction = job.job.number("data.validation.fraction");
    if (fraction > 0) {
      // The job files' split: stratified by class, chosen per sample, the same on any partitioning.
      ValidationSplit.Split split = ValidationSplit.of(trainBlocks, fraction, job.job.integer("data.validation.seed"),
          WHO + " training rows");
      trainBlocks.unpersist(false);
      trainBlocks = split.train();
      validationBlocks = split.validation();
    }
    job.config.classNames = new ArrayList<>(job.classNames != null ? job.classNames
        : ClassNames.defaults(m.classes()));
    boolean temporary = !isDefined(checkpointDir());
    String out = temporary ? Files.createTempDirectory("sparkcnn-fit-").toUri().toString() : getCheckpointDir();
    try {
      JobRun.normalize(sc, job, trainBlocks, false, log);
      TrainingRun.Outcome o = TrainingRun.run(sc, trainBlocks, validationBlocks, null, job.config,
          new TrainingRun.Options((int) job.job.integer("training.epochs"), out,
              job.job.integer("checkpoint.every_steps"), (int) job.job.integer("checkpoint.keep"), false,
              job.job.number("log_every_seconds"), 256, log, job.job.integer("training.max_steps"), 0));
      byte[] checkpoint = HadoopFiles.readAll(o.checkpoint(), sc.hadoopConfiguration());
      TrainingSummary summary = TrainingSummary.parse(new String(HadoopFiles.readAll(o.metrics(),
          sc.hadoopConfiguration()), java.nio.charset.StandardCharsets.UTF_8), o.steps(), o.seconds());
      CnnClassificationModel model = new CnnClassificationModel(uid, checkpoint, o.checkpoint());
      copyValues(model, ParamMap.empty());
      model.setParent(this);
      model.setSummary(summary);
      return model;
    } finally {
      trainBlocks.unpersist(false);
      if (validationBlocks != null) {
        validationBlocks.unpersist(false);
      }
      if (temporary) {
        Path p = new Path(out);
        p.getFileSystem(sc.hadoopConfiguration()).delete(p, true);
      }
    }
  }

  public CnnClassifier setFeaturesCol(String value) {
    set(featuresCol(), value);
    return this;
  }

  public CnnClassifier setLabelCol(String value) {
    set(labelCol(), value);
    return this;
  }

  public CnnClassifier setPredictionCol(String value) {
    set(predictionCol(), value);
    return this;
  }

  public CnnClassifier setProbabilityCol(String value) {
    set(probabilityCol(), value);
    return this;
  }

  public CnnClassifier setRawPredictionCol(String value) {
    set(rawPredictionCol(), value);
    return this;
  }

  public CnnClassifier setErrorCol(String value) {
    set(errorCol(), value);
    return this;
  }

  public CnnClassifier setArchitecture(String value) {
    set(architecture(), value);
    return this;
  }

  public CnnClassifier setClasses(int value) {
    set(classes(), value);
    return this;
  }

  public CnnClassifier setInputShape(String value) {
    set(inputShape(), value);
    return this;
  }

  public CnnClassifier setPhi(double value) {
    set(phi(), value);
    return this;
  }

  public CnnClassifier setWidth(double value) {
    set(width(), value);
    return this;
  }

  public CnnClassifier setDepth(double value) {
    set(depth(), value);
    return this;
  }

  public CnnClassifier setResolution(double value) {
    set(resolution(), value);
    return this;
  }

  public CnnClassifier setEpochs(int value) {
    set(epochs(), value);
    return this;
  }

  public CnnClassifier setBatchSize(int value) {
    set(batchSize(), value);
    return this;
  }

  public CnnClassifier setOptimizer(String value) {
    set(optimizer(), value);
    return this;
  }

  public CnnClassifier setLearningRate(double value) {
    set(learningRate(), value);
    return this;
  }

  public CnnClassifier setWeightDecay(double value) {
    set(weightDecay(), value);
    return this;
  }

  public CnnClassifier setAugmentations(String... value) {
    set(augmentations(), value);
    return this;
  }

  public CnnClassifier setSync(String value) {
    set(sync(), value);
    return this;
  }

  public CnnClassifier setSeed(long value) {
    set(seed(), value);
    return this;
  }

  public CnnClassifier setFreeze(String... value) {
    set(freeze(), value);
    return this;
  }

  public CnnClassifier setInitCheckpoint(String value) {
    set(initCheckpoint(), value);
    return this;
  }

  public CnnClassifier setValidationFraction(double value) {
    set(validationFraction(), value);
    return this;
  }

  public CnnClassifier setCheckpointDir(String value) {
    set(checkpointDir(), value);
    return this;
  }

  public CnnClassifier setScoreBatchSize(int value) {
    set(scoreBatchSize(), value);
    return this;
  }

  public CnnClassifier setJobSettings(String... value) {
    set(jobSettings(), value);
    return this;
  }
}
