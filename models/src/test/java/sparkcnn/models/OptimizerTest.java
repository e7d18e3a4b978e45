package sparkcnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import sparkcnn.models.optim.Adam;
import sparkcnn.models.optim.GradClip;
import sparkcnn.models.optim.Optimizer;
import sparkcnn.models.optim.RmsProp;
import sparkcnn.models.optim.Schedule;
import sparkcnn.models.optim.Sgd;

/** Update rules against values worked out by hand (in the comments). */
class OptimizerTest {
  private static float[] run(Optimizer opt, float lr, float[]... gradSteps) {
    float[] p = {1f};
    for (float[] g : gradSteps) {
      opt.step(p, g, new boolean[] {true}, null, 0, lr);
    }
    return p;
  }

  @Test
  void sgdMomentumAndNesterov() {
    // buf = 0.5 -> p = 1 - 0.1 * 0.5 = 0.95; buf = 0.9 * 0.5 + 0.5 = 0.95 -> p = 0.95 - 0.095 = 0.855
    assertEquals(0.855f, run(new Sgd(0.9f, false, 0f), 0.1f, new float[] {0.5f}, new float[] {0.5f})[0], 1e-6);
    // Nesterov: g + 0.9 buf = 0.95 -> p = 0.905; buf = 0.95, g + 0.9 buf = 1.355 -> p = 0.7695
    assertEquals(0.7695f, run(new Sgd(0.9f, true, 0f), 0.1f, new float[] {0.5f}, new float[] {0.5f})[0], 1e-6);
    // L2 weight decay joins the gradient: g = 0 + 0.1 * 1 -> p = 1 - 0.1 * 0.1 = 0.99
    assertEquals(0.99f, run(new Sgd(0f, false, 0.1f), 0.1f, new float[] {0f})[0], 1e-6);
    assertThrows(IllegalArgumentException.class, () -> new Sgd(0f, true, 0f));
  }

  /**
   * Over many parameters with runs of decayed and undecayed ones (and single ones between), frozen ones, per-parameter
   * rates or none, plain and Nesterov momentum or none: three steps equal PyTorch's update written out per element,
   * float for float.
   */
  @Test
  void sgdOverRunsOfDecayEqualsTheUpdatePerElement() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    int n = 1000;
    boolean[] mask = new boolean[n];
    for (int i = 0; i < n; i++) {
      mask[i] = i < 300 || (i >= 301 && i < 302) || (i >= 500 && i < 870);
    }
    float[] rates = new float[n];
    for (int i = 0; i < n; i++) {
      rates[i] = i % 7 == 0 ? 0.1f : 1f;
    }
    float[][] settings = {{0.9f, 0f}, {0.9f, 1f}, {0f, 0f}};
    for (float[] set : settings) {
      for (float[] r : new float[][] {null, rates}) {
        float momentum = set[0];
        boolean nesterov = set[1] != 0f;
        float decay = 1e-2f;
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
          p[i] = (float) rnd.nextDouble(-1, 1);
        }
        float[] expected = p.clone();
        float[] buf = new float[n];
        Sgd sgd = new Sgd(momentum, nesterov, decay);
        for (int step = 0; step < 3; step++) {
          float[] g = new float[n];
          for (int i = 0; i < n; i++) {
            g[i] = (float) rnd.nextDouble(-1, 1);
          }
          sgd.step(p, g, mask, r, 5, 0.1f);
          for (int i = 5; i < n; i++) {
            float lr = r == null ? 0.1f : 0.1f * r[i];
            float gi = g[i] + (mask[i] ? decay * expected[i] : 0f);
            if (momentum != 0f) {
              buf[i] = momentum * buf[i] + gi;
              gi = nesterov ? gi + momentum * buf[i] : buf[i];
            }
            expected[i] -= lr * gi;
          }
        }
        assertArrayEquals(expected, p, "sgd momentum " + momentum + " nesterov " + nesterov + " rates " + (r != null));
      }
    }
  }

  @Test
  void adamBiasCorrectionAndAdamWDecoupling() {
    // Step 1, g = 0.5: m = 0.05, v = 0.00025, m^ = 0.5, v^ = 0.25 -> p = 1 - 0.1 * 0.5 / 0.5 = 0.9.
    // Step 2, g = -0.25: m = 0.02, v = 0.00031225, m^ = 0.02 / 0.19 = 0.1052632, v^ = 0.00031225 / 0.001999
    // = 0.1562031 -> p = 0.9 - 0.1 * 0.1052632 / 0.3952254 = 0.8733667.
    assertEquals(0.9f, run(new Adam(0.9f, 0.999f, 1e-8f, 0f, false), 0.1f, new float[] {0.5f})[0], 1e-6);
    assertEquals(0.8733667f, run(new Adam(0.9f, 0.999f, 1e-8f, 0f, false), 0.1f, new float[] {0.5f},
        new float[] {-0.25f})[0], 1e-6);
    // Zero gradient, weight decay 0.1. Adam (L2): g = 0.1 -> m^ = 0.1, v^ = 0.01 -> p = 1 - 0.1 = 0.9.
    // AdamW: the moments stay 0 and the weight shrinks directly: p = 1 - 0.1 * 0.1 * 1 = 0.99.
    assertEquals(0.9f, run(new Adam(0.9f, 0.999f, 1e-8f, 0.1f, false), 0.1f, new float[] {0f})[0], 1e-6);
    assertEquals(0.99f, run(new Adam(0.9f, 0.999f, 1e-8f, 0.1f, true), 0.1f, new float[] {0f})[0], 1e-6);
  }

  @Test
  void rmsPropFreezingAndDecayMask() {
    // v = 0.01 * 0.25 = 0.0025 -> p = 1 - 0.01 * 0.5 / 0.05 = 0.9
    assertEquals(0.9f, run(new RmsProp(0.99f, 1e-8f, 0f, 0f), 0.01f, new float[] {0.5f})[0], 1e-5);
    float[] p = {1f, 1f, 1f};
    new Sgd(0f, false, 0.5f).step(p, new float[] {1f, 1f, 0f}, new boolean[] {true, true, false}, null, 1, 0.1f);
    assertEquals(1f, p[0]); // frozen
    assertEquals(1f - 0.1f * (1f + 0.5f), p[1], 1e-6); // decayed
    assertEquals(1f, p[2]); // no gradient, no decay (a bias)
  }

  @Test
  void schedulesAndClipping() {
    assertEquals(0.1f, Schedule.step(0.1f, 10, 0.5f).lr(9), 1e-7);
    assertEquals(0.05f, Schedule.step(0.1f, 10, 0.5f).lr(10), 1e-7);
    Schedule multi = Schedule.multiStep(1f, new long[] {30, 10}, 0.1f);
    assertEquals(1f, multi.lr(9), 1e-7);
    assertEquals(0.1f, multi.lr(10), 1e-7);
    assertEquals(0.01f, multi.lr(30), 1e-7);
    Schedule cos = Schedule.cosine(1f, 100, 0f);
    assertEquals(1f, cos.lr(0), 1e-7);
    assertEquals(0.5f, cos.lr(50), 1e-6);
    assertEquals(0f, cos.lr(100), 1e-7);
    Schedule warm = Schedule.constant(1f).withWarmup(4);
    assertEquals(0.25f, warm.lr(0), 1e-7);
    assertEquals(1f, warm.lr(3), 1e-7);
    assertEquals(1f, warm.lr(4), 1e-7);
    float[] g = {3f, 4f};
    assertEquals(5.0, GradClip.clipGlobalNorm(g, 1.0), 1e-9);
    assertEquals(0.6f, g[0], 1e-6);
    assertEquals(0.8f, g[1], 1e-6);
  }
}
