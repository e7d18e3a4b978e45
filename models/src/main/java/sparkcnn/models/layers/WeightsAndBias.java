package sparkcnn.models.layers;

import java.util.Arrays;
import java.util.SplittableRandom;
import sparkcnn.models.Binder;
import sparkcnn.models.ModelTooLarge;

/**
 * A layer's weights and optional bias (one per output) in the model's flat buffers: how many there are, where
 * they were bound, and how they start (Kaiming-normal weights over the fan-in, with weight decay; a zero bias,
 * without). Linear and the convolutions share it.
 */
final class WeightsAndBias {
  private final int weights;
  private final int fanIn;
  private final int out;
  private final boolean bias;
  /** The model's flat buffers once bound. */
  float[] params;
  float[] grads;
  /** Offsets of the weights and the bias (-1 without one) in them. */
  int wOff;
  int bOff = -1;

  /** weights: counted in long by the caller, so a layer past 2^31 is refused here instead of wrapping. */
  WeightsAndBias(long weights, int fanIn, int out, boolean bias) {
    if (weights + (bias ? out : 0) > Integer.MAX_VALUE) {
      throw ModelTooLarge.pastArrays(String.format(java.util.Locale.ROOT, "a layer of %,d weights", weights));
    }
    this.weights = (int) weights;
    this.fanIn = fanIn;
    this.out = out;
    this.bias = bias;
  }

  int count() {
    return weights + (bias ? out : 0);
  }

  boolean hasBias() {
    return bias;
  }

  /** The array holding the bias for the kernels' (array, offset) pairs, or null without one. */
  float[] biasArray() {
    return bias ? params : null;
  }

  void bind(Binder b) {
    params = b.params;
    grads = b.grads;
    wOff = b.params(weights, true);
    bOff = bias ? b.params(out, false) : -1;
  }

  void init(SplittableRandom rnd) {
    Init.kaimingNormal(params, wOff, weights, fanIn, rnd);
    if (bias) {
      Arrays.fill(params, bOff, bOff + out, 0f);
    }
  }
}
