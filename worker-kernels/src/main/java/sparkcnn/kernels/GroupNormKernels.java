package sparkcnn.kernels;

/**
 * Group normalization (Wu and He, 2018): statistics per image over (C / groups, H, W), then a per-channel
 * affine gamma, beta. Layer norm is one group (statistics over the whole (C, H, W) of an image) and instance
 * norm is one channel per group. Unlike batch norm it behaves the same in training and inference.
 * x (N, C, H, W); y and dx overwritten; dgamma, dbeta accumulate; mean and invStd (N groups) saved for backward.
 */
public final class GroupNormKernels {
  private GroupNormKernels() {}

  public static void forward(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff, float[] y,
      int yOff, int n, int c, int hw, int groups, float eps, float[] saveMean, float[] saveInvStd) {
    if (groups <= 0 || c % groups != 0) {
      throw new IllegalArgumentException("group norm: " + groups + " groups must divide " + c + " channels");
    }
    ConvGeom.operand("group norm", "x", new int[] {n, c, hw}, x, xOff);
    ConvGeom.operand("group norm", "y", new int[] {n, c, hw}, y, yOff);
    int cpg = c / groups;
    int m = cpg * hw;
    Parallel.forRange(n * groups, (lo, hi, t) -> {
      for (int ng = lo; ng < hi; ng++) {
        int o = ng * m;
        double s = 0;
        double s2 = 0;
        for (int j = o; j < o + m; j++) {
          float v = x[xOff + j];
          s += v;
          s2 += (double) v * v;
        }
        double mean = s / m;
        float inv = (float) (1 / Math.sqrt(Math.max(0, s2 / m - mean * mean) + eps));
        saveMean[ng] = (float) mean;
        saveInvStd[ng] = inv;
        int c0 = (ng % groups) * cpg;
        for (int cc = 0; cc < cpg; cc++) {
          float scale = gamma[gammaOff + c0 + cc] * inv;
          float shift = beta[betaOff + c0 + cc] - (float) mean * scale;
          int po = o + cc * hw;
          for (int j = po; j < po + hw; j++) {
            y[yOff + j] = x[xOff + j] * scale + shift;
          }
        }
      }
    });
  }

  /** dx = invStd / M (M g - sum g - xhat sum g xhat) with g = dy gamma over each (image, group) of M elements. */
  public static void backward(float[] x, int xOff, float[] dy, int dyOff, float[] gamma, int gammaOff,
      float[] saveMean, float[] saveInvStd, float[] dx, int dxOff, float[] dgamma, int dgammaOff, float[] dbeta,
      int dbetaOff, int n, int c, int hw, int groups) {
    int cpg = c / groups;
    int m = cpg * hw;
    // Parameter gradients per channel (sums over images), then dx per (image, group): no shared writes.
    Parallel.forRange(c, (lo, hi, t) -> {
      for (int ch = lo; ch < hi; ch++) {
        double sdy = 0;
        double sdyx = 0;
        for (int i = 0; i < n; i++) {
          int ng = i * groups + ch / cpg;
          int o = (i * c + ch) * hw;
          for (int j = o; j < o + hw; j++) {
            float d = dy[dyOff + j];
            sdy += d;
            sdyx += d * (x[xOff + j] - saveMean[ng]) * saveInvStd[ng];
          }
        }
        dgamma[dgammaOff + ch] += (float) sdyx;
        dbeta[dbetaOff + ch] += (float) sdy;
      }
    });
    Parallel.forRange(n * groups, (lo, hi, t) -> {
      for (int ng = lo; ng < hi; ng++) {
        int o = ng * m;
        int c0 = (ng % groups) * cpg;
        float mean = saveMean[ng];
        float inv = saveInvStd[ng];
        double sg = 0;
        double sgx = 0;
        for (int cc = 0; cc < cpg; cc++) {
          float gm = gamma[gammaOff + c0 + cc];
          for (int j = o + cc * hw; j < o + (cc + 1) * hw; j++) {
            float gj = dy[dyOff + j] * gm;
            sg += gj;
            sgx += gj * (x[xOff + j] - mean) * inv;
          }
        }
        float a = (float) sg;
        float b = (float) sgx;
        for (int cc = 0; cc < cpg; cc++) {
          float gm = gamma[gammaOff + c0 + cc];
          for (int j = o + cc * hw; j < o + (cc + 1) * hw; j++) {
            float xhat = (x[xOff + j] - mean) * inv;
            dx[dxOff + j] = inv / m * (m * dy[dyOff + j] * gm - a - xhat * b);
          }
        }
      }
    });
  }
}
