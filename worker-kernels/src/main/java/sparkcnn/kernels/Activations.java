package sparkcnn.kernels;

/**
 * Element-wise activations over n floats. Forward may run in place (x == y, same offset). Backward overwrites
 * dx from dy and whichever of x (input) or y (output) gives the derivative most cheaply, as each method names.
 */
public final class Activations {
  private Activations() {}

  /** An activation applied in place, as a convolution's epilogue in an inference graph. */
  public enum Fn {
    NONE, RELU, RELU6, SIGMOID, TANH, SILU;

    /** y[off, off + n) = f(y[off, off + n)). */
    public void apply(float[] y, int off, int n) {
      switch (this) {
        case NONE -> { }
        case RELU -> relu(y, off, y, off, n);
        case RELU6 -> relu6(y, off, y, off, n);
        case SIGMOID -> sigmoid(y, off, y, off, n);
        case TANH -> tanh(y, off, y, off, n);
        case SILU -> silu(y, off, y, off, n);
        default -> throw new IllegalStateException(name());
      }
    }

    /**
     * Whether f never decreases, so that f(max(a, b) + c) = max(f(a + c), f(b + c)): every kind but SiLU (listed,
     * so that a kind added later is not taken for monotone).
     */
    public boolean isMonotone() {
      return this == NONE || this == RELU || this == RELU6 || this == SIGMOID || this == TANH;
    }

    /**
     * Whether the derivative comes from the activation's input alone, so a layer that can recompute that input
     * (batch norm, from its own input and statistics) may run the activation inside its passes in training.
     */
    public boolean backwardFromInput() {
      return this == RELU || this == RELU6 || this == SILU;
    }

    /** dx = f'(x) dy for an activation whose {@link #backwardFromInput derivative comes from its input}. */
    public void backward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
      switch (this) {
        case RELU -> reluBackward(x, xOff, dy, dyOff, dx, dxOff, n);
        case RELU6 -> relu6Backward(x, xOff, dy, dyOff, dx, dxOff, n);
        case SILU -> siluBackward(x, xOff, dy, dyOff, dx, dxOff, n);
        default -> throw new IllegalStateException(name() + ": its derivative needs the output");
      }
    }
  }

  public static void relu(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.max(x[xOff + i], 0f);
    }
  }

  /**
   * y = max(a + b, 0), or min(max(a + b, 0), 6) when six: a residual sum and the ReLU (ReLU6) after it in one
   * pass, the floats the two passes give (the sum rounded, then clamped the same way).
   */
  public static void sumClamped(float[] a, int aOff, float[] b, int bOff, boolean six, float[] y, int yOff, int n) {
    int i = Simd.AVAILABLE ? ElementwiseVectorKernel.sumClamped(a, aOff, b, bOff, six, y, yOff, n) : 0;
    if (six) {
      for (; i < n; i++) {
        y[yOff + i] = Math.min(Math.max(a[aOff + i] + b[bOff + i], 0f), 6f);
      }
    } else {
      for (; i < n; i++) {
        y[yOff + i] = Math.max(a[aOff + i] + b[bOff + i], 0f);
      }
    }
  }

  /** dx = dy where x > 0 (the subgradient 0 at x = 0). */
  public static void reluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    if (Simd.AVAILABLE) {
      ElementwiseVectorKernel.reluBackward(x, xOff, dy, dyOff, dx, dxOff, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] = x[xOff + i] > 0f ? dy[dyOff + i] : 0f;
    }
  }

  /** min(max(x, 0), 6): MobileNet v2's activation. */
  public static void relu6(float[] x, int xOff, float[] y, int yOff, int n) {
    if (Simd.AVAILABLE) {
      ElementwiseVectorKernel.relu6(x, xOff, y, yOff, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.min(Math.max(x[xOff + i], 0f), 6f);
    }
  }

  public static void relu6Backward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    if (Simd.AVAILABLE) {
      ElementwiseVectorKernel.relu6Backward(x, xOff, dy, dyOff, dx, dxOff, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      dx[dxOff + i] = v > 0f && v < 6f ? dy[dyOff + i] : 0f;
    }
  }

  public static void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = sigmoid(x[xOff + i]);
    }
  }

  /** 1 / (1 + exp(-v)) in float, the same floats as {@link ElementwiseVectorKernel#sigmoid}'s lanes. */
  static float sigmoid(float v) {
    return 1f / (exp(-v) + 1f);
  }

  // exp's constants (Cephes' expf): ln 2 split in two so that x - k ln 2 is rounded once, and the polynomial
  // for (exp(r) - 1 - r) / r^2 on [-ln 2 / 2, ln 2 / 2].
  static final float LOG2E = 1.44269504f;
  /** 1.5 * 2^23 + 127: adding it rounds to an integer k whose low bits, shifted into an exponent, are 2^k. */
  static final float ROUND = 12582912f + 127f;
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float P0 = 1.9875691500e-4f;
  static final float P1 = 1.3981999507e-3f;
  static final float P2 = 8.3334519073e-3f;
  static final float P3 = 4.1665795894e-2f;
  static final float P4 = 1.6666665459e-1f;
  static final float P5 = 5.0000001201e-1f;
  /** Above it 2^k would leave the float exponents: +Infinity (exp overflows at 88.72). */
  static final float EXP_HI = 88.37f;
  /** Below it 2^k would be subnormal: 0 (exp is under 1.2e-38 there). */
  static final float EXP_LO = -87.33f;

  /**
   * exp(x) in float to about one ulp, from additions, multiplications and fused multiply-adds only, each
   * correctly rounded, so that it gives the same floats interpreted, compiled and in {@link
   * ElementwiseVectorKernel#exp}'s lanes, which repeat these steps. (The Vector API's own EXP does not: Java 17
   * computes it with Math.exp per lane until C2 compiles it into an SVML call, and the two differ in the last
   * bit.) x = k ln 2 + r, exp(x) = 2^k exp(r).
   */
  static float exp(float x) {
    if (x > EXP_HI) {
      return Float.POSITIVE_INFINITY;
    }
    if (x < EXP_LO) {
      return 0f;
    }
    float t = Math.fma(x, LOG2E, ROUND);
    float k = t - ROUND;
    float r = Math.fma(k, -LN2_LO, Math.fma(k, -LN2_HI, x));
    float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5);
    float e = Math.fma(p, r * r, r) + 1f;
    return e * Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
  }

  /** From the output y: dx = dy y (1 - y). */
  public static void sigmoidBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      float s = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * s * (1f - s);
    }
  }

  public static void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  /** From the output y: dx = dy (1 - y^2). */
  public static void tanhBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    for (int i = 0; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] = dy[dyOff + i] * (1f - t * t);
    }
  }

  /** SiLU / swish: x sigmoid(x) (EfficientNet's activation). */
  public static void silu(float[] x, int xOff, float[] y, int yOff, int n) {
    if (Simd.AVAILABLE) {
      ElementwiseVectorKernel.silu(x, xOff, y, yOff, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * sigmoid(v);
    }
  }

  /** From the input x: dx = dy s (1 + x (1 - s)), s = sigmoid(x). */
  public static void siluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
    if (Simd.AVAILABLE) {
      ElementwiseVectorKernel.siluBackward(x, xOff, dy, dyOff, dx, dxOff, n);
      return;
    }
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] = siluGradient(x[xOff + i], dy[dyOff + i]);
    }
  }

  /** SiLU's gradient at its input z: dy s (1 + z (1 - s)), s = sigmoid(z) (the scalar loops and tails). */
  static float siluGradient(float z, float dy) {
    float s = sigmoid(z);
    return dy * s * (1f + z * (1f - s));
  }
}
