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
  }
}
