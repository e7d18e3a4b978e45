package sparkcnn.kernels;

/**
 * Transposed ("fractionally strided") 2D convolution: the adjoint of a convolution. Input x (N, Cin, H, W),
 * weights w (Cin, Cout/groups, R, S) as in PyTorch, output (N, Cout, Hout, Wout) with
 * Hout = (H - 1) stride - padTop - padBottom + D (R - 1) + outputPadding + 1. Its forward is that convolution's
 * backwardInput and its backwardInput is that convolution's forward, so it reuses every path of
 * {@link Conv2dKernels}. U-Net's up path uses it.
 */
public final class ConvTranspose2dKernels {
  private ConvTranspose2dKernels() {}

  /**
   * The convolution this layer is the adjoint of: its input is our output (N, Cout, Hout, Wout) and its output
   * is our input (N, Cin, H, W). outputPadding must be smaller than stride (or dilation).
   */
  public static ConvGeom geom(int n, int cin, int h, int w, int cout, int r, int s, int stride, int pad, int dilation,
      int outputPadding, int groups) {
    if (outputPadding < 0 || outputPadding >= Math.max(stride, dilation)) {
      throw new IllegalArgumentException("conv_transpose2d: output padding " + outputPadding
          + " must be non-negative and smaller than stride " + stride + " or dilation " + dilation);
    }
    int hout = (h - 1) * stride - 2 * pad + dilation * (r - 1) + outputPadding + 1;
    int wout = (w - 1) * stride - 2 * pad + dilation * (s - 1) + outputPadding + 1;
    if (hout <= 0 || wout <= 0) {
      throw new IllegalArgumentException("conv_transpose2d: input " + Shape.show(n, cin, h, w) + " with kernel " + r
          + "x" + s + ", stride " + stride + ", padding " + pad + " gives an empty output " + hout + "x" + wout);
    }
    // The extra outputPadding rows and columns sit past the last full window: the convolution's floor division
    // ignores them, so its padding stays symmetric.
    ConvGeom g = new ConvGeom(n, cout, hout, wout, cin, r, s, stride, stride, pad, pad, pad, pad, dilation, dilation,
        groups);
    if (g.p() != h || g.q() != w) {
      throw new IllegalStateException("conv_transpose2d geometry does not invert: " + g);
    }
    return g;
  }

  /** y (N, Cout, Hout, Wout) = transposed conv of x (N, Cin, H, W), plus b (Cout) if not null. */
  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g) {
    Conv2dKernels.backwardInput(x, xOff, w, wOff, y, yOff, g);
    if (b != null) {
      ConvGeom.operand("conv_transpose2d forward", "b", new int[] {g.c()}, b, bOff);
      Conv2dKernels.addPerChannel(b, bOff, y, yOff, g.n(), g.c(), g.h() * g.w());
    }
  }

  /** dx (N, Cin, H, W), overwritten. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Conv2dKernels.forward(dy, dyOff, w, wOff, null, 0, dx, dxOff, g);
  }

  /** dw += dL/dw for input x (N, Cin, H, W) and output gradient dy (N, Cout, Hout, Wout). */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Conv2dKernels.backwardWeights(dy, dyOff, x, xOff, dw, dwOff, g);
  }

  /** db (Cout) += sum of dy over images and pixels. */
  public static void backwardBias(float[] dy, int dyOff, float[] db, int dbOff, ConvGeom g) {
    Conv2dKernels.sumPlanes(dy, dyOff, g.n(), g.c(), g.h() * g.w(), db, dbOff);
  }
}
