package sparkcnn.kernels;

/**
 * Direct seven-loop convolution in double precision: the oracle for every fast convolution path in the tests
 * and the baseline of {@code bench}'s naive_ratio. Same operands and accumulate rules as {@link Conv2dKernels}.
 */
public final class Conv2dNaive {
  private Conv2dNaive() {}

  public static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float[] y, int yOff,
      ConvGeom g) {
    for (int n = 0; n < g.n(); n++) {
      for (int k = 0; k < g.k(); k++) {
        int gi = k / g.kg();
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++) {
            double s = b == null ? 0 : b[bOff + k];
            for (int c = 0; c < g.cg(); c++) {
              for (int r = 0; r < g.r(); r++) {
                int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
                if (ih < 0 || ih >= g.h()) {
                  continue;
                }
                for (int t = 0; t < g.s(); t++) {
                  int iw = q * g.strideW() - g.padLeft() + t * g.dilationW();
                  if (iw >= 0 && iw < g.w()) {
                    s += (double) x[xOff + xIndex(g, n, gi * g.cg() + c, ih, iw)]
                        * w[wOff + ((k * g.cg() + c) * g.r() + r) * g.s() + t];
                  }
                }
              }
            }
            y[yOff + ((n * g.k() + k) * g.p() + p) * g.q() + q] = (float) s;
          }
        }
      }
    }
  }

  /** Overwrites dx. */
  public static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    double[] acc = new double[g.inputSize()];
    visit(g, (n, k, c, p, q, r, t, ih, iw) -> acc[xIndex(g, n, c, ih, iw)] +=
        (double) dy[dyOff + ((n * g.k() + k) * g.p() + p) * g.q() + q]
            * w[wOff + ((k * g.cg() + c % g.cg()) * g.r() + r) * g.s() + t]);
    for (int i = 0; i < acc.length; i++) {
      dx[dxOff + i] = (float) acc[i];
    }
  }

  /** Accumulates into dw. */
  public static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    double[] acc = new double[g.weightSize()];
    visit(g, (n, k, c, p, q, r, t, ih, iw) -> acc[((k * g.cg() + c % g.cg()) * g.r() + r) * g.s() + t] +=
        (double) dy[dyOff + ((n * g.k() + k) * g.p() + p) * g.q() + q] * x[xOff + xIndex(g, n, c, ih, iw)]);
    for (int i = 0; i < acc.length; i++) {
      dw[dwOff + i] += (float) acc[i];
    }
  }

  private static int xIndex(ConvGeom g, int n, int c, int ih, int iw) {
    return ((n * g.c() + c) * g.h() + ih) * g.w() + iw;
  }

  @FunctionalInterface
  private interface Tap {
    void run(int n, int k, int c, int p, int q, int r, int t, int ih, int iw);
  }

  /** Every (output position, in-bounds filter tap) pair; c is the absolute input channel. */
  private static void visit(ConvGeom g, Tap tap) {
    for (int n = 0; n < g.n(); n++) {
      for (int k = 0; k < g.k(); k++) {
        int gi = k / g.kg();
        for (int p = 0; p < g.p(); p++) {
          for (int q = 0; q < g.q(); q++) {
            for (int c = gi * g.cg(); c < (gi + 1) * g.cg(); c++) {
              for (int r = 0; r < g.r(); r++) {
                int ih = p * g.strideH() - g.padTop() + r * g.dilationH();
                for (int t = 0; t < g.s(); t++) {
                  int iw = q * g.strideW() - g.padLeft() + t * g.dilationW();
                  if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                    tap.run(n, k, c, p, q, r, t, ih, iw);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
