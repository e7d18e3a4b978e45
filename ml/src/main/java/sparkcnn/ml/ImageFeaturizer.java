package sparkcnn.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.driver.score.Batched;
import sparkcnn.driver.train.CheckpointStore;
import sparkcnn.kernels.Tensor;
import sparkcnn.models.Checkpoint;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * A frozen network as a feature extractor (sparkdl's DeepImageFeaturizer use): images in, the output of a named
 * layer out as a Vector column, for Spark ML's own classifiers on top (transfer learning with, say,
 * LogisticRegression). The network is a checkpoint (a file, a checkpoints folder, or a saved
 * CnnClassificationModel) or a zoo architecture initialized from a seed. The cut is the one training.freeze
 * makes: through the named layer (names as bin/sparkcnn summary lists them, "2" or "3.1") and the
 * parameter-free layers right after it, run in evaluation mode. Unreadable images give a null vector and an
 * error.
 */
public final class ImageFeaturizer extends Transformer implements DefaultParamsWritable {
  private static final String WHO = "ImageFeaturizer";
  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final Param<String> errorCol;
  private final Param<String> modelPath;
  private final Param<String> architecture;
  private final Param<String> inputShape;
  private final IntParam classes;
  private final LongParam seed;
  private final Param<String> layer;
  private final IntParam batchSize;

  public ImageFeaturizer() {
    this(Identifiable$.MODULE$.randomUID("imageFeaturizer"));
  }

  public ImageFeaturizer(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "images: Spark's image struct, encoded bytes, or a vector / "
        + "array<float> of C*H*W pixels in [0, 1]");
    outputCol = new Param<>(this, "outputCol", "the layer's output, flattened, as a vector");
    errorCol = new Param<>(this, "errorCol", "why an image could not be read (null when it was)");
    modelPath = new Param<>(this, "modelPath", "the network: a checkpoint file, a checkpoints folder (the newest), "
        + "or a saved CnnClassificationModel; unset: architecture, initialized from seed");
    architecture = new Param<>(this, "architecture", "zoo architecture when no modelPath is set",
        ParamValidators.inArray(Zoo.names().toArray(new String[0])));
    inputShape = new Param<>(this, "inputShape", "input CxHxW of the architecture (default: its own)");
    classes = new IntParam(this, "classes", "output classes of the architecture (default: its own)",
        ParamValidators.gtEq(1));
    seed = new LongParam(this, "seed", "initialization seed of the architecture");
    layer = new Param<>(this, "layer", "the layer whose output is the feature vector, as bin/sparkcnn summary names "
        + "it (\"2\", \"3.1\"): features end after it and the parameter-free layers that follow");
    batchSize = new IntParam(this, "batchSize", "images per forward", ParamValidators.gtEq(1));
    setDefault(inputCol, "image");
    setDefault(outputCol, "features");
    setDefault(errorCol, "featuresError");
    setDefault(seed, 1L);
    setDefault(batchSize, 64);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> errorCol() {
    return errorCol;
  }

  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> architecture() {
    return architecture;
  }

  public Param<String> inputShape() {
    return inputShape;
  }

  public IntParam classes() {
    return classes;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> layer() {
    return layer;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public ImageFeaturizer setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public ImageFeaturizer setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public ImageFeaturizer setErrorCol(String v) {
    set(errorCol, v);
    return this;
  }

  public ImageFeaturizer setModelPath(String v) {
    set(modelPath, v);
    return this;
  }

  public ImageFeaturizer setArchitecture(String v) {
    set(architecture, v);
    return this;
  }

  public ImageFeaturizer setInputShape(String v) {
    set(inputShape, v);
    return this;
  }

  public ImageFeaturizer setClasses(int v) {
    set(classes, v);
    return this;
  }

  public ImageFeaturizer setSeed(long v) {
    set(seed, v);
    return this;
  }

  public ImageFeaturizer setLayer(String v) {
    set(layer, v);
    return this;
  }

  public ImageFeaturizer setBatchSize(int v) {
    set(batchSize, v);
    return this;
  }

  @Override
  public ImageFeaturizer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<ImageFeaturizer> read() {
    return new DefaultParamsReader<>();
  }

  public static ImageFeaturizer load(String path) {
    return read().load(path);
  }

  /** The network this featurizer runs: spec, weights, normalization, and how many leading parameters it runs. */
  record Network(ModelSpec spec, float[] params, float[] state, Normalization normalization, int frozen,
      int[] featureShape) {}

  /** Resolves the params into the network (reads the checkpoint); fails naming the param. */
  Network network(Configuration conf) {
    if (!isDefined(layer)) {
      throw new IllegalArgumentException(WHO + ": param layer is required (a layer name as bin/sparkcnn summary "
          + "lists them, e.g. \"2\")");
    }
    Model m;
    ModelSpec spec;
    Normalization norm = null;
    if (isDefined(modelPath)) {
      Checkpoint.Contents c = checkpoint(getOrDefault(modelPath), conf);
      try {
        m = Zoo.restore(c, getOrDefault(modelPath));
      } catch (IOException e) {
        throw new UncheckedIOException(e.getMessage(), e);
      }
      spec = ModelSpec.fromMap(c.spec());
      norm = Normalization.from(c.spec());
    } else if (isDefined(architecture)) {
      int[] input = isDefined(inputShape) ? ModelSpec.parseInput(getOrDefault(inputShape), "inputShape") : null;
      spec = Zoo.spec(getOrDefault(architecture), isDefined(classes) ? (Integer) getOrDefault(classes) : null, input,
          sparkcnn.models.zoo.Scaling.NONE);
      m = Zoo.build(spec).init((Long) getOrDefault(seed));
    } else {
      throw new IllegalArgumentException(WHO + ": param modelPath or param architecture is required (the network "
          + "to run)");
    }
    int frozen = through(m, spec, getOrDefault(layer));
    m.freeze(frozen);
    return new Network(spec, m.params(), m.state(), norm, frozen, m.featureShape());
  }

  private static Checkpoint.Contents checkpoint(String path, Configuration conf) {
    try {
      Path saved = new Path(path, CnnClassificationModel.WEIGHTS);
      String file = saved.getFileSystem(conf).exists(saved) ? saved.toString() : path;
      return CheckpointStore.readFileOrNewest(file, conf, w -> { });
    } catch (IOException e) {
      throw new IllegalArgumentException(WHO + ": param modelPath: " + path + ": " + e.getMessage(), e);
    }
  }

  /** Leading parameters through the named layer; fails naming the param and the layers there are. */
  static int through(Model m, ModelSpec spec, String layer) {
    List<Model.Part> parts = m.parts().stream().filter(p -> p.paramCount() > 0).toList();
    int count = -1;
    for (Model.Part p : parts) {
      if (p.name().equals(layer) || p.name().startsWith(layer + ".")) {
        count = p.paramOffset() + p.paramCount();
      }
    }
    List<String> names = parts.stream().map(Model.Part::name).limit(8).toList();
    if (count < 0) {
      throw new IllegalArgumentException(WHO + ": param layer: '" + layer + "' names no layer with parameters of "
          + spec.name() + " (layers as bin/sparkcnn summary lists them: " + String.join(", ", names) + ", ...)");
    }
    if (count == m.paramCount()) {
      throw new IllegalArgumentException(WHO + ": param layer: '" + layer + "' is " + spec.name() + "'s last layer; "
          + "name one before the head (its outputs are the classifier's, use CnnClassificationModel)");
    }
    try {
      m.freeze(count).freeze(0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(WHO + ": param layer: '" + layer + "': " + e.getMessage(), e);
    }
    return count;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeaturesColumn.of(WHO, schema, "inputCol", getOrDefault(inputCol));
    for (Param<String> p : List.of(outputCol, errorCol)) {
      if (Arrays.asList(schema.fieldNames()).contains(getOrDefault(p))) {
        throw new IllegalArgumentException(WHO + ": param " + p.name() + ": column '" + getOrDefault(p)
            + "' already exists; choose another name");
      }
    }
    return schema.add(new StructField(getOrDefault(outputCol), SQLDataTypes.VectorType(), true, Metadata.empty()))
        .add(new StructField(getOrDefault(errorCol), DataTypes.StringType, true, Metadata.empty()));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType out = transformSchema(dataset.schema(), true);
    FeaturesColumn kind = FeaturesColumn.of(WHO, dataset.schema(), "inputCol", getOrDefault(inputCol));
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    Network n = network(sc.hadoopConfiguration());
    // The weights travel once per executor as broadcasts of float arrays (Kryo-registered); the rest is small.
    Broadcast<float[]> params = sc.broadcast(n.params());
    Broadcast<float[]> state = sc.broadcast(n.state());
    ModelSpec spec = n.spec();
    Normalization norm = n.normalization();
    int frozen = n.frozen();
    int batch = (Integer) getOrDefault(batchSize);
    int index = dataset.schema().fieldIndex(getOrDefault(inputCol));
    return OutputRows.map(dataset, out, rows -> {
      Model m = Zoo.build(spec);
      m.load(params.value(), state.value());
      m.freeze(frozen);
      return featurize(rows, m, spec, norm, kind, index, batch);
    });
  }

  /** Rows with their feature vector (or error) appended, computed batch by batch. */
  private static Iterator<Row> featurize(Iterator<Row> rows, Model m, ModelSpec spec, Normalization norm,
      FeaturesColumn kind, int index, int batch) {
    return Batched.lazily(rows, batch, chunk -> featurizeBatch(chunk, m, spec, norm, kind, index));
  }

  private static List<Row> featurizeBatch(List<Row> chunk, Model m, ModelSpec spec, Normalization norm,
      FeaturesColumn kind, int index) {
    int c = spec.channels();
    int h = spec.height();
    int w = spec.width();
    int per = c * h * w;
    List<byte[]> planes = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Row r : chunk) {
      try {
        planes.add(kind.planes(r.get(index), c, h, w));
        errors.add(null);
      } catch (IOException | RuntimeException e) {
        planes.add(null);
        errors.add(e.getMessage() == null ? e.toString() : e.getMessage());
      }
    }
    int ok = (int) planes.stream().filter(p -> p != null).count();
    float[] y = null;
    int dim = 0;
    if (ok > 0) {
      Tensor x = Tensor.zeros(ok, c, h, w);
      int s = 0;
      for (byte[] p : planes) {
        if (p != null) {
          ImageDecoding.toUnit(p, 0, x.data, s * per, per);
          if (norm != null) {
            norm.apply(x.data, s * per, c, h * w);
          }
          s++;
        }
      }
      Tensor f = m.features(x);
      dim = f.size() / ok;
      y = new float[f.size()];
      System.arraycopy(f.data, f.offset, y, 0, y.length);
    }
    List<Row> out = new ArrayList<>(chunk.size());
    int s = 0;
    for (int i = 0; i < chunk.size(); i++) {
      Row r = chunk.get(i);
      Object[] values = new Object[r.length() + 2];
      for (int j = 0; j < r.length(); j++) {
        values[j] = r.get(j);
      }
      if (planes.get(i) != null) {
        double[] v = new double[dim];
        for (int k = 0; k < dim; k++) {
          v[k] = y[s * dim + k];
        }
        values[r.length()] = Vectors.dense(v);
        s++;
      } else {
        values[r.length() + 1] = errors.get(i);
      }
      out.add(RowFactory.create(values));
    }
    return out;
  }
}
