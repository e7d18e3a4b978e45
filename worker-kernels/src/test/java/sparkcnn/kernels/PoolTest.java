package sparkcnn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PoolTest {
  private final SplittableRandom rnd = new SplittableRandom(21);

  /** Distinct values 0.1 apart, so a finite-difference step of 0.01 never changes which element is the max. */
  private float[] distinct(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i * 0.1f;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      float t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }

  /** Ties go to the window's first position, on the 2x2 fast path (7x9) as on the general one (3x3). */
  @Test
  void maxPoolTiesTakeTheFirstPosition() {
    for (ConvGeom g : new ConvGeom[] {ConvGeom.pool(1, 1, 7, 9, 2, 2, 2, 0), ConvGeom.pool(1, 1, 7, 9, 3, 3, 3, 0)}) {
      int[] arg = new int[g.outputSize()];
      PoolKernels.maxForward(new float[g.inputSize()], 0, new float[g.outputSize()], 0, arg, g);
      for (int p = 0; p < g.p(); p++) {
        for (int q = 0; q < g.q(); q++) {
          assertEquals(p * g.strideH() * g.w() + q * g.strideW(), arg[p * g.q() + q], g + " at " + p + "," + q);
        }
      }
    }
  }

  /**
   * The vector path on long rows (up to 40 outputs, with a tail) and on rows narrower than a vector (14, 7, 6
   * outputs: its last vector spills into the next rows, which are written after it, but never past the planes a
   * thread owns or past the output): values from a small set, so most windows hold ties, and NaNs here and
   * there; the value and the position are the scalar rule's (the first of equal values wins, a NaN only when it
   * comes first), and nothing around the output is written.
   */
  @Test
  void maxPool2x2OnAnyRowWidthKeepsTheScalarRuleForTiesAndNaN() {
    for (ConvGeom g : new ConvGeom[] {ConvGeom.pool(2, 3, 34, 37, 2, 2, 2, 0), ConvGeom.pool(1, 2, 9, 80, 2, 2, 2, 0),
        ConvGeom.pool(3, 1, 64, 64, 2, 2, 2, 0), ConvGeom.pool(5, 3, 28, 28, 2, 2, 2, 0),
        ConvGeom.pool(4, 7, 14, 14, 2, 2, 2, 0), ConvGeom.pool(3, 5, 13, 13, 2, 2, 2, 0),
        ConvGeom.pool(1, 1, 2, 2, 2, 2, 2, 0)}) {
      float[] x = new float[g.inputSize() + 5];
      for (int i = 0; i < x.length; i++) {
        x[i] = rnd.nextInt(20) == 0 ? Float.NaN : rnd.nextInt(4);
      }
      float[] y = new float[g.outputSize() + 3 + 40];
      java.util.Arrays.fill(y, -7f);
      int[] arg = new int[g.outputSize()];
      PoolKernels.maxForward(x, 2, y, 3, arg, g);
      for (int i = 0; i < y.length; i++) {
        if (i < 3 || i >= 3 + g.outputSize()) {
          assertEquals(-7f, y[i], g + ": written outside the output at " + i);
        }
      }
      int o = 0;
      for (int plane = 0; plane < g.n() * g.c(); plane++) {
        int base = 2 + plane * g.h() * g.w();
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++, o++) {
            int at = 2 * p * g.w() + 2 * q;
            int where = at;
            for (int cand : new int[] {at + 1, at + g.w(), at + g.w() + 1}) {
              if (x[base + cand] > x[base + where]) {
                where = cand;
              }
            }
            String ctx = g + " plane " + plane + " at " + p + "," + q;
            assertEquals(where, arg[o], ctx);
            assertEquals(Float.floatToIntBits(x[base + where]), Float.floatToIntBits(y[3 + o]), ctx);
          }
        }
      }
    }
  }

  /**
   * The pool with the bias and activation held back (a convolution's epilogue, run on the pooled quarter) equals
   * pooling the biased, activated input, for every non-decreasing activation, with and without a bias, on rows
   * wider and narrower than a vector, odd sizes, batch 1, one and two threads; nothing around the output is
   * written. SiLU (not monotone) and a window that is not a plain 2x2 are refused.
   */
  @Test
  void maxPool2x2WithBiasAndActivationEqualsPoolingTheActivatedInput() {
    OnThreads.each(t -> {
      for (ConvGeom g : new ConvGeom[] {ConvGeom.pool(2, 3, 34, 37, 2, 2, 2, 0),
          ConvGeom.pool(1, 32, 28, 28, 2, 2, 2, 0), ConvGeom.pool(3, 5, 13, 13, 2, 2, 2, 0),
          ConvGeom.pool(1, 1, 2, 3, 2, 2, 2, 0), ConvGeom.pool(2, 7, 14, 14, 2, 2, 2, 0)}) {
        for (Activations.Fn act : new Activations.Fn[] {Activations.Fn.NONE, Activations.Fn.RELU,
            Activations.Fn.RELU6, Activations.Fn.SIGMOID, Activations.Fn.TANH}) {
          for (boolean bias : new boolean[] {false, true}) {
            float[] x = new float[g.inputSize()];
            for (int i = 0; i < x.length; i++) {
              x[i] = (float) (rnd.nextDouble() * 16 - 8);
            }
            float[] b = bias ? Rand.floats(rnd, g.c() + 1) : null;
            float[] activated = x.clone();
            int hw = g.h() * g.w();
            for (int plane = 0; plane < g.n() * g.c(); plane++) {
              Conv2dKernels.biasAct(b, 1 + plane % g.c(), act, activated, plane * hw, hw);
            }
            float[] expected = new float[g.outputSize()];
            PoolKernels.maxForward(activated, 0, expected, 0, new int[g.outputSize()], g);
            float[] y = new float[g.outputSize() + 4 + 40];
            java.util.Arrays.fill(y, -7f);
            PoolKernels.max2x2BiasAct(x, 0, y, 4, g, b, 1, act);
            String ctx = g + " " + act + (bias ? " with bias" : "") + " threads " + t;
            for (int i = 0; i < y.length; i++) {
              if (i < 4 || i >= 4 + g.outputSize()) {
                assertEquals(-7f, y[i], ctx + ": written outside the output at " + i);
              } else {
                assertEquals(expected[i - 4], y[i], 1e-6f, ctx + " at " + (i - 4));
              }
            }
          }
        }
      }
    }, 1, 2);
    ConvGeom plain = ConvGeom.pool(1, 2, 8, 8, 2, 2, 2, 0);
    float[] x = new float[plain.inputSize()];
    float[] y = new float[plain.outputSize()];
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> PoolKernels.max2x2BiasAct(x, 0, y, 0, plain, null, 0, Activations.Fn.SILU));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("non-decreasing"), e.getMessage());
    ConvGeom three = ConvGeom.pool(1, 2, 9, 9, 3, 3, 2, 0);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PoolKernels.max2x2BiasAct(
        new float[three.inputSize()], 0, new float[three.outputSize()], 0, three, null, 0, Activations.Fn.RELU));
  }

  /**
   * One thread's planes [lo, hi) of narrow rows: the last vector of each row spills only into rows of the same
   * range, so the planes other threads own, before and after, keep what they held.
   */
  @Test
  void maxPool2x2RangeWritesOnlyItsOwnPlanes() {
    for (ConvGeom g : new ConvGeom[] {ConvGeom.pool(2, 5, 14, 14, 2, 2, 2, 0), ConvGeom.pool(3, 3, 28, 28, 2, 2, 2, 0),
        ConvGeom.pool(1, 6, 9, 11, 2, 2, 2, 0)}) {
      float[] x = Rand.floats(rnd, g.inputSize());
      int pq = g.p() * g.q();
      int planes = g.n() * g.c();
      for (int lo = 0; lo < planes; lo++) {
        for (int hi = lo + 1; hi <= planes; hi++) {
          float[] y = new float[g.outputSize()];
          int[] arg = new int[g.outputSize()];
          java.util.Arrays.fill(y, -7f);
          java.util.Arrays.fill(arg, -7);
          PoolKernels.max2x2(x, 0, y, 0, arg, g, lo, hi);
          for (int o = 0; o < y.length; o++) {
            boolean own = o >= lo * pq && o < hi * pq;
            String ctx = g + " planes [" + lo + ", " + hi + ") at " + o;
            if (!own) {
              assertEquals(-7f, y[o], ctx);
              assertEquals(-7, arg[o], ctx);
            } else {
              int plane = o / pq;
              int at = arg[o];
              assertEquals(x[plane * g.h() * g.w() + at], y[o], ctx);
            }
          }
        }
      }
    }
  }

  @Test
  void maxPoolMatchesDirectLoopAndGradient() {
    for (ConvGeom g : new ConvGeom[] {ConvGeom.pool(2, 3, 7, 8, 3, 3, 2, 1), ConvGeom.pool(1, 2, 6, 6, 2, 2, 2, 0),
        ConvGeom.pool(2, 1, 5, 9, 3, 2, 1, 1), ConvGeom.pool(2, 2, 7, 9, 2, 2, 2, 0)}) {
      float[] x = distinct(g.inputSize());
      float[] y = new float[g.outputSize()];
      int[] arg = new int[g.outputSize()];
      PoolKernels.maxForward(x, 0, y, 0, arg, g);
      float[] ref = new float[y.length];
      int o = 0;
      for (int plane = 0; plane < g.n() * g.c(); plane++) {
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < g.r(); r++) {
              for (int s = 0; s < g.s(); s++) {
                int ih = p * g.strideH() - g.padTop() + r;
                int iw = q * g.strideW() - g.padLeft() + s;
                if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                  best = Math.max(best, x[plane * g.h() * g.w() + ih * g.w() + iw]);
                }
              }
            }
            ref[o++] = best;
          }
        }
      }
      Rand.assertClose(ref, y, 0, "max pool " + g);
      float[] dy = Rand.floats(rnd, y.length);
      float[] dx = new float[x.length];
      PoolKernels.maxBackward(dy, 0, arg, dx, 0, g);
      GradCheck.check("max pool dx " + g, xs -> {
        float[] out = new float[g.outputSize()];
        PoolKernels.maxForward(xs, 0, out, 0, new int[out.length], g);
        return out;
      }, x, dy, dx, 1e-3);

      if (g.r() != g.strideH()) {
        continue; // unpooling is tested where windows do not overlap, its use in SegNet-style decoders
      }
      // Max-unpooling puts each value back where it came from; its backward reads it from there.
      float[] up = new float[g.inputSize()];
      UpsampleKernels.maxUnpoolForward(y, 0, arg, up, 0, g);
      float[] back = new float[y.length];
      UpsampleKernels.maxUnpoolBackward(up, 0, arg, back, 0, g);
      Rand.assertClose(y, back, 0, "max unpool round trip " + g);
      float[] dUp = Rand.floats(rnd, up.length);
      float[] dIn = new float[y.length];
      UpsampleKernels.maxUnpoolBackward(dUp, 0, arg, dIn, 0, g);
      GradCheck.check("max unpool", ys -> {
        float[] out = new float[g.inputSize()];
        UpsampleKernels.maxUnpoolForward(ys, 0, arg, out, 0, g);
        return out;
      }, y.clone(), dUp, dIn, 1e-3);
    }
  }

  @Test
  void averagePoolingCountsPaddingOrNot() {
    ConvGeom g = ConvGeom.pool(1, 1, 3, 3, 3, 3, 1, 1);
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float[] y = new float[9];
    PoolKernels.avgForward(x, 0, y, 0, g, true);
    // Top-left window covers 1, 2, 4, 5: sum 12 over 9 cells with padding, over 4 without.
    Rand.assertClose(new float[] {12f / 9, 21f / 9, 16f / 9, 27f / 9, 45f / 9, 33f / 9, 24f / 9, 39f / 9, 28f / 9}, y,
        1e-6, "avg pool count padding");
    PoolKernels.avgForward(x, 0, y, 0, g, false);
    Rand.assertClose(new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, y, 1e-6, "avg pool without padding");
    for (boolean count : new boolean[] {true, false}) {
      ConvGeom h = ConvGeom.pool(2, 3, 7, 6, 3, 3, 2, 1);
      float[] xs = Rand.floats(rnd, h.inputSize());
      float[] dy = Rand.floats(rnd, h.outputSize());
      float[] dx = new float[xs.length];
      PoolKernels.avgBackward(dy, 0, dx, 0, h, count);
      GradCheck.check("avg pool dx", in -> {
        float[] out = new float[h.outputSize()];
        PoolKernels.avgForward(in, 0, out, 0, h, count);
        return out;
      }, xs, dy, dx, 1e-3);
    }
  }

  /** Planes smaller than a vector, a vector and a tail, and several vectors (the vector sum's lanes and tail). */
  @ParameterizedTest
  @ValueSource(ints = {1, 7, 20, 49, 196})
  void globalAveragePooling(int hw) {
    float[] x = Rand.floats(rnd, 2 * 3 * hw);
    float[] y = new float[6];
    PoolKernels.globalAvgForward(x, 0, y, 0, 2, 3, hw);
    for (int p = 0; p < 6; p++) {
      double s = 0;
      for (int j = 0; j < hw; j++) {
        s += x[p * hw + j];
      }
      Rand.assertClose(new float[] {(float) (s / hw)}, new float[] {y[p]}, 1e-6, "global avg over " + hw);
    }
    float[] dy = Rand.floats(rnd, 6);
    float[] dx = new float[x.length];
    PoolKernels.globalAvgBackward(dy, 0, dx, 0, 2, 3, hw);
    GradCheck.check("global avg dx", xs -> {
      float[] out = new float[6];
      PoolKernels.globalAvgForward(xs, 0, out, 0, 2, 3, hw);
      return out;
    }, x, dy, dx, 1e-3);
  }

  @Test
  void nearestAndBedOfNailsUpsampling() {
    float[] x = {1, 2, 3, 4};
    float[] y = new float[16];
    UpsampleKernels.nearestForward(x, 0, y, 0, 1, 2, 2, 2);
    assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y);
    UpsampleKernels.bedOfNailsForward(x, 0, y, 0, 1, 2, 2, 2);
    assertArrayEquals(new float[] {1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}, y);
    float[] xs = Rand.floats(rnd, 2 * 3 * 4);
    float[] dy = Rand.floats(rnd, 2 * 9 * 12);
    float[] dx = new float[xs.length];
    UpsampleKernels.nearestBackward(dy, 0, dx, 0, 2, 3, 4, 3);
    GradCheck.check("nearest dx", in -> {
      float[] out = new float[dy.length];
      UpsampleKernels.nearestForward(in, 0, out, 0, 2, 3, 4, 3);
      return out;
    }, xs, dy, dx, 1e-3);
    UpsampleKernels.bedOfNailsBackward(dy, 0, dx, 0, 2, 3, 4, 3);
    GradCheck.check("bed of nails dx", in -> {
      float[] out = new float[dy.length];
      UpsampleKernels.bedOfNailsForward(in, 0, out, 0, 2, 3, 4, 3);
      return out;
    }, xs, dy, dx, 1e-3);
  }
}
