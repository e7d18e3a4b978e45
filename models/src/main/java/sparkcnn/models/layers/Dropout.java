package sparkcnn.models.layers;

import sparkcnn.kernels.Tensor;
import sparkcnn.models.Buffers;
import sparkcnn.models.Layer;

/**
 * Inverted dropout: identity at inference. The mask of each training forward is a pure function of (seed, the
 * number of training forwards so far), so a replayed step draws the same mask; {@link #reseed} sets both.
 */
public final class Dropout implements Layer {
  private final float rate;
  private long seed;
  private long calls;
  private float[] mask;
  private Tensor y;
  private Tensor dx;
  private boolean lastTraining;

  public Dropout(float rate, long seed) {
    if (!(rate >= 0f && rate < 1f)) {
      throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + rate);
    }
    this.rate = rate;
    this.seed = seed;
  }

  /** Restarts the mask sequence (e.g. from a step number, so any executor draws the same masks). */
  public void reseed(long newSeed) {
    this.seed = newSeed;
    this.calls = 0;
  }

  @Override
  public int[] outputShape(int[] in) {
    return in.clone();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    lastTraining = training && rate > 0f;
    if (!lastTraining) {
      return x;
    }
    y = Buffers.ensure(y, x.shape());
    if (mask == null || mask.length < x.size()) {
      mask = new float[x.size()];
    }
    sparkcnn.kernels.Dropout.forward(x.data, x.offset, y.data, y.offset, mask, x.size(), rate,
        seed * 0x9E3779B97F4A7C15L + calls++);
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (!lastTraining) {
      return dy;
    }
    dx = Buffers.ensure(dx, dy.shape());
    sparkcnn.kernels.Dropout.backward(dy.data, dy.offset, mask, dx.data, dx.offset, dy.size());
    return dx;
  }

  @Override
  public String describe() {
    return "dropout " + rate;
  }
}
