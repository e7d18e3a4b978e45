package sparkcnn.driver.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import sparkcnn.driver.data.ImageDecoding;
import sparkcnn.driver.data.Normalization;
import sparkcnn.models.Model;
import sparkcnn.models.zoo.ModelSpec;
import sparkcnn.models.zoo.Scaling;
import sparkcnn.models.zoo.Zoo;

/**
 * Test-time augmentation: the 5 and 10 crops are the corners and the centre of the image fitted to 8/7 of the
 * input (and their mirrors), checked pixel by pixel on an image whose values name their position; and a
 * multi-crop score is the mean of scoring each crop alone, for one model and for an ensemble of two.
 */
class MultiCropTest {
  private static final long MAX = ImageDecoding.DEFAULT_MAX_PIXELS;

  /** A 16 x 16 grey PNG whose pixel (i, j) is 16 i + j: input 14 x 14 fits it to 16 x 16 unchanged. */
  private static byte[] ramp() throws IOException {
    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 16; i++) {
      for (int j = 0; j < 16; j++) {
        img.getRaster().setSample(j, i, 0, 16 * i + j);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private static ScoringModels.Member member(ModelSpec spec, long seed, float mean) {
    Model m = Zoo.build(spec).init(seed);
    return new ScoringModels.Member(spec, m.params(), m.state(), new Normalization(new float[] {mean},
        new float[] {0.3f}));
  }

  private static ModelSpec spec() {
    return Zoo.spec("tf_convnet", 4, new int[] {1, 14, 14}, new Scaling(0.5, 1, 1));
  }

  @Test
  void cropsAreTheCornersTheCentreAndTheirMirrors() throws IOException {
    ScoringModels models = new ScoringModels(List.of(member(spec(), 1, 0.5f)));
    float[] views = new Scorer(models, 4, 10, 8, MAX).crops(ramp(), 1, 14, 14);
    // Top-left corners of the centre, top-left, top-right, bottom-left and bottom-right crops in the 16 x 16 image.
    int[][] at = {{1, 1}, {0, 0}, {0, 2}, {2, 0}, {2, 2}};
    for (int v = 0; v < 10; v++) {
      for (int i = 0; i < 14; i++) {
        for (int j = 0; j < 14; j++) {
          int col = v < 5 ? at[v][1] + j : at[v - 5][1] + 13 - j;
          float want = (16 * (at[v % 5][0] + i) + col) / 255f;
          assertEquals(want, views[(v * 14 + i) * 14 + j], 1e-6, "crop " + v + " (" + i + ", " + j + ")");
        }
      }
    }
    models.close();
  }

  /** Probability per class of a row (its top-k are all the classes). */
  private static float[] byClass(Scorer.Row row, int k) {
    float[] p = new float[k];
    for (int i = 0; i < k; i++) {
      p[row.classes()[i]] = row.probabilities()[i];
    }
    return p;
  }

  @Test
  void aMultiCropScoreIsTheMeanOfEachCropScoredAloneForOneModelAndForAnEnsemble() throws IOException {
    ModelSpec spec = spec();
    List<List<ScoringModels.Member>> sets = List.of(List.of(member(spec, 1, 0.5f)),
        List.of(member(spec, 1, 0.5f), member(spec, 2, 0.4f)));
    byte[] png = ramp();
    for (List<ScoringModels.Member> members : sets) {
      for (int crops : new int[] {5, 10}) {
        ScoringModels models = new ScoringModels(members);
        Scorer multi = new Scorer(models, 4, crops, 8, MAX);
        float[] got = byClass(multi.scoreBatch(List.of(new Scorer.Input("x", png, null, null))).get(0), 4);
        float[] views = multi.crops(png, 1, 14, 14);
        int per = 14 * 14;
        // Each crop alone, by each member alone: the mean over both is what the multi-crop ensemble must give.
        float[] want = new float[4];
        List<float[]> each = new ArrayList<>();
        for (ScoringModels.Member m : members) {
          ScoringModels one = new ScoringModels(List.of(m));
          Scorer single = new Scorer(one, 4, 1, 8, MAX);
          for (int v = 0; v < crops; v++) {
            float[] crop = java.util.Arrays.copyOfRange(views, v * per, (v + 1) * per);
            float[] p = byClass(single.scoreBatch(List.of(new Scorer.Input("v", null, crop, null))).get(0), 4);
            each.add(p);
            for (int c = 0; c < 4; c++) {
              want[c] += p[c] / (crops * members.size());
            }
          }
          one.close();
        }
        for (int c = 0; c < 4; c++) {
          assertEquals(want[c], got[c], 1e-6, members.size() + " member(s), " + crops + " crops, class " + c);
        }
        // The crops score differently, so the mean is no accident of identical views.
        assertTrue(each.stream().anyMatch(p -> Math.abs(p[0] - each.get(0)[0]) > 1e-5), "all crops score alike");
        models.close();
      }
    }
  }
}
