package sparkcnn.ml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sparkcnn.driver.SparkSetup;
import sparkcnn.driver.data.Datasets;
import sparkcnn.driver.data.GreyPng;
import sparkcnn.driver.data.SampleBlock;

/**
 * The ml tests' shared fixture: one local[2] session with SparkCNN's settings, a listener counting Spark jobs,
 * and small learnable data (the generated task of the driver's tests) as a folder tree of PNGs or as vectors.
 */
final class MlSpark {
  static final String[] NAMES = {"circle", "cross", "ring"};
  private static SparkSession spark;
  private static final AtomicInteger JOBS = new AtomicInteger();

  private MlSpark() {}

  static synchronized SparkSession get() {
    if (spark == null) {
      // SparkCNN's settings, as the README tells Spark ML users: registration stays optional because Spark ML's
      // own algorithms (LogisticRegression's summarizer, ...) ship classes nobody registers.
      var sc = new JavaSparkContext(SparkSetup.local(SparkSetup.conf(new SparkConf().setAppName("sparkcnn-ml-tests")),
          "local[2]").set("spark.kryo.registrationRequired", "false").set("spark.sql.shuffle.partitions", "4"));
      sc.setLogLevel("ERROR");
      sc.sc().addSparkListener(new SparkListener() {
        @Override
        public void onJobStart(SparkListenerJobStart e) {
          JOBS.incrementAndGet();
        }
      });
      spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> spark.stop()));
    }
    return spark;
  }

  /** Spark jobs started so far (the listener bus is drained first, so every job started is counted). */
  static int jobs() {
    try {
      get().sparkContext().listenerBus().waitUntilEmpty();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Spark's listener bus did not drain", e);
    }
    return JOBS.get();
  }

  /** n generated 1 x size x size samples of the 3 classes. */
  static SampleBlock samples(int n, int size, long seed) {
    return Datasets.generate(0, n, 1, size, size, NAMES.length, seed);
  }

  /** The samples as a class-per-folder tree of grey PNGs under dir (folders named by NAMES). */
  static Path folderTree(Path dir, SampleBlock b) throws IOException {
    for (int i = 0; i < b.size(); i++) {
      Path folder = dir.resolve(NAMES[b.labels[i]]);
      Files.createDirectories(folder);
      Files.write(folder.resolve(String.format("img%03d.png", i)),
          GreyPng.encode(b.pixels, i * b.sampleBytes(), b.height, b.width));
    }
    return dir;
  }

  /** The samples as (features vector in [0, 1], name string) rows. */
  static Dataset<Row> vectors(SampleBlock b) {
    List<Row> rows = new ArrayList<>();
    int per = b.sampleBytes();
    for (int i = 0; i < b.size(); i++) {
      double[] v = new double[per];
      for (int k = 0; k < per; k++) {
        v[k] = (b.pixels[i * per + k] & 0xff) / 255.0;
      }
      rows.add(RowFactory.create(Vectors.dense(v), NAMES[b.labels[i]]));
    }
    StructType schema = new StructType().add("features", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
        .add("name", DataTypes.StringType);
    return get().createDataFrame(rows, schema);
  }
}
