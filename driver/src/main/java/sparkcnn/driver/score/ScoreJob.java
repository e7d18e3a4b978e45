package sparkcnn.driver.score;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.HadoopFiles;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.models.Json;

/**
 * Batch scoring of a large image set: every image file under a folder tree (or every row of a Parquet table with
 * an encoded-image column) in, one row per image out (Parquet or CSV): path, top class and its name, top-k
 * classes, their names and probabilities, error. Files are listed on the driver, read and decoded inside the
 * executors and scored partition by partition as a stream.
 */
public final class ScoreJob {

  private ScoreJob() {}

  /** What a scoring run wrote. */
  public record Result(long rows, long errors, String output, double seconds) {}

  /** classNames: output i's name (one per class), written beside the class numbers; null: "0".."K-1". */
  public static Result run(JavaSparkContext sc, String input, String imageColumn, String idColumn, Scorer scorer,
      List<String> classNames, String output, String outputFormat, int partitions) throws IOException {
    long t0 = System.nanoTime();
    checkPaths(sc, input, output);
    Broadcast<Scorer> shared = sc.broadcast(scorer);
    try {
      String[] names = (classNames != null ? classNames
          : sparkcnn.models.ClassNames.defaults(scorer.classes())).toArray(new String[0]);
      if (names.length != scorer.classes()) {
        throw new IllegalArgumentException(names.length + " class names for a model of " + scorer.classes()
            + " classes");
      }
      return write(sc, input, imageColumn, idColumn, shared, names, output, outputFormat, partitions, t0);
    } finally {
      shared.destroy();
    }
  }

  /**
   * The scorer (with every member's weights) is broadcast: each executor fetches and deserializes it once per job
   * instead of every task deserializing it from its closure, which for EfficientNet-B7 would be 260 MB a task.
   */
  private static Result write(JavaSparkContext sc, String input, String imageColumn, String idColumn,
      Broadcast<Scorer> shared, String[] names, String output, String outputFormat, int partitions, long t0)
      throws IOException {
    JavaRDD<Scorer.Row> rows = inputs(sc, input, imageColumn, idColumn, partitions)
        .mapPartitions(it -> shared.value().score(map(it, MaskScorer.Named::input)));
    // Each class number has its name beside it: top_class_name, and class_names for the top-k classes (in CSV a
    // JSON array: names may hold the separators a joined list would need).
    StructType schema = new StructType()
        .add("path", DataTypes.StringType)
        .add("top_class", DataTypes.IntegerType)
        .add("top_class_name", DataTypes.StringType)
        .add("top_probability", DataTypes.FloatType)
        .add("classes", outputFormat.equals("csv") ? DataTypes.StringType
            : DataTypes.createArrayType(DataTypes.IntegerType))
        .add("class_names", outputFormat.equals("csv") ? DataTypes.StringType
            : DataTypes.createArrayType(DataTypes.StringType))
        .add("probabilities", outputFormat.equals("csv") ? DataTypes.StringType
            : DataTypes.createArrayType(DataTypes.FloatType))
        .add("error", DataTypes.StringType);
    boolean csv = outputFormat.equals("csv");
    JavaRDD<org.apache.spark.sql.Row> sqlRows = rows.map(r -> {
      if (r.error() != null) {
        return RowFactory.create(r.path(), null, null, null, null, null, null, r.error());
      }
      String[] top = new String[r.classes().length];
      for (int i = 0; i < top.length; i++) {
        top[i] = names[r.classes()[i]];
      }
      // Array columns take Java arrays (or Scala sequences); a java.util.List fails to encode.
      return RowFactory.create(r.path(), r.classes()[0], top[0], r.probabilities()[0],
          csv ? join(r.classes()) : r.classes(), csv ? Json.write(List.of(top)) : top,
          csv ? join(r.probabilities()) : r.probabilities(), null);
    });
    SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
    Dataset<org.apache.spark.sql.Row> df = spark.createDataFrame(sqlRows, schema);
    if (csv) {
      // RFC 4180 quoting (a quote inside a field is doubled), which every CSV reader understands; Spark's default
      // escapes it with a backslash instead.
      df.write().option("header", "true").option("escape", "\"").csv(output);
    } else {
      df.write().parquet(output);
    }
    // Read back with the schema it was written with: inferring a Parquet schema runs a Spark job whose results
    // (StructTypes) Kryo refuses under spark.kryo.registrationRequired.
    var written = csv ? spark.read().option("header", "true").option("escape", "\"").csv(output)
        : spark.read().schema(schema).parquet(output);
    long total = written.count();
    long errors = written.filter("error is not null").count();
    return new Result(total, errors, output, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Scoring with a segmentation model: masks (and overlays) go to OUTPUT/masks/ (OUTPUT/overlays/), named after
   * each image's path under the input folder (or a table row's id), and the rows to OUTPUT/predictions (Parquet
   * or CSV): path, mask_path, overlay_path, class_pixels (pixel count per class), mean_confidence, error.
   */
  public static Result runMasks(JavaSparkContext sc, String input, String imageColumn, String idColumn,
      MaskScorer scorer, String output, String outputFormat, int partitions) throws IOException {
    long t0 = System.nanoTime();
    checkPaths(sc, input, output);
    Path out = new Path(output);
    FileSystem outFs = out.getFileSystem(sc.hadoopConfiguration());
    String table = outFs.makeQualified(out).toString() + "/predictions";
    Broadcast<MaskScorer> shared = sc.broadcast(scorer);
    try {
      JavaRDD<MaskScorer.Row> rows = inputs(sc, input, imageColumn, idColumn, partitions)
          .mapPartitions(it -> shared.value().score(it));
      boolean csv = outputFormat.equals("csv");
      StructType schema = new StructType()
          .add("path", DataTypes.StringType)
          .add("mask_path", DataTypes.StringType)
          .add("overlay_path", DataTypes.StringType)
          .add("class_pixels", csv ? DataTypes.StringType : DataTypes.createArrayType(DataTypes.LongType))
          .add("mean_confidence", DataTypes.FloatType)
          .add("error", DataTypes.StringType);
      JavaRDD<org.apache.spark.sql.Row> sqlRows = rows.map(r -> r.error() != null
          ? RowFactory.create(r.path(), null, null, null, null, r.error())
          : RowFactory.create(r.path(), r.maskPath(), r.overlayPath(),
              csv ? join(r.histogram()) : r.histogram(), r.meanConfidence(), null));
      SparkSession spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
      Dataset<org.apache.spark.sql.Row> df = spark.createDataFrame(sqlRows, schema);
      // Scored once, counted, then written: reading the table back would infer its schema in a Spark job whose
      // results (StructTypes with array columns) Kryo is not registered for. Recomputing an evicted partition
      // only rewrites the same mask files.
      rows.persist(org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
      long total = rows.count();
      long errors = rows.filter(r -> r.error() != null).count();
      if (csv) {
        df.write().option("header", "true").csv(table);
      } else {
        df.write().parquet(table);
      }
      rows.unpersist(false);
      return new Result(total, errors, table, (System.nanoTime() - t0) / 1e9);
    } finally {
      shared.destroy();
    }
  }

  private static boolean hasImages(FileSystem fs, Path p) throws IOException {
    return !list(fs, p).isEmpty();
  }

  /** Every image file under a folder (recursively), sorted. */
  static List<String> list(FileSystem fs, Path root) throws IOException {
    List<String> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      if (ImageDecoding.isImageFile(f.getPath().getName())) {
        out.add(f.getPath().toString());
      }
    }
    out.sort(null);
    return out;
  }

  /** The input must exist and the output must not: scoring never overwrites. */
  private static void checkPaths(JavaSparkContext sc, String input, String output) throws IOException {
    Path out = new Path(output);
    if (out.getFileSystem(sc.hadoopConfiguration()).exists(out)) {
      throw new IOException(output + ": already exists; choose another output (nothing was overwritten)");
    }
    Path in = new Path(input);
    if (!in.getFileSystem(sc.hadoopConfiguration()).exists(in)) {
      throw new IOException(input + ": no such folder or table");
    }
  }

  /**
   * The images to score, read lazily as the scorer pulls them: a Parquet table's rows (named by the id column,
   * else row-N in the table's own order, numbered before the shuffle so a recomputed partition names them the
   * same), or the image files under a folder (named by their path under it; a row's path is the full one).
   */
  private static JavaRDD<MaskScorer.Named> inputs(JavaSparkContext sc, String input, String imageColumn,
      String idColumn, int partitions) throws IOException {
    Path in = new Path(input);
    FileSystem fs = in.getFileSystem(sc.hadoopConfiguration());
    if (input.endsWith(".parquet") || fs.exists(new Path(in, "_SUCCESS")) && !hasImages(fs, in)) {
      var df = SparkSession.builder().sparkContext(sc.sc()).getOrCreate().read().parquet(input);
      if (!java.util.Arrays.asList(df.columns()).contains(imageColumn)) {
        throw new IOException(input + ": no column '" + imageColumn + "' (columns: " + String.join(", ", df.columns())
            + ")");
      }
      boolean hasId = idColumn != null && java.util.Arrays.asList(df.columns()).contains(idColumn);
      return df.javaRDD().zipWithIndex().repartition(Math.max(1, partitions)).mapPartitions(it -> map(it, t -> {
        org.apache.spark.sql.Row r = t._1();
        String id = hasId ? String.valueOf((Object) r.getAs(idColumn)) : "row-" + t._2();
        return new MaskScorer.Named(new Scorer.Input(id, r.getAs(imageColumn), null, null), id);
      }));
    }
    List<String> files = list(fs, in);
    if (files.isEmpty()) {
      throw new IOException(input + ": no image files (" + String.join(", ", ImageDecoding.EXTENSIONS) + ") under it");
    }
    String root = fs.makeQualified(in).toString() + "/";
    int slices = Math.max(Math.max(1, partitions), (files.size() + 999) / 1000);
    return sc.parallelize(files, slices).mapPartitions(it -> {
      Configuration c = new Configuration();
      return map(it, p -> new MaskScorer.Named(read(p, c),
          p.startsWith(root) ? p.substring(root.length()) : new Path(p).getName()));
    });
  }

  private static Scorer.Input read(String path, Configuration conf) {
    try {
      return new Scorer.Input(path, HadoopFiles.readAll(path, conf), null, null);
    } catch (IOException e) {
      return new Scorer.Input(path, null, null, "cannot read: " + e.getMessage());
    }
  }

  private static <A, B> Iterator<B> map(Iterator<A> it, java.util.function.Function<A, B> f) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public B next() {
        return f.apply(it.next());
      }
    };
  }

  private static String join(long[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i > 0 ? ";" : "").append(v[i]);
    }
    return sb.toString();
  }

  private static String join(int[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i > 0 ? ";" : "").append(v[i]);
    }
    return sb.toString();
  }

  private static String join(float[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i > 0 ? ";" : "").append(String.format(Locale.ROOT, "%.5f", v[i]));
    }
    return sb.toString();
  }
}
