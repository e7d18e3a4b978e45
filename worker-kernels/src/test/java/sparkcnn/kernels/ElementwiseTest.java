package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Activations, the fused softmax cross-entropy, dropout, broadcasting and channel operations. */
class ElementwiseTest {
  private final SplittableRandom rnd = new SplittableRandom(41);

  /** Random values kept 0.05 away from the kinks at 0 and 6. */
  private float[] awayFromKinks(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      double v;
      do {
        v = rnd.nextDouble() * 16 - 8;
      } while (Math.abs(v) < 0.05 || Math.abs(v - 6) < 0.05);
      x[i] = (float) v;
    }
    return x;
  }

  interface Kernel {
    void run(float[] x, int xOff, float[] y, int yOff, int n);
  }

  interface Backward {
    void run(float[] saved, int sOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);
  }

  /** 67 values: whole vectors (of 4, 8 or 16 lanes) and a tail, read and written at offsets. */
  private void activation(String name, Kernel f, Backward b, boolean fromOutput, DoubleUnaryOperator formula) {
    int n = 67;
    float[] x = awayFromKinks(n + 3);
    float[] y = new float[n + 1];
    f.run(x, 3, y, 1, n);
    for (int i = 0; i < n; i++) {
      assertEquals(formula.applyAsDouble(x[3 + i]), y[1 + i], 1e-6 * (1 + Math.abs(y[1 + i])),
          name + "(" + x[3 + i] + ")");
    }
    float[] inPlace = x.clone();
    f.run(inPlace, 3, inPlace, 3, n);
    assertArrayEquals(java.util.Arrays.copyOfRange(y, 1, n + 1), java.util.Arrays.copyOfRange(inPlace, 3, n + 3),
        name + " in place");
    float[] dy = Rand.floats(rnd, n);
    float[] dx = new float[n];
    float[] xs0 = java.util.Arrays.copyOfRange(x, 3, n + 3);
    float[] ys0 = java.util.Arrays.copyOfRange(y, 1, n + 1);
    b.run(fromOutput ? ys0 : xs0, 0, dy, 0, dx, 0, n);
    GradCheck.check(name, xs -> {
      float[] out = new float[n];
      f.run(xs, 0, out, 0, n);
      return out;
    }, xs0, dy, dx, 2e-3);
  }

  @Test
  void siluStaysFiniteAndExactWhereExpOverflows() {
    float[] x = {-1000f, -200f, -90f, -20f, 20f, 90f, 200f, 1000f, -0f, 0f, 1e-30f, -1e-30f, 3f, -3f, 88f, -88f,
        -89f};
    float[] y = new float[x.length];
    float[] dx = new float[x.length];
    float[] dy = new float[x.length];
    java.util.Arrays.fill(dy, 1f);
    Activations.silu(x, 0, y, 0, x.length);
    Activations.siluBackward(x, 0, dy, 0, dx, 0, x.length);
    for (int i = 0; i < x.length; i++) {
      double s = 1 / (1 + Math.exp(-x[i]));
      assertEquals(x[i] * s, y[i], 1e-6 * (1 + Math.abs(x[i])), "silu(" + x[i] + ")");
      assertEquals(s * (1 + x[i] * (1 - s)), dx[i], 1e-6, "silu'(" + x[i] + ")");
    }
  }

  @Test
  void expIsWithinAnUlpOfTheCorrectlyRoundedValueAndSaturatesOutsideTheFloatRange() {
    int worst = 0;
    float worstAt = 0;
    for (int i = 0; i < 2_000_000; i++) {
      float x = (float) (Activations.EXP_LO + (Activations.EXP_HI - Activations.EXP_LO) * (i / 2e6));
      float want = (float) Math.exp(x);
      int ulps = Math.abs(Float.floatToIntBits(Activations.exp(x)) - Float.floatToIntBits(want));
      if (ulps > worst) {
        worst = ulps;
        worstAt = x;
      }
    }
    assertTrue(worst <= 1, "exp(" + worstAt + ") is " + worst + " ulps off");
    assertEquals(1f, Activations.exp(0f));
    assertEquals(1f, Activations.exp(-0f));
    assertEquals(Float.POSITIVE_INFINITY, Activations.exp(Float.POSITIVE_INFINITY));
    assertEquals(Float.POSITIVE_INFINITY, Activations.exp(89f));
    assertEquals(0f, Activations.exp(Float.NEGATIVE_INFINITY));
    assertEquals(0f, Activations.exp(-88f));
    assertTrue(Float.isNaN(Activations.exp(Float.NaN)));
    assertTrue(Activations.exp(Activations.EXP_HI) < Float.MAX_VALUE);
    assertTrue(Activations.exp(Activations.EXP_LO) >= Float.MIN_NORMAL);
  }

  /**
   * The lanes' sigmoid repeats the scalar one's operations, so SiLU gives the same floats in whole vectors and in
   * tails, and before and after the JIT compiles it (the Vector API's own EXP did not: 42 of 4,096 lanes differed
   * in the last bit between the interpreter and C2). Hundreds of rounds so that both run.
   */
  @Test
  void siluGivesTheScalarFloatsInLanesAndTailsColdAndCompiled() {
    int n = 4099;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextDouble() * 40 - 20);
    }
    float[] edges = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Activations.EXP_HI,
        -Activations.EXP_HI, Activations.EXP_LO, -Activations.EXP_LO, Math.nextUp(Activations.EXP_HI), -89f, 89f,
        Float.MIN_VALUE, -Float.MAX_VALUE, 1e-30f};
    System.arraycopy(edges, 0, x, 7, edges.length);
    float[] want = new float[n];
    float[] wantGrad = new float[n];
    float[] dy = Rand.floats(rnd, n);
    for (int i = 0; i < n; i++) {
      want[i] = x[i] * Activations.sigmoid(x[i]);
      wantGrad[i] = Activations.siluGradient(x[i], dy[i]);
    }
    float[] y = new float[n];
    float[] dx = new float[n];
    for (int round = 0; round < 300; round++) {
      Activations.silu(x, 0, y, 0, n);
      Activations.siluBackward(x, 0, dy, 0, dx, 0, n);
      for (int i = 0; i < n; i++) {
        if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(y[i])
            || Float.floatToIntBits(wantGrad[i]) != Float.floatToIntBits(dx[i])) {
          assertEquals(want[i], y[i], "silu(" + x[i] + ") in round " + round);
          assertEquals(wantGrad[i], dx[i], "silu'(" + x[i] + ") in round " + round);
        }
      }
    }
  }

  /**
   * The residual sum with its ReLU or ReLU6 in one pass gives the floats of the sum and then the activation, in
   * vector lanes and the scalar tail, at offsets, with values around 0 and 6, signed zeros, infinities and NaN.
   */
  @Test
  void sumClampedGivesTheFloatsOfTheSumThenTheActivation() {
    float[] special = {0f, -0f, 6f, -6f, 3f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f};
    for (int n : new int[] {1, 15, 16, 37, 100}) {
      float[] a = new float[n + 2];
      float[] b = new float[n + 3];
      for (int i = 0; i < a.length; i++) {
        a[i] = i % 5 == 0 ? special[i % special.length] : (float) (8 * rnd.nextGaussian());
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = i % 7 == 0 ? special[(i / 7) % special.length] : (float) (8 * rnd.nextGaussian());
      }
      for (boolean six : new boolean[] {false, true}) {
        float[] want = new float[n + 1];
        float[] sum = new float[n];
        for (int i = 0; i < n; i++) {
          sum[i] = a[2 + i] + b[3 + i];
        }
        if (six) {
          Activations.relu6(sum, 0, want, 1, n);
        } else {
          Activations.relu(sum, 0, want, 1, n);
        }
        float[] got = new float[n + 1];
        Activations.sumClamped(a, 2, b, 3, six, got, 1, n);
        for (int i = 0; i <= n; i++) {
          assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
              (six ? "relu6" : "relu") + " n " + n + " at " + i + ": " + got[i] + " against " + want[i]);
        }
      }
    }
  }

  @Test
  void reluBackwardPassesDyExactlyWhereXIsPositiveAtAnyLengthAndOffset() {
    for (int n : new int[] {1, 15, 16, 37, 100}) {
      float[] x = Rand.floats(rnd, n + 3);
      x[3] = 0f;
      x[Math.min(4, n + 2)] = -0f;
      float[] dy = Rand.floats(rnd, n + 5);
      float[] dx = new float[n + 2];
      java.util.Arrays.fill(dx, 9f);
      Activations.reluBackward(x, 3, dy, 5, dx, 1, n);
      assertEquals(9f, dx[0], "before the range");
      for (int i = 0; i < n; i++) {
        assertEquals(x[3 + i] > 0 ? dy[5 + i] : 0f, dx[1 + i], "n " + n + " element " + i);
      }
      assertEquals(9f, dx[n + 1], "after the range");
    }
  }

  @Test
  void activationsMatchTheirFormulasAndDerivatives() {
    activation("relu", Activations::relu, Activations::reluBackward, false, v -> Math.max(v, 0));
    activation("relu6", Activations::relu6, Activations::relu6Backward, false, v -> Math.min(Math.max(v, 0), 6));
    activation("sigmoid", Activations::sigmoid, Activations::sigmoidBackward, true, v -> 1 / (1 + Math.exp(-v)));
    activation("tanh", Activations::tanh, Activations::tanhBackward, true, Math::tanh);
    activation("silu", Activations::silu, Activations::siluBackward, false, v -> v / (1 + Math.exp(-v)));
  }

  @Test
  void softmaxCrossEntropyWithLabelSmoothing() {
    int n = 5, k = 7;
    float[] logits = Rand.floats(rnd, n * k);
    for (int i = 0; i < logits.length; i++) {
      logits[i] *= 4;
    }
    int[] labels = {0, 6, 3, 3, 1};
    for (float eps : new float[] {0f, 0.1f}) {
      float[] p = new float[n * k];
      double loss = Losses.softmaxCrossEntropy(logits, 0, labels, n, k, eps, p, 0);
      double ref = 0;
      for (int i = 0; i < n; i++) {
        double z = 0;
        for (int j = 0; j < k; j++) {
          z += Math.exp(logits[i * k + j]);
        }
        for (int j = 0; j < k; j++) {
          double target = (j == labels[i] ? 1 - eps : 0) + eps / k;
          ref -= target * Math.log(Math.exp(logits[i * k + j]) / z);
          assertEquals(Math.exp(logits[i * k + j]) / z, p[i * k + j], 1e-6);
        }
      }
      assertEquals(ref / n, loss, 1e-5);
      float[] d = new float[n * k];
      Losses.softmaxCrossEntropyBackward(p, 0, labels, n, k, eps, d, 0);
      float e = eps;
      GradCheck.check("ce eps=" + eps, ls -> new float[] {(float) Losses.softmaxCrossEntropy(ls, 0, labels, n, k, e,
          new float[n * k], 0)}, logits, new float[] {1f}, d, 2e-3);
    }
    // Large logits stay finite: the max is subtracted before exp.
    float[] big = {1000f, -1000f, 0f};
    float[] p = new float[3];
    assertTrue(Double.isFinite(Losses.softmaxCrossEntropy(big, 0, new int[] {1}, 1, 3, 0f, p, 0)));
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> Losses.softmaxCrossEntropy(big, 0, new int[] {3}, 1, 3, 0f, p, 0));
    assertTrue(ex.getMessage().contains("label 3 of row 0"), ex.getMessage());
  }

  @Test
  void dropoutIsSeededInvertedAndKeepsItsRate() {
    int n = 100_000;
    float[] x = new float[n];
    java.util.Arrays.fill(x, 1f);
    float[] y1 = new float[n];
    float[] y2 = new float[n];
    float[] mask = new float[n];
    Dropout.forward(x, 0, y1, 0, mask, n, 0.4f, 42);
    Dropout.forward(x, 0, y2, 0, new float[n], n, 0.4f, 42);
    assertArrayEquals(y1, y2, "same seed, same mask");
    Dropout.forward(x, 0, y2, 0, new float[n], n, 0.4f, 43);
    assertNotEquals(java.util.Arrays.hashCode(y1), java.util.Arrays.hashCode(y2), "another seed, another mask");
    int kept = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      if (y1[i] != 0f) {
        kept++;
        assertEquals(1 / 0.6f, y1[i], 1e-6);
      }
      sum += y1[i];
    }
    assertEquals(0.6, kept / (double) n, 0.01);
    assertEquals(1.0, sum / n, 0.02); // inverted: the expectation is unchanged
    float[] dy = Rand.floats(rnd, n);
    float[] dx = new float[n];
    Dropout.backward(dy, 0, mask, dx, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(dy[i] * mask[i], dx[i]);
    }
  }

  @Test
  void broadcastingAddAndMultiply() {
    int[][][] pairs = {{{2, 3, 4, 5}, {2, 3, 1, 1}}, {{3, 2, 7}, {3, 2, 1}}, {{2, 4, 9, 9}, {2, 4, 1, 1}},
        {{2, 3, 5, 3}, {2, 1, 1, 1}}, {{2, 1, 3}, {4, 1}}, {{3}, {2, 3}}, {{2, 3}, {2, 3}}, {{2, 1}, {2, 3}}};
    for (int[][] pr : pairs) {
      int[] as = pr[0];
      int[] bs = pr[1];
      int[] out = Broadcast.shape(as, bs);
      float[] a = Rand.floats(rnd, Shape.size(as));
      float[] b = Rand.floats(rnd, Shape.size(bs));
      float[] sum = new float[Shape.size(out)];
      float[] prod = new float[Shape.size(out)];
      Broadcast.add(a, 0, as, b, 0, bs, sum, 0);
      Broadcast.multiply(a, 0, as, b, 0, bs, prod, 0);
      for (int i = 0; i < sum.length; i++) {
        int ia = index(i, out, as);
        int ib = index(i, out, bs);
        assertEquals(a[ia] + b[ib], sum[i], 1e-7);
        assertEquals(a[ia] * b[ib], prod[i], 1e-7);
      }
      float[] dy = Rand.floats(rnd, sum.length);
      float[] da = new float[a.length];
      float[] db = new float[b.length];
      Broadcast.addBackward(dy, 0, as, bs, da, 0, db, 0);
      GradCheck.check("add da", x -> run(x, as, b, bs, false), a, dy, da, 1e-3);
      GradCheck.check("add db", x -> run(a, as, x, bs, false), b, dy, db, 1e-3);
      Broadcast.multiplyBackward(dy, 0, a, 0, as, b, 0, bs, da, 0, db, 0);
      GradCheck.check("mul da", x -> run(x, as, b, bs, true), a, dy, da, 1e-3);
      GradCheck.check("mul db", x -> run(a, as, x, bs, true), b, dy, db, 1e-3);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Broadcast.shape(new int[] {2, 3}, new int[] {4, 3}));
    assertTrue(e.getMessage().contains("(2, 3) and (4, 3)"), e.getMessage());
  }

  /**
   * A gate large enough to be swept on several threads (past 32 K floats; 2 threads, planes that do not split
   * evenly): the product float for float, and the gate's gradient against a double-precision dot per plane.
   */
  @Test
  void largeGatesSweptInParallelMatchTheLoops() {
    OnThreads.each(t -> {
      int n = 3;
      int c = 37;
      int plane = 301;
      int[] as = {n, c, plane};
      int[] bs = {n, c, 1};
      float[] x = Rand.floats(rnd, n * c * plane);
      float[] g = Rand.floats(rnd, n * c);
      float[] y = new float[x.length];
      Broadcast.multiply(x, 0, as, g, 0, bs, y, 0);
      float[] dy = Rand.floats(rnd, x.length);
      float[] dx = new float[x.length];
      float[] dg = new float[n * c];
      Broadcast.multiplyBackward(dy, 0, x, 0, as, g, 0, bs, dx, 0, dg, 0);
      for (int p = 0; p < n * c; p++) {
        double dot = 0;
        for (int j = 0; j < plane; j++) {
          int i = p * plane + j;
          assertEquals(x[i] * g[p], y[i], 0f, "y at " + i);
          assertEquals(dy[i] * g[p], dx[i], 0f, "dx at " + i);
          dot += (double) dy[i] * x[i];
        }
        assertEquals(dot, dg[p], 1e-4 * (1 + Math.abs(dot)), "the gate's gradient at plane " + p);
      }
    }, 2);
  }

  /**
   * Squeeze-and-excitation's one-sweep input gradient equals the product's gradient plus the average pool's
   * backward, float for float, on planes shorter than a vector, of a vector and a tail, and of several vectors.
   */
  @Test
  void gateAndMeanBackwardEqualsTheProductsGradientPlusThePools() {
    for (int plane : new int[] {1, 7, 16, 81}) {
      int n = 2;
      int c = 3;
      float[] x = Rand.floats(rnd, n * c * plane);
      float[] g = Rand.floats(rnd, n * c);
      float[] dy = Rand.floats(rnd, x.length);
      float[] dMean = Rand.floats(rnd, n * c);
      float[] expected = new float[x.length];
      float[] db = new float[n * c];
      Broadcast.multiplyBackward(dy, 0, x, 0, new int[] {n, c, plane}, g, 0, new int[] {n, c, 1}, expected, 0, db, 0);
      float[] pooled = new float[x.length];
      PoolKernels.globalAvgBackward(dMean, 0, pooled, 0, n, c, plane);
      for (int i = 0; i < x.length; i++) {
        expected[i] += pooled[i];
      }
      float[] dx = new float[x.length];
      Broadcast.gateAndMeanBackward(dy, 0, g, 0, dMean, 0, n * c, plane, dx, 0);
      assertArrayEquals(expected, dx, "planes of " + plane);
      float[] dbOnly = new float[n * c];
      Broadcast.multiplyBackward(dy, 0, x, 0, new int[] {n, c, plane}, g, 0, new int[] {n, c, 1}, null, 0, dbOnly, 0);
      assertArrayEquals(db, dbOnly, "the gate's gradient alone, planes of " + plane);
    }
  }

  private static float[] run(float[] a, int[] as, float[] b, int[] bs, boolean mul) {
    float[] y = new float[Shape.size(Broadcast.shape(as, bs))];
    if (mul) {
      Broadcast.multiply(a, 0, as, b, 0, bs, y, 0);
    } else {
      Broadcast.add(a, 0, as, b, 0, bs, y, 0);
    }
    return y;
  }

  /** Flat index into an operand of shape s for flat output index i of shape out. */
  private static int index(int i, int[] out, int[] s) {
    int idx = 0;
    int stride = 1;
    for (int d = out.length - 1; d >= 0; d--) {
      int coord = i % out[d];
      i /= out[d];
      int j = d - (out.length - s.length);
      if (j >= 0) {
        idx += (s[j] == 1 ? 0 : coord) * stride;
        stride *= s[j];
      }
    }
    return idx;
  }

  @Test
  void concatSplitAndChannelShuffle() {
    int n = 2, hw = 3;
    float[] a = Rand.floats(rnd, n * 2 * hw);
    float[] b = Rand.floats(rnd, n * 3 * hw);
    float[] y = new float[n * 5 * hw];
    ChannelOps.concat(new float[][] {a, b}, new int[] {0, 0}, new int[] {2, 3}, n, hw, y, 0);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 2 * hw; j++) {
        assertEquals(a[i * 2 * hw + j], y[i * 5 * hw + j]);
      }
      for (int j = 0; j < 3 * hw; j++) {
        assertEquals(b[i * 3 * hw + j], y[i * 5 * hw + 2 * hw + j]);
      }
    }
    float[] a2 = new float[a.length];
    float[] b2 = new float[b.length];
    ChannelOps.split(y, 0, n, hw, new float[][] {a2, b2}, new int[] {0, 0}, new int[] {2, 3});
    assertArrayEquals(a, a2);
    assertArrayEquals(b, b2);

    // 6 channels in 2 groups: (0 1 2)(3 4 5) -> 0 3 1 4 2 5.
    float[] x = {0, 1, 2, 3, 4, 5};
    float[] s = new float[6];
    ChannelOps.shuffle(x, 0, s, 0, 1, 6, 1, 2);
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, s);
    float[] back = new float[6];
    ChannelOps.unshuffle(s, 0, back, 0, 1, 6, 1, 2);
    assertArrayEquals(x, back);
  }
}
