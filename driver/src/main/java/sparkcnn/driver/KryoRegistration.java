package sparkcnn.driver;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;
import sparkcnn.driver.data.SampleBlock;
import sparkcnn.driver.score.MaskScorer;
import sparkcnn.driver.score.Scorer;
import sparkcnn.driver.train.EvalPartial;
import sparkcnn.driver.train.Snapshot;
import sparkcnn.driver.train.GradientSum;
import sparkcnn.driver.train.ParameterSum;
import sparkcnn.driver.train.RankResult;
import sparkcnn.driver.train.StepCounts;

/** Every class of ours that crosses the wire (task results, broadcasts, cached blocks), and their arrays. */
public final class KryoRegistration implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    kryo.register(SampleBlock.class);
    kryo.register(GradientSum.class);
    kryo.register(ParameterSum.class);
    kryo.register(StepCounts.class);
    kryo.register(RankResult.class);
    kryo.register(RankResult[].class);
    kryo.register(double[][].class);
    kryo.register(boolean[].class);
    kryo.register(Snapshot.class);
    kryo.register(EvalPartial.class);
    // Broadcast once per scoring job. Its members are records, which Java serialization rebuilds through their
    // constructors; the weights are float arrays, which it writes in bulk.
    kryo.register(Scorer.class, new JavaSerializer());
    kryo.register(MaskScorer.class, new JavaSerializer());
    kryo.register(MaskScorer.Row.class, new JavaSerializer());
    kryo.register(float[].class);
    kryo.register(float[][].class);
    kryo.register(byte[].class);
    kryo.register(int[].class);
    kryo.register(long[].class);
    kryo.register(double[].class);
    kryo.register(String[].class);
    kryo.register(Object[].class);
    // Reading a Parquet table infers its schema in a Spark job whose task results are StructTypes, and its rows
    // (with their schema) are shuffled into the requested partitions.
    for (String name : SQL_SCHEMA_CLASSES) {
      try {
        kryo.register(Class.forName(name));
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Spark SQL class " + name + " is missing from the class path", e);
      }
    }
  }

  private static final String[] SQL_SCHEMA_CLASSES = {
      "org.apache.spark.sql.types.StructType", "[Lorg.apache.spark.sql.types.StructType;",
      "org.apache.spark.sql.types.StructField", "[Lorg.apache.spark.sql.types.StructField;",
      "org.apache.spark.sql.types.Metadata", "org.apache.spark.sql.types.ArrayType",
      "org.apache.spark.sql.types.MapType", "org.apache.spark.sql.types.DecimalType",
      "org.apache.spark.sql.types.BinaryType$", "org.apache.spark.sql.types.StringType",
      "org.apache.spark.sql.types.StringType$", "org.apache.spark.sql.types.LongType$",
      "org.apache.spark.sql.types.IntegerType$", "org.apache.spark.sql.types.ShortType$",
      "org.apache.spark.sql.types.ByteType$", "org.apache.spark.sql.types.FloatType$",
      "org.apache.spark.sql.types.DoubleType$", "org.apache.spark.sql.types.BooleanType$",
      "org.apache.spark.sql.types.DateType$", "org.apache.spark.sql.types.TimestampType$",
      "org.apache.spark.sql.types.TimestampNTZType$",
      "org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema",
      "org.apache.spark.sql.catalyst.expressions.GenericRow", "scala.collection.immutable.Map$EmptyMap$",
      "scala.collection.immutable.Map$Map1",
      "scala.collection.immutable.Map$Map2", "scala.collection.immutable.HashMap"};
}
