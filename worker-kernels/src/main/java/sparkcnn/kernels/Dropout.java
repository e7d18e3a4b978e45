package sparkcnn.kernels;

/**
 * Inverted dropout: in training each element is kept with probability 1 - rate and scaled by 1 / (1 - rate),
 * so inference is the identity. The keep decision for element i is a hash of (seed, i): the same seed gives the
 * same mask on any executor, any thread count and any retry.
 */
public final class Dropout {
  private Dropout() {}

  /** y = x mask, mask (overwritten) in {0, 1 / (1 - rate)}. */
  public static void forward(float[] x, int xOff, float[] y, int yOff, float[] mask, int n, float rate, long seed) {
    if (!(rate >= 0f && rate < 1f)) {
      throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + rate);
    }
    float scale = 1f / (1f - rate);
    for (int i = 0; i < n; i++) {
      float m = uniform(seed, i) >= rate ? scale : 0f;
      mask[i] = m;
      y[yOff + i] = x[xOff + i] * m;
    }
  }

  /** dx = dy mask. */
  public static void backward(float[] dy, int dyOff, float[] mask, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] = dy[dyOff + i] * mask[i];
    }
  }

  /** A uniform number in [0, 1) from SplitMix64's finalizer applied to (seed, i). */
  static float uniform(long seed, long i) {
    long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 40) * 0x1.0p-24f;
  }
}
