package sparkcnn.driver.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import sparkcnn.driver.SparkTestContext;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Zoo;

/**
 * The scorer travels as a broadcast through Spark's serializer (Kryo, registration required): a copy rebuilt on
 * the other side scores exactly as the original.
 */
class ScorerBroadcastTest {
  @Test
  void aDeserializedScorerScoresLikeTheOriginal() {
    SparkTestContext.get();
    ModelSpec spec = Zoo.spec("lenet5");
    Model m = Zoo.build(spec).init(3);
    ScoringModels models = new ScoringModels(List.of(new ScoringModels.Member(spec, m.params(), m.state(),
        new Normalization(new float[] {0.5f}, new float[] {0.25f}))));
    Scorer original = new Scorer(models, 3, 1, 8, sparkcnn.driver.data.ImageDecoding.DEFAULT_MAX_PIXELS);
    SerializerInstance kryo = SparkEnv.get().serializer().newInstance();
    ClassTag<Scorer> tag = ClassTag$.MODULE$.apply(Scorer.class);
    ByteBuffer bytes = kryo.serialize(original, tag);
    Scorer copy = kryo.deserialize(bytes, tag);
    assertNotSame(original, copy);

    int per = spec.channels() * spec.height() * spec.width();
    float[] planes = new float[per];
    for (int i = 0; i < per; i++) {
      planes[i] = (i * 37 % 255) / 255f;
    }
    List<Scorer.Input> inputs = List.of(new Scorer.Input("a", null, planes, null),
        new Scorer.Input("b", null, null, "cannot read: test"));
    List<Scorer.Row> expected = original.scoreBatch(inputs);
    List<Scorer.Row> actual = copy.scoreBatch(inputs);
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i).path(), actual.get(i).path());
      assertEquals(expected.get(i).error(), actual.get(i).error());
      if (expected.get(i).error() == null) {
        assertArrayEquals(expected.get(i).classes(), actual.get(i).classes());
        assertArrayEquals(expected.get(i).probabilities(), actual.get(i).probabilities());
      }
    }
    models.close();
  }
}
