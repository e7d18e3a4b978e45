package sparkcnn.models.zoo;

import java.util.SplittableRandom;
import sparkcnn.kernels.Tensor;

/** A zoo entry at a small input and one batch for it: the tests that take one training step of every entry. */
public final class SmallSteps {
  private SmallSteps() {}

  /**
   * The entry with 5 classes at a small input: 32x32 (or its own size, the U-Nets' 188x188 and AlexNet's and NiN's
   * 96x96 where the layout needs it), the big networks narrowed to a quarter of their width (the layout, and every
   * layer type, stays the same).
   */
  public static ModelSpec spec(String name) {
    Zoo.Entry e = Zoo.entry(name);
    int size = switch (e.family()) {
      case "unet" -> name.equals("unet") ? 188 : 32;
      case "classic" -> name.equals("alexnet") || name.equals("nin") ? 96 : e.input()[1];
      default -> e.input()[1] <= 32 ? 32 : 64;
    };
    Scaling narrow = e.input()[1] <= 32 ? null : new Scaling(0.25, 1, 1);
    return Zoo.spec(name, 5, new int[] {e.input()[0], size, size}, narrow);
  }

  /** Two Gaussian images for spec. */
  public static Tensor input(ModelSpec spec, SplittableRandom rnd) {
    Tensor x = Tensor.zeros(2, spec.channels(), spec.height(), spec.width());
    for (int i = 0; i < x.size(); i++) {
      x.set(i, (float) rnd.nextGaussian());
    }
    return x;
  }

  /** A label per image (or per output pixel, for an output of shape out) of 5 classes. */
  public static int[] labels(int[] out, SplittableRandom rnd) {
    int per = out.length == 4 ? out[2] * out[3] : 1;
    int[] labels = new int[out[0] * per];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rnd.nextInt(5);
    }
    return labels;
  }
}
