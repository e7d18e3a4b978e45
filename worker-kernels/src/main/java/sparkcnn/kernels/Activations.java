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

  static float sigmoid(float v) {
    return (float) (1 / (1 + Math.exp(-v)));
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
