package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Cross-entropy with an ignore index and class weights: against a naive reference and finite differences. */
class WeightedLossTest {
  private static final int N = 12;
  private static final int K = 4;
  private static final int IGNORE = 255;

  private static float[] logits(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[N * K];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rnd.nextGaussian() * 2);
    }
    return x;
  }

  /** Labels with ignored rows 2, 7 and 11. */
  private static int[] labels() {
    int[] y = new int[N];
    for (int i = 0; i < N; i++) {
      y[i] = i == 2 || i == 7 || i == 11 ? IGNORE : (i * 3) % K;
    }
    return y;
  }

  /** Written from the definition: sum over kept rows of w_y * (-sum_j t_j log softmax_j) / sum of their w_y. */
  private static double naive(float[] x, int[] y, float eps, float[] w) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < N; i++) {
      if (y[i] == IGNORE) {
        continue;
      }
      double z = 0;
      for (int j = 0; j < K; j++) {
        z += Math.exp(x[i * K + j]);
      }
      double loss = 0;
      for (int j = 0; j < K; j++) {
        double t = (j == y[i] ? 1 - eps : 0) + eps / K;
        loss -= t * Math.log(Math.exp(x[i * K + j]) / z);
      }
      double wi = w == null ? 1 : w[y[i]];
      num += wi * loss;
      den += wi;
    }
    return num / den;
  }

  @Test
  void matchesTheDefinitionWithAndWithoutWeights() {
    float[] w = {0.5f, 2f, 1f, 3f};
    for (float eps : new float[] {0f, 0.1f}) {
      for (float[] weights : new float[][] {null, w}) {
        float[] x = logits(3);
        float[] p = new float[N * K];
        double loss = Losses.softmaxCrossEntropy(x, 0, labels(), N, K, eps, IGNORE, weights, p, 0);
        assertEquals(naive(x, labels(), eps, weights), loss, 1e-5, "eps " + eps + " weighted " + (weights != null));
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferencesAndIgnoredRowsGetNone() {
    float[] w = {0.5f, 2f, 1f, 3f};
    for (float eps : new float[] {0f, 0.1f}) {
      float[] x = logits(5);
      int[] y = labels();
      float[] p = new float[N * K];
      Losses.softmaxCrossEntropy(x, 0, y, N, K, eps, IGNORE, w, p, 0);
      float[] d = new float[N * K];
      Losses.softmaxCrossEntropyBackward(p, 0, y, N, K, eps, IGNORE, w, d, 0);
      for (int j = 0; j < K; j++) {
        assertEquals(0f, d[2 * K + j]);
        assertEquals(0f, d[11 * K + j]);
      }
      float e = eps;
      GradCheck.check("weighted ce eps=" + eps, ls -> new float[] {(float) Losses.softmaxCrossEntropy(ls, 0, y, N, K, e,
          IGNORE, w, new float[N * K], 0)}, x, new float[] {1f}, d, 2e-3);
    }
  }

  @Test
  void withoutIgnoreIndexAndWeightsItIsThePlainMean() {
    float[] x = logits(7);
    int[] y = new int[N];
    for (int i = 0; i < N; i++) {
      y[i] = i % K;
    }
    float[] p1 = new float[N * K];
    float[] p2 = new float[N * K];
    double plain = Losses.softmaxCrossEntropy(x, 0, y, N, K, 0.1f, p1, 0);
    double general = Losses.softmaxCrossEntropy(x, 0, y, N, K, 0.1f, -1, null, p2, 0);
    assertEquals(plain, general, 1e-12);
    float[] d1 = new float[N * K];
    float[] d2 = new float[N * K];
    Losses.softmaxCrossEntropyBackward(p1, 0, y, N, K, 0.1f, d1, 0);
    Losses.softmaxCrossEntropyBackward(p2, 0, y, N, K, 0.1f, -1, null, d2, 0);
    for (int i = 0; i < d1.length; i++) {
      assertEquals(d1[i], d2[i], 1e-7f);
    }
  }

  @Test
  void allIgnoredGivesZeroLossAndGradientAndBadLabelsAreNamed() {
    float[] x = logits(9);
    int[] y = new int[N];
    java.util.Arrays.fill(y, IGNORE);
    float[] p = new float[N * K];
    assertEquals(0.0, Losses.softmaxCrossEntropy(x, 0, y, N, K, 0f, IGNORE, null, p, 0));
    float[] d = new float[N * K];
    Losses.softmaxCrossEntropyBackward(p, 0, y, N, K, 0f, IGNORE, null, d, 0);
    for (float v : d) {
      assertEquals(0f, v);
    }
    y[4] = 9;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(x, 0, y, N, K, 0f, IGNORE, null, p, 0));
    assertTrue(e.getMessage().contains("label 9 of row 4 is outside [0, 4) and is not the ignore index 255"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(x, 0, labels(), N, K, 0f, IGNORE, new float[] {1f}, p, 0));
  }
}
