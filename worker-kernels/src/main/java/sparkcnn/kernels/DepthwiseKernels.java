package sparkcnn.kernels;

/**
 * Depthwise convolution (groups = C = K): one R x S filter per channel, applied directly rather than through
 * im2col, whose GEMM would have a single row. Undilated filters take the row-streaming kernels
 * ({@link DepthwiseRows}, at memory speed); dilated ones the tap-by-tap reference ({@link DepthwiseReference}).
 * Operands as in {@link Conv2dKernels}; no bias here.
 */
public final class DepthwiseKernels {
  private DepthwiseKernels() {}

  /** y = depthwise(x, w), overwriting y. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    if (DepthwiseRows.applies(g)) {
      DepthwiseRows.forward(x, xOff, w, wOff, y, yOff, g);
    } else {
      DepthwiseReference.forward(x, xOff, w, wOff, y, yOff, g);
    }
  }

  /** dx = adjoint of forward applied to dy, overwriting dx. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    if (DepthwiseRows.applies(g)) {
      DepthwiseRows.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
    } else {
      DepthwiseReference.backwardInput(dy, dyOff, w, wOff, dx, dxOff, g);
    }
  }

  /** dw += dL/dw. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    if (DepthwiseRows.applies(g)) {
      DepthwiseRows.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
    } else {
      DepthwiseReference.backwardWeights(x, xOff, dy, dyOff, dw, dwOff, g);
    }
  }
}
