package sparkcnn.models.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sparkcnn.models.Model;
import sparkcnn.models.Summary;

/** Compound scaling: the rounding rules, the published EfficientNet coefficients, and phi on any family. */
class ScalingTest {
  @Test
  void channelsRoundToEightNeverBelowNinetyPercent() {
    assertEquals(32, Scaling.roundChannels(32 * 1.1)); // 35.2 -> 32 (>= 31.7)
    assertEquals(40, Scaling.roundChannels(36));        // 36 -> 40 (ties round up)
    assertEquals(16, Scaling.roundChannels(15 * 0.9));  // 13.5 -> 16
    assertEquals(8, Scaling.roundChannels(3));          // never below 8
    assertEquals(48, Scaling.roundChannels(52 * 0.95)); // 49.4 -> 48 (>= 44.5)
    assertEquals(56, Scaling.roundChannels(57.6));      // 57.6 -> 56 (>= 51.8)
    assertEquals(24, Scaling.roundChannels(19.9));      // 19.9 -> 16 would be < 17.9, so 24
  }

  @Test
  void repeatsRoundUp() {
    Scaling s = new Scaling(1, 3.1, 1);
    assertEquals(4, s.repeats(1));
    assertEquals(7, s.repeats(2));
    assertEquals(13, s.repeats(4));
    assertEquals(3, new Scaling(1, 1, 1).repeats(3));
  }

  /**
   * The published B1-B7 coefficients were rounded by hand from the compound formula: each is within 16% of
   * (beta^phi, alpha^phi, 224 gamma^phi) at the phi listed here (the largest gap is depth at B6 and B7).
   */
  @Test
  void publishedEfficientNetCoefficientsFollowTheFormula() {
    double[] phi = {0, 0.5, 1, 2, 3.5, 5, 6, 7};
    for (int i = 0; i < phi.length; i++) {
      EfficientNet.Coefficients c = EfficientNet.PUBLISHED[i];
      Scaling f = Scaling.phi(phi[i]);
      String name = "efficientnet_b" + i;
      assertEquals(c.width(), f.width(), 0.16 * c.width(), name + " width");
      assertEquals(c.depth(), f.depth(), 0.16 * c.depth(), name + " depth");
      assertEquals(c.resolution(), 224 * f.resolution(), 0.16 * c.resolution(), name + " resolution");
      assertEquals(c.resolution(), Zoo.spec(name).height(), name + " default input");
    }
    // alpha beta^2 gamma^2 ~ 2: one unit of phi about doubles the multiply-adds.
    assertEquals(2.0, Scaling.ALPHA * Math.pow(Scaling.BETA, 2) * Math.pow(Scaling.GAMMA, 2), 0.1);
  }

  @Test
  void phiScalesAnyFamilyTheSameWay() {
    ModelSpec spec = Zoo.spec("cifar_resnet20", null, null, Scaling.phi(2));
    assertEquals(Math.round(32 * Math.pow(1.15, 2)), spec.height());
    Model scaled = Zoo.build(spec);
    Model base = Zoo.build(Zoo.spec("cifar_resnet20"));
    Summary s = Summary.of(scaled);
    Summary b = Summary.of(base);
    // width 1.21 (16 -> 24 channels after rounding), depth 1.44 (3 -> 5 blocks per stage), resolution 1.32.
    assertTrue(s.params() > 2 * b.params(), s.params() + " vs " + b.params());
    assertTrue(s.macs() > 4 * b.macs(), s.macs() + " vs " + b.macs());
    int[] blocks = {0};
    Model.walk(scaled.root(), l -> blocks[0] += l instanceof sparkcnn.models.layers.Residual ? 1 : 0);
    assertEquals(3 * 5, blocks[0]);
  }
}
