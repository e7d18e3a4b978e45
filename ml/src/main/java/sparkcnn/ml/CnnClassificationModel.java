package sparkcnn.ml;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.score.Scorer;
import sparkcnn.driver.score.ScoringModels;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.ClassNames;
import sparkcnn.models.zoo.ModelSpec;

/**
 * A trained CNN classifier as a Spark ML Model: transform scores the features column with the same
 * {@link Scorer} as {@code bin/sparkcnn score} (the model broadcast once, batches per partition, batch norm
 * folded) and appends Spark's classifier columns: prediction (double, with the class names as nominal
 * metadata), probability and rawPrediction (vectors; raw = log-probabilities), plus an error column. An input
 * that cannot be read gives a row with a null prediction and its error instead of failing the job. Saved as
 * Spark ML params metadata plus the training checkpoint file (weights/model.ckpt), which any SparkCNN command
 * also reads.
 */
public final class CnnClassificationModel extends Model<CnnClassificationModel> implements CnnParams, MLWritable {
  private static final String WHO = "CnnClassificationModel";
  /** The weights inside a saved model's directory. */
  static final String WEIGHTS = "weights/model.ckpt";
  private final String uid;
  private final Map<String, Param<?>> params;
  private final byte[] checkpoint;
  private final Checkpoint.Contents contents;
  private final ModelSpec spec;
  private final List<String> classNames;
  private TrainingSummary summary;
  private transient ScoringModels scoring;

  /** A model of checkpoint file bytes (source names them in errors). */
  CnnClassificationModel(String uid, byte[] checkpoint, String source) throws IOException {
    this.uid = uid;
    this.params = JobParams.declare(this);
    JobParams.setDefaults(this, params);
    this.checkpoint = checkpoint;
    this.contents = Checkpoint.read(new ByteArrayInputStream(checkpoint), source);
    try {
      this.spec = ModelSpec.fromMap(contents.spec());
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
    this.classNames = ClassNames.from(contents.spec(), spec.classes());
  }

  /** A model from a checkpoint file of bin/sparkcnn train (any Hadoop path), to score DataFrames with. */
  public static CnnClassificationModel fromCheckpoint(String path) {
    try {
      var session = org.apache.spark.sql.SparkSession.getDefaultSession();
      org.apache.hadoop.conf.Configuration conf = session.isDefined() ? session.get().sparkContext()
          .hadoopConfiguration() : new org.apache.hadoop.conf.Configuration();
      return new CnnClassificationModel(Identifiable$.MODULE$.randomUID("cnnClassificationModel"),
          HadoopFiles.readAll(path, conf), path);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public Map<String, Param<?>> paramsByName() {
    return params;
  }

  public int numClasses() {
    return spec.classes();
  }

  /** The class names in label order (from the label metadata, the job's class names, else "0".."K-1"). */
  public List<String> classNames() {
    return classNames;
  }

  /** The network: architecture, input (C, H, W), scaling and class count. */
  public ModelSpec spec() {
    return spec;
  }

  /** The checkpoint's parameter floats (a copy). */
  public float[] parameters() {
    return contents.blocks().get("params").clone();
  }

  /** The checkpoint file's bytes, as saved in weights/model.ckpt. */
  byte[] checkpointBytes() {
    return checkpoint;
  }

  /** The checkpoint's running statistics (batch norm). */
  float[] checkpointState() {
    return contents.blocks().getOrDefault("state", new float[0]);
  }

  /** The checkpoint's spec: model, class names, normalization. */
  Map<String, String> checkpointSpec() {
    return contents.spec();
  }

  public boolean hasSummary() {
    return summary != null;
  }

  /** What fitting did (per-epoch history, validation metrics); only on a model fitted in this session. */
  public TrainingSummary summary() {
    if (summary == null) {
      throw new IllegalStateException(WHO + ": no training summary (this model was loaded, not fitted here)");
    }
    return summary;
  }

  void setSummary(TrainingSummary s) {
    this.summary = s;
  }

  @Override
  public CnnClassificationModel copy(ParamMap extra) {
    try {
      CnnClassificationModel m = new CnnClassificationModel(uid, checkpoint, WHO);
      copyValues(m, extra);
      m.summary = summary;
      return m.setParent(parent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public CnnClassificationModel setFeaturesCol(String v) {
    set(featuresCol(), v);
    return this;
  }

  public CnnClassificationModel setPredictionCol(String v) {
    set(predictionCol(), v);
    return this;
  }

  public CnnClassificationModel setProbabilityCol(String v) {
    set(probabilityCol(), v);
    return this;
  }

  public CnnClassificationModel setRawPredictionCol(String v) {
    set(rawPredictionCol(), v);
    return this;
  }

  public CnnClassificationModel setErrorCol(String v) {
    set(errorCol(), v);
    return this;
  }

  public CnnClassificationModel setScoreBatchSize(int v) {
    set(scoreBatchSize(), v);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeaturesColumn.of(WHO, schema, "featuresCol", getFeaturesCol());
    return outputSchema(WHO, this, schema, classNames);
  }

  /**
   * The input schema plus the output columns; fails naming the param of an output column that exists. names: the
   * class names, or null when not known yet (an estimator's schema before fitting).
   */
  static StructType outputSchema(String who, CnnParams p, StructType schema, List<String> names) {
    List<String> columns = Arrays.asList(schema.fieldNames());
    String[][] outputs = {{"predictionCol", p.getPredictionCol()}, {"probabilityCol", p.getProbabilityCol()},
        {"rawPredictionCol", p.getRawPredictionCol()}, {"errorCol", p.getErrorCol()}};
    for (String[] o : outputs) {
      if (columns.contains(o[1])) {
        throw new IllegalArgumentException(who + ": param " + o[0] + ": column '" + o[1] + "' already exists; "
            + "choose another name");
      }
    }
    NominalAttribute nominal = NominalAttribute.defaultAttr().withName(p.getPredictionCol());
    Metadata prediction = (names == null ? nominal : nominal.withValues(names.toArray(new String[0]))).toMetadata();
    return schema
        .add(new StructField(p.getPredictionCol(), DataTypes.DoubleType, true, prediction))
        .add(new StructField(p.getProbabilityCol(), SQLDataTypes.VectorType(), true,
            vectors(p.getProbabilityCol(), names)))
        .add(new StructField(p.getRawPredictionCol(), SQLDataTypes.VectorType(), true,
            vectors(p.getRawPredictionCol(), names)))
        .add(new StructField(p.getErrorCol(), DataTypes.StringType, true, Metadata.empty()));
  }

  /** A vector column's metadata: its size, one per class, when known. */
  private static Metadata vectors(String column, List<String> names) {
    return (names == null ? new AttributeGroup(column) : new AttributeGroup(column, names.size())).toMetadata();
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    FeaturesColumn kind = FeaturesColumn.of(WHO, dataset.schema(), "featuresCol", getFeaturesCol());
    int index = dataset.schema().fieldIndex(getFeaturesCol());
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    Broadcast<Scorer> scorer = sc.broadcast(new Scorer(scoringModels(), spec.classes(), 1, getScoreBatchSize(),
        sparkcnn.driver.data.ImageDecoding.DEFAULT_MAX_PIXELS));
    ModelSpec s = spec;
    return OutputRows.map(dataset, out, rows -> ScoredRows.of(rows, scorer.value(), kind, index, s.channels(),
        s.height(), s.width(), s.classes()));
  }

  /** The one member this model scores with; kept so executors reuse their pooled inference graphs. */
  private synchronized ScoringModels scoringModels() {
    if (scoring == null) {
      Map<String, float[]> b = contents.blocks();
      scoring = new ScoringModels(List.of(new ScoringModels.Member(spec, b.get("params"),
          b.getOrDefault("state", new float[0]), Normalization.from(contents.spec()))));
    }
    return scoring;
  }

  @Override
  public MLWriter write() {
    CnnClassificationModel self = this;
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter.saveMetadata(self, path, sparkSession());
        try {
          HadoopFiles.write(path + "/" + WEIGHTS, sparkSession().sparkContext().hadoopConfiguration(), checkpoint);
        } catch (IOException e) {
          throw new UncheckedIOException(path + "/" + WEIGHTS + ": " + e.getMessage(), e);
        }
      }
    };
  }

  public static MLReader<CnnClassificationModel> read() {
    return new MLReader<>() {
      @Override
      public CnnClassificationModel load(String path) {
        DefaultParamsReader.Metadata meta = DefaultParamsReader.loadMetadata(path, sparkSession(),
            CnnClassificationModel.class.getName());
        String weights = path + "/" + WEIGHTS;
        try {
          CnnClassificationModel m = new CnnClassificationModel(meta.uid(),
              HadoopFiles.readAll(weights, sparkSession().sparkContext().hadoopConfiguration()), weights);
          meta.getAndSetParams(m, scala.Option.empty());
          return m;
        } catch (IOException e) {
          throw new UncheckedIOException(weights + ": " + e.getMessage(), e);
        }
      }
    };
  }

  public static CnnClassificationModel load(String path) {
    return read().load(path);
  }

  @Override
  public String toString() {
    return WHO + ": uid=" + uid + ", " + spec.name() + " " + spec.input() + ", " + spec.classes() + " classes";
  }
}
