package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NormTest {
  private final SplittableRandom rnd = new SplittableRandom(31);
  private static final float EPS = 1e-5f;

  /** Against the definition and finite differences; both sizes leave a scalar tail after the vector loops. */
  @ParameterizedTest
  @ValueSource(ints = {10, 40})
  void batchNormTrainingNormalizesAndMovesRunningAverages(int hw) {
    int n = 3, c = 4;
    float[] x = Rand.floats(rnd, n * c * hw);
    float[] gamma = Rand.floats(rnd, c);
    float[] beta = Rand.floats(rnd, c);
    float[] y = new float[x.length];
    float[] rm = {0.5f, 0, 0, 0};
    float[] rv = {2f, 1, 1, 1};
    float[] mean = new float[c];
    float[] inv = new float[c];
    BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, EPS, 0.1f, rm, 0, rv, 0, mean, inv);
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      double s2 = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          s += x[(i * c + ch) * hw + j];
        }
      }
      double mu = s / (n * hw);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          s2 += Math.pow(x[(i * c + ch) * hw + j] - mu, 2);
        }
      }
      double var = s2 / (n * hw);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          int k = (i * c + ch) * hw + j;
          assertEquals(gamma[ch] * (x[k] - mu) / Math.sqrt(var + EPS) + beta[ch], y[k], 1e-5);
        }
      }
      float rm0 = ch == 0 ? 0.5f : 0f;
      float rv0 = ch == 0 ? 2f : 1f;
      assertEquals(0.9 * rm0 + 0.1 * mu, rm[ch], 1e-6);
      assertEquals(0.9 * rv0 + 0.1 * var * (n * hw) / (n * hw - 1), rv[ch], 1e-6); // unbiased, as PyTorch
    }
    float[] dy = Rand.floats(rnd, x.length);
    float[] dx = new float[x.length];
    float[] dg = new float[c];
    float[] db = new float[c];
    BatchNormKernels.backward(x, 0, dy, 0, gamma, 0, mean, inv, dx, 0, dg, 0, db, 0, n, c, hw);
    GradCheck.check("bn dx", xs -> bn(xs, gamma, beta, n, c, hw), x, dy, dx, 2e-3);
    GradCheck.check("bn dgamma", gs -> bn(x, gs, beta, n, c, hw), gamma, dy, dg, 2e-3);
    GradCheck.check("bn dbeta", bs -> bn(x, gamma, bs, n, c, hw), beta, dy, db, 2e-3);
  }

  /**
   * Forward and backward against the textbook formulas in double, from 1x1 planes to planes larger than a block
   * of channels: several blocks and a partial last one, more images than are summed in float before a flush,
   * planes that are not a multiple of the vector, a mean well away from zero; and planes long enough for the
   * plane-by-plane passes ({@link BatchNormPlanes}), one of them longer than a float run of its sums.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 3, 4, 16, 49, 64, 127, 128, 130, 256, 263, 1030})
  void batchNormMatchesDoubleReferenceOnSmallAndLargePlanes(int hw) {
    matchesDoubleReference(70, 2 * BatchNormKernels.channelsPerBlock(hw) + 3, hw);
  }

  /** 7x7 planes in a tensor past the plane passes' size bound (4.8 MB) go plane by plane, and match too. */
  @Test
  void smallPlanesOfALargeTensorMatchDoubleReference() {
    assertTrue(!Simd.AVAILABLE || BatchNormPlanes.applies(70, 350, 49));
    matchesDoubleReference(70, 350, 49);
  }

  private void matchesDoubleReference(int n, int c, int hw) {
    float[] x = Rand.floats(rnd, n * c * hw);
    for (int i = 0; i < x.length; i++) {
      x[i] += 2f; // a mean well away from zero, as after a convolution with bias
    }
    float[] gamma = Rand.floats(rnd, c);
    float[] beta = Rand.floats(rnd, c);
    float[] y = new float[x.length];
    float[] mean = new float[c];
    float[] inv = new float[c];
    BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, EPS, 0.1f, new float[c], 0,
        new float[c], 0, mean, inv);
    float[] dy = Rand.floats(rnd, x.length);
    float[] dx = new float[x.length];
    float[] dg = new float[c];
    float[] db = new float[c];
    BatchNormKernels.backward(x, 0, dy, 0, gamma, 0, mean, inv, dx, 0, dg, 0, db, 0, n, c, hw);
    double m = (double) n * hw;
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          s += x[(i * c + ch) * hw + j];
        }
      }
      double mu = s / m;
      double v = 0;
      double sdy = 0;
      double sdyh = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          int k = (i * c + ch) * hw + j;
          v += (x[k] - mu) * (x[k] - mu);
        }
      }
      double is = 1 / Math.sqrt(v / m + EPS);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          int k = (i * c + ch) * hw + j;
          sdy += dy[k];
          sdyh += dy[k] * (x[k] - mu) * is;
        }
      }
      String at = "hw " + hw + " channel " + ch;
      assertEquals(mu, mean[ch], 1e-5, at);
      assertEquals(is, inv[ch], 2e-4 * is, at);
      assertEquals(sdy, db[ch], 1e-3, at);
      assertEquals(sdyh, dg[ch], 1e-3, at);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < hw; j++) {
          int k = (i * c + ch) * hw + j;
          double xh = (x[k] - mu) * is;
          assertEquals(gamma[ch] * xh + beta[ch], y[k], 1e-4, at);
          double ref = gamma[ch] * is / m * (m * dy[k] - sdy - xh * sdyh);
          assertEquals(ref, dx[k], 1e-4, at);
        }
      }
    }
  }

  /**
   * Batch norm with the activation run inside its passes equals batch norm, then the activation, then their
   * backwards one after the other (on the vector path and, in the second surefire run, the scalar one).
   */
  @ParameterizedTest
  @CsvSource({"RELU, 13", "RELU6, 13", "SILU, 13", "RELU, 263", "RELU6, 263", "SILU, 263"})
  void batchNormWithActivationInsideEqualsTheTwoInTurn(String name, int hw) {
    Activations.Fn act = Activations.Fn.valueOf(name);
    int n = 35;
    // Small planes: two blocks, the second partial, more images than a flush. Large ones: plane by plane.
    int c = BatchNormKernels.channelsPerBlock(hw) + 6;
    float[] x = Rand.floats(rnd, n * c * hw);
    float[] gamma = new float[c];
    java.util.Arrays.fill(gamma, 4f); // past ReLU6's cap too
    float[] beta = Rand.floats(rnd, c);
    float[] dy = Rand.floats(rnd, x.length);
    float[] mean = new float[c];
    float[] inv = new float[c];
    float[] y = new float[x.length];
    BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, EPS, 0.1f, new float[c], 0,
        new float[c], 0, mean, inv, act);
    float[] dx = new float[x.length];
    float[] dg = new float[c];
    float[] db = new float[c];
    BatchNormKernels.backward(x, 0, dy, 0, gamma, 0, beta, 0, mean, inv, act, dx, 0, dg, 0, db, 0, n, c, hw);

    float[] z = new float[x.length];
    BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, z, 0, n, c, hw, EPS, 0.1f, new float[c], 0,
        new float[c], 0, mean, inv);
    float[] expected = new float[x.length];
    System.arraycopy(z, 0, expected, 0, z.length);
    act.apply(expected, 0, expected.length);
    Rand.assertClose(expected, y, 1e-6, name + " forward, planes of " + hw);
    float[] dz = new float[x.length];
    act.backward(z, 0, dy, 0, dz, 0, dz.length);
    float[] dx2 = new float[x.length];
    float[] dg2 = new float[c];
    float[] db2 = new float[c];
    BatchNormKernels.backward(x, 0, dz, 0, gamma, 0, mean, inv, dx2, 0, dg2, 0, db2, 0, n, c, hw);
    Rand.assertClose(dx2, dx, 1e-5, name + " dx");
    Rand.assertClose(dg2, dg, 1e-5, name + " dgamma");
    Rand.assertClose(db2, db, 1e-5, name + " dbeta");
    int capped = 0;
    for (float v : y) {
      capped += v == 6f ? 1 : 0;
    }
    assertTrue(act != Activations.Fn.RELU6 || capped > 0, "some outputs at ReLU6's cap");
  }

  /**
   * Large planes go plane by plane in memory order, on every thread count with the same figures: each plane's
   * sums are its own, and the channels' totals add them in image order. Training forward and backward with and
   * without an activation, bit for bit on one thread and on three, and the plane rule's two sides.
   */
  @Test
  void planeByPlanePassesGiveTheSameFiguresOnAnyNumberOfThreads() {
    if (Simd.AVAILABLE) { // Vector API code: the scalar path goes channel by channel
      assertTrue(BatchNormPlanes.applies(1, 1, 256));
      assertFalse(BatchNormPlanes.applies(64, 192, 49)); // 2.4 MB
      assertTrue(BatchNormPlanes.applies(64, 960, 49)); // 12 MB
      assertFalse(BatchNormPlanes.applies(64, 1152, 16)); // planes under 48 floats stay in blocks
    }
    int n = 6, c = 7, hw = 1100;
    float[] x = Rand.floats(rnd, n * c * hw);
    float[] dy = Rand.floats(rnd, x.length);
    float[] gamma = Rand.floats(rnd, c);
    float[] beta = Rand.floats(rnd, c);
    for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.NONE, Activations.Fn.RELU6,
        Activations.Fn.SILU}) {
      float[][][] first = {null};
      OnThreads.each(t -> {
        float[] y = new float[x.length];
        float[] mean = new float[c];
        float[] inv = new float[c];
        BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, EPS, 0.1f, new float[c], 0,
            new float[c], 0, mean, inv, act);
        float[] dx = new float[x.length];
        float[] dg = new float[c];
        float[] db = new float[c];
        BatchNormKernels.backward(x, 0, dy, 0, gamma, 0, beta, 0, mean, inv, act, dx, 0, dg, 0, db, 0, n, c,
            hw);
        // dx may be dy itself (the first pass writes it through the activation, the second reads it back).
        float[] inPlace = dy.clone();
        BatchNormKernels.backward(x, 0, inPlace, 0, gamma, 0, beta, 0, mean, inv, act, inPlace, 0, new float[c], 0,
            new float[c], 0, n, c, hw);
        assertArrayEquals(dx, inPlace, act + ": dx written over dy");
        float[][] now = {y, mean, inv, dx, dg, db};
        if (first[0] == null) {
          first[0] = now;
        } else {
          for (int k = 0; k < now.length; k++) {
            assertArrayEquals(first[0][k], now[k], act + ": output " + k + " on 3 threads");
          }
        }
      }, 1, 3);
    }
  }

  /**
   * The one-sweep gradient and sums for ReLU, ReLU6 and SiLU inside batch norm's backward equal the activation's
   * own backward on the recomputed input followed by the sums, float for float, at the edges too: inputs landing
   * exactly on 0 and 6, just inside and outside them, infinities and NaN (vector lanes and the scalar tail).
   */
  @ParameterizedTest
  @ValueSource(strings = {"RELU", "RELU6", "SILU"})
  void oneSweepGradientMatchesTheActivationsBackward(String name) {
    if (!Simd.AVAILABLE) {
      return; // the blocks are Vector API code
    }
    Activations.Fn act = Activations.Fn.valueOf(name);
    float[] edges = {0f, 6f, Math.nextDown(6f), Math.nextUp(6f), Math.nextUp(0f), -0f, Math.nextDown(0f),
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 3f, 7f, -1f};
    int hw = 2 * Simd.LANES + 5;
    float[] scale = {1f};
    float[] shift = {0f};
    BatchNormBlocks.FusedActivation fused = new BatchNormBlocks.FusedActivation(act, scale, shift);
    BatchNormBlocks.FusedActivation.Block block = fused.block(0, 1, hw);
    float[] x = new float[hw];
    for (int j = 0; j < hw; j++) {
      x[j] = j < edges.length ? edges[j] : j % 3 == 0 ? edges[j % edges.length] : (float) rnd.nextDouble(-2, 8);
    }
    float[] dy = Rand.floats(rnd, hw);
    float[] m = new float[hw];
    java.util.Arrays.fill(m, 0.5f);
    float[] expected = new float[hw];
    block.gradient(x, 0, dy, 0, expected, 0);
    float[] out = new float[hw];
    float[] a = new float[hw];
    float[] b = new float[hw];
    block.sums(x, 0, dy, 0, out, 0, m, a, b);
    for (int j = 0; j < hw; j++) {
      assertEquals(expected[j], out[j], 0f, name + " gradient at " + x[j]);
      assertEquals(expected[j], a[j], 0f, name + " sum at " + x[j]);
      assertEquals(Math.fma(expected[j], x[j] - m[j], 0f), b[j], 0f, name + " centred sum at " + x[j]);
    }
  }

  private static float[] bn(float[] x, float[] gamma, float[] beta, int n, int c, int hw) {
    float[] y = new float[x.length];
    BatchNormKernels.trainForward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, EPS, 0.1f, new float[c], 0, new float[c], 0,
        new float[c], new float[c]);
    return y;
  }

  @Test
  void foldedBatchNormEqualsConvThenInferenceBatchNorm() {
    ConvGeom g = ConvGeom.of(2, 3, 9, 9, 5, 3, 3, 2, 1, 1, 1);
    float[] x = Rand.floats(rnd, g.inputSize());
    float[] w = Rand.floats(rnd, g.weightSize());
    float[] b = Rand.floats(rnd, g.k());
    float[] gamma = Rand.floats(rnd, g.k());
    float[] beta = Rand.floats(rnd, g.k());
    float[] rm = Rand.floats(rnd, g.k());
    float[] rv = new float[g.k()];
    for (int i = 0; i < rv.length; i++) {
      rv[i] = 0.2f + (float) rnd.nextDouble();
    }
    float[] conv = new float[g.outputSize()];
    float[] expected = new float[g.outputSize()];
    Conv2dKernels.forward(x, 0, w, 0, b, 0, conv, 0, g);
    BatchNormKernels.inferForward(conv, 0, gamma, 0, beta, 0, expected, 0, g.n(), g.k(), g.p() * g.q(), EPS, rm, 0, rv,
        0);
    for (float[] bias : new float[][] {b, null}) {
      if (bias == null) {
        Conv2dKernels.forward(x, 0, w, 0, null, 0, conv, 0, g);
        BatchNormKernels.inferForward(conv, 0, gamma, 0, beta, 0, expected, 0, g.n(), g.k(), g.p() * g.q(), EPS, rm, 0,
            rv, 0);
      }
      float[] wf = new float[w.length];
      float[] bf = new float[g.k()];
      BatchNormKernels.foldIntoConv(w, 0, bias, 0, g.k(), g.colRows(), gamma, 0, beta, 0, rm, 0, rv, 0, EPS, wf, 0, bf,
          0);
      float[] folded = new float[g.outputSize()];
      Conv2dKernels.forward(x, 0, wf, 0, bf, 0, folded, 0, g);
      Rand.assertClose(expected, folded, 1e-5, "folded BN, conv bias " + (bias != null));
    }
  }

  @Test
  void groupLayerAndInstanceNormMatchTheirDefinitionAndGradients() {
    int n = 2, c = 6, hw = 7;
    for (int groups : new int[] {1, 2, 6}) { // layer norm, group norm, instance norm
      float[] x = Rand.floats(rnd, n * c * hw);
      float[] gamma = Rand.floats(rnd, c);
      float[] beta = Rand.floats(rnd, c);
      float[] y = new float[x.length];
      float[] mean = new float[n * groups];
      float[] inv = new float[n * groups];
      GroupNormKernels.forward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, groups, EPS, mean, inv);
      int m = c / groups * hw;
      for (int ng = 0; ng < n * groups; ng++) {
        double s = 0;
        double s2 = 0;
        for (int j = ng * m; j < (ng + 1) * m; j++) {
          s += x[j];
        }
        double mu = s / m;
        for (int j = ng * m; j < (ng + 1) * m; j++) {
          s2 += (x[j] - mu) * (x[j] - mu);
        }
        double sd = Math.sqrt(s2 / m + EPS);
        for (int j = ng * m; j < (ng + 1) * m; j++) {
          int ch = (j / hw) % c;
          assertEquals(gamma[ch] * (x[j] - mu) / sd + beta[ch], y[j], 1e-5, "groups=" + groups);
        }
      }
      float[] dy = Rand.floats(rnd, x.length);
      float[] dx = new float[x.length];
      float[] dg = new float[c];
      float[] db = new float[c];
      GroupNormKernels.backward(x, 0, dy, 0, gamma, 0, mean, inv, dx, 0, dg, 0, db, 0, n, c, hw, groups);
      int gr = groups;
      GradCheck.check("gn dx g=" + groups, xs -> gn(xs, gamma, beta, n, c, hw, gr), x, dy, dx, 2e-3);
      GradCheck.check("gn dgamma g=" + groups, gs -> gn(x, gs, beta, n, c, hw, gr), gamma, dy, dg, 2e-3);
      GradCheck.check("gn dbeta g=" + groups, bs -> gn(x, gamma, bs, n, c, hw, gr), beta, dy, db, 2e-3);
    }
  }

  private static float[] gn(float[] x, float[] gamma, float[] beta, int n, int c, int hw, int groups) {
    float[] y = new float[x.length];
    GroupNormKernels.forward(x, 0, gamma, 0, beta, 0, y, 0, n, c, hw, groups, EPS, new float[n * groups],
        new float[n * groups]);
    return y;
  }
}
