package sparkcnn.driver.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * The scorer cuts a batch's forward pass into chunks that keep the layers' output buffers within the activation
 * budget: how many rows fit, and that the rows it returns do not depend on the cut (one crop per pass against the
 * whole batch in one, with five crops and an ensemble of two).
 */
class ScorerMemoryTest {
  @Test
  void rowsPerForwardFitTheBudgetAndAtLeastOne() {
    // EfficientNet-B0 at 224: 19.7 M floats of layer outputs per image; a 4 GB heap gives 512 MB a pass.
    assertEquals(6, Scorer.rowsWithin(512L << 20, 19_700_000, 64));
    assertEquals(64, Scorer.rowsWithin(512L << 20, 100_000, 64), "small models keep the whole batch");
    assertEquals(1, Scorer.rowsWithin(1, 19_700_000, 64), "never below one row");
  }

  @Test
  void aForwardCutIntoSingleRowsGivesTheSameRows() {
    ModelSpec spec = Zoo.spec("mobilenet_v2", 4, new int[] {3, 32, 32}, new Scaling(0.25, 1, 1));
    List<ScoringModels.Member> members = new ArrayList<>();
    for (long seed : new long[] {1, 2}) {
      Model m = Zoo.build(spec).init(seed);
      members.add(new ScoringModels.Member(spec, m.params(), m.state(), new Normalization(new float[] {0.5f,
          0.4f, 0.3f}, new float[] {0.25f, 0.25f, 0.25f})));
    }
    SplittableRandom rnd = new SplittableRandom(4);
    List<Scorer.Input> inputs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      float[] planes = new float[5 * 3 * 32 * 32]; // five crops' views, already decoded
      for (int j = 0; j < planes.length; j++) {
        planes[j] = (float) rnd.nextDouble();
      }
      inputs.add(new Scorer.Input("image-" + i, null, planes, null));
    }
    List<Scorer.Row> whole = score(members, inputs, null);
    List<Scorer.Row> single = score(members, inputs, "1");
    assertEquals(3, whole.size());
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(whole.get(i).classes(), single.get(i).classes(), "image " + i);
      assertArrayEquals(whole.get(i).probabilities(), single.get(i).probabilities(), 1e-6f, "image " + i);
    }
  }

  private static List<Scorer.Row> score(List<ScoringModels.Member> members, List<Scorer.Input> inputs,
      String budget) {
    String key = "sparkcnn.score.activationBytes";
    if (budget != null) {
      System.setProperty(key, budget);
    }
    ScoringModels models = new ScoringModels(members);
    try {
      return new Scorer(models, 4, 5, 8, ImageDecoding.DEFAULT_MAX_PIXELS).scoreBatch(inputs);
    } finally {
      System.clearProperty(key);
      models.close();
    }
  }
}
