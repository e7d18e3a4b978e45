package sparkcnn.kernels;

/**
 * 1D convolution over sequences x (N, C, L), w (K, C/groups, S), y (N, K, Lout): a 2D convolution of height
 * one, so it shares every fast path (pointwise, depthwise, im2col + GEMM) of {@link Conv2dKernels}.
 */
public final class Conv1dKernels {
  private Conv1dKernels() {}

  /** The 2D geometry of a 1D convolution; Lout is its q(). */
  public static ConvGeom geom(int n, int c, int length, int k, int kernel, int stride, int padLeft, int padRight,
      int dilation, int groups) {
    return new ConvGeom(n, c, 1, length, k, 1, kernel, 1, stride, 0, padLeft, 0, padRight, 1, dilation, groups);
  }

  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g) {
    Conv2dKernels.forward(x, xOff, w, wOff, b, bOff, y, yOff, g);
  }

  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Conv2dKernels.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
  }

  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Conv2dKernels.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
  }
}
