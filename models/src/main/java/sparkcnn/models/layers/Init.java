package sparkcnn.models.layers;

import java.util.SplittableRandom;

/** Weight initialization shared by the layers with weights. */
final class Init {
  private Init() {}

  /** Kaiming-normal (He et al., 2015): n weights at off drawn from N(0, 2 / fanIn), for ReLU-family networks. */
  static void kaimingNormal(float[] params, int off, int n, int fanIn, SplittableRandom rnd) {
    double std = Math.sqrt(2.0 / fanIn);
    for (int i = 0; i < n; i++) {
      double u = 1 - rnd.nextDouble();
      params[off + i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble()) * std);
    }
  }
}
