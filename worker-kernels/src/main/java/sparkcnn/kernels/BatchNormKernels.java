package sparkcnn.kernels;

/**
 * Batch normalization per channel over (N, H, W) of x (N, C, H, W) (Ioffe and Szegedy, 2015). Training uses
 * the batch's mean and biased variance and moves the running averages: running = (1 - momentum) running +
 * momentum batch, with the unbiased variance, as PyTorch does. Inference uses the running statistics. The
 * statistics step is separate so a distributed trainer can combine per-replica sums before normalizing.
 * Channels run in parallel; y and dx are overwritten, dgamma and dbeta accumulate.
 */
public final class BatchNormKernels {
  private BatchNormKernels() {}

  /**
   * Per channel: sum[c] = sum of x, sumSq[c] = sum of x^2 over (N, H, W) (overwritten), in double (with the
   * Vector API plane by plane in memory order on large planes, {@link BatchNormPlanes}, else image by image over
   * blocks of channels, {@link BatchNormBlocks}; without it, channel by channel).
   */
  public static void sums(float[] x, int xOff, int n, int c, int hw, double[] sum, double[] sumSq) {
    ConvGeom.operand("batch norm", "x", new int[] {n, c, hw}, x, xOff);
    if (Simd.AVAILABLE && BatchNormPlanes.applies(n, c, hw)) {
      BatchNormPlanes.sums(x, xOff, n, c, hw, sum, sumSq);
      return;
    }
    if (Simd.AVAILABLE) {
      forBlocks(c, hw, (c0, c1) -> BatchNormBlocks.sums(x, xOff, n, c, hw, c0, c1, sum, sumSq));
      return;
    }
    Parallel.forRange(c, (lo, hi, t) -> {
      for (int ch = lo; ch < hi; ch++) {
        double[] sums = new double[2];
        for (int i = 0; i < n; i++) {
          int o = xOff + (i * c + ch) * hw;
          for (int j = o; j < o + hw; j++) {
            sums[0] += x[j];
            sums[1] += (double) x[j] * x[j];
          }
        }
        sum[ch] = sums[0];
        sumSq[ch] = sums[1];
      }
    });
  }

  /**
   * Training forward: batch statistics, y = gamma (x - mean) / sqrt(var + eps) + beta, running statistics
   * updated, and the batch mean and 1 / sqrt(var + eps) saved for backward.
   */
  public static void trainForward(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff,
      float[] y, int yOff, int n, int c, int hw, float eps, float momentum, float[] runMean, int meanOff,
      float[] runVar, int varOff, float[] saveMean, float[] saveInvStd) {
    trainForward(x, xOff, gamma, gammaOff, beta, betaOff, y, yOff, n, c, hw, eps, momentum, runMean, meanOff, runVar,
        varOff, saveMean, saveInvStd, Activations.Fn.NONE);
  }

  /**
   * Training forward with the activation that follows applied in the same pass: y = act(batch norm(x)). Its
   * backward is {@link #backward(float[], int, float[], int, float[], int, float[], int, float[], float[],
   * Activations.Fn, float[], int, float[], int, float[], int, int, int, int) backward with the same act}.
   */
  public static void trainForward(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff,
      float[] y, int yOff, int n, int c, int hw, float eps, float momentum, float[] runMean, int meanOff,
      float[] runVar, int varOff, float[] saveMean, float[] saveInvStd, Activations.Fn act) {
    requireFusable(act);
    double[] sum = new double[c];
    double[] sumSq = new double[c];
    sums(x, xOff, n, c, hw, sum, sumSq);
    long m = (long) n * hw;
    for (int ch = 0; ch < c; ch++) {
      double mean = sum[ch] / m;
      double var = Math.max(0, sumSq[ch] / m - mean * mean);
      saveMean[ch] = (float) mean;
      saveInvStd[ch] = (float) (1 / Math.sqrt(var + eps));
      runMean[meanOff + ch] = (1 - momentum) * runMean[meanOff + ch] + momentum * (float) mean;
      runVar[varOff + ch] = (1 - momentum) * runVar[varOff + ch]
          + momentum * (float) (m > 1 ? var * m / (m - 1) : var);
    }
    normalize(x, xOff, gamma, gammaOff, beta, betaOff, saveMean, 0, saveInvStd, y, yOff, n, c, hw, act);
  }

  /** Inference forward with the running statistics. */
  public static void inferForward(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff,
      float[] y, int yOff, int n, int c, int hw, float eps, float[] runMean, int meanOff, float[] runVar, int varOff) {
    inferForward(x, xOff, gamma, gammaOff, beta, betaOff, y, yOff, n, c, hw, eps, runMean, meanOff, runVar, varOff,
        Activations.Fn.NONE);
  }

  /**
   * Inference with the activation after the norm applied in the same pass (ReLU and ReLU6 in registers, others
   * to each run while it is in cache): one pass over memory instead of two, for the batch norms the inference
   * graph leaves unfolded (pre-activation ResNets, DenseNets).
   */
  public static void inferForward(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff,
      float[] y, int yOff, int n, int c, int hw, float eps, float[] runMean, int meanOff, float[] runVar, int varOff,
      Activations.Fn act) {
    float[] inv = new float[c];
    for (int ch = 0; ch < c; ch++) {
      inv[ch] = (float) (1 / Math.sqrt(runVar[varOff + ch] + eps));
    }
    normalize(x, xOff, gamma, gammaOff, beta, betaOff, runMean, meanOff, inv, y, yOff, n, c, hw, act);
  }

  /** y = act(gamma (x - mean) invStd + beta) per channel. */
  static void normalize(float[] x, int xOff, float[] gamma, int gammaOff, float[] beta, int betaOff, float[] mean,
      int mOff, float[] invStd, float[] y, int yOff, int n, int c, int hw, Activations.Fn act) {
    ConvGeom.operand("batch norm", "y", new int[] {n, c, hw}, y, yOff);
    float[][] affine = affine(gamma, gammaOff, beta, betaOff, mean, mOff, invStd, c);
    if (Simd.AVAILABLE && BatchNormPlanes.applies(n, c, hw)) {
      BatchNormPlanes.scaleShift(x, xOff, affine[0], affine[1], act, y, yOff, n, c, hw);
      return;
    }
    if (Simd.AVAILABLE) {
      forBlocks(c, hw, (c0, c1) ->
          BatchNormBlocks.scaleShift(x, xOff, affine[0], affine[1], act, y, yOff, n, c, hw, c0, c1));
      return;
    }
    scaleShiftPlanes(x, xOff, affine, y, yOff, n, c, hw);
    act.apply(y, yOff, n * c * hw);
  }

  /** {scale, shift} per channel: y = x scale + shift is gamma (x - mean) invStd + beta. */
  private static float[][] affine(float[] gamma, int gammaOff, float[] beta, int betaOff, float[] mean, int mOff,
      float[] invStd, int c) {
    float[] scale = new float[c];
    float[] shift = new float[c];
    for (int ch = 0; ch < c; ch++) {
      scale[ch] = gamma[gammaOff + ch] * invStd[ch];
      shift[ch] = beta[betaOff + ch] - mean[mOff + ch] * scale[ch];
    }
    return new float[][] {scale, shift};
  }

  /** The scalar path's y = x scale + shift, plane by plane. */
  private static void scaleShiftPlanes(float[] x, int xOff, float[][] affine, float[] y, int yOff, int n, int c,
      int hw) {
    Parallel.forRange(c, (lo, hi, t) -> {
      for (int ch = lo; ch < hi; ch++) {
        float scale = affine[0][ch];
        float shift = affine[1][ch];
        for (int i = 0; i < n; i++) {
          int o = (i * c + ch) * hw;
          for (int j = 0; j < hw; j++) {
            y[yOff + o + j] = x[xOff + o + j] * scale + shift;
          }
        }
      }
    });
  }

  /**
   * Training backward with the saved batch statistics: dgamma += sum dy xhat, dbeta += sum dy, and
   * dx = gamma invStd / M (M dy - sum dy - xhat sum dy xhat), M = N H W.
   */
  public static void backward(float[] x, int xOff, float[] dy, int dyOff, float[] gamma, int gammaOff,
      float[] saveMean, float[] saveInvStd, float[] dx, int dxOff, float[] dgamma, int dgammaOff, float[] dbeta,
      int dbetaOff, int n, int c, int hw) {
    backward(x, xOff, dy, dyOff, gamma, gammaOff, null, 0, saveMean, saveInvStd, Activations.Fn.NONE, dx, dxOff,
        dgamma, dgammaOff, dbeta, dbetaOff, n, c, hw);
  }

  /**
   * Backward of {@link #trainForward(float[], int, float[], int, float[], int, float[], int, int, int, int, float,
   * float, float[], int, float[], int, float[], float[], Activations.Fn) y = act(batch norm(x))}, dy at y: the
   * activation's input is recomputed from x and the saved statistics (beta is needed for that; it may be null
   * without an activation), whose derivative {@link Activations.Fn#backwardFromInput must come from it}. dx may
   * be dy itself but must not overlap x: with an activation, the first pass writes dx before the second reads x.
   */
  public static void backward(float[] x, int xOff, float[] dy, int dyOff, float[] gamma, int gammaOff, float[] beta,
      int betaOff, float[] saveMean, float[] saveInvStd, Activations.Fn act, float[] dx, int dxOff, float[] dgamma,
      int dgammaOff, float[] dbeta, int dbetaOff, int n, int c, int hw) {
    long m = (long) n * hw;
    requireFusable(act);
    float[][] affine = act == Activations.Fn.NONE ? null
        : affine(gamma, gammaOff, beta, betaOff, saveMean, 0, saveInvStd, c);
    if (!Simd.AVAILABLE && affine != null) {
      // The scalar path: the activation's input and the gradient there as whole tensors, then as without it.
      float[] z = new float[n * c * hw];
      scaleShiftPlanes(x, xOff, affine, z, 0, n, c, hw);
      act.backward(z, 0, dy, dyOff, z, 0, z.length);
      backward(x, xOff, z, 0, gamma, gammaOff, saveMean, saveInvStd, dx, dxOff, dgamma, dgammaOff, dbeta, dbetaOff,
          n, c, hw);
      return;
    }
    // With an activation, the first pass leaves the gradient at its input in dx, which the second reads.
    float[] dz = affine == null ? dy : dx;
    int dzOff = affine == null ? dyOff : dxOff;
    if (Simd.AVAILABLE) {
      double[] sdy = new double[c];
      double[] sdyxc = new double[c];
      float[] p = new float[c];
      float[] q = new float[c];
      float[] r = new float[c];
      if (BatchNormPlanes.applies(n, c, hw)) {
        BatchNormPlanes.dySums(x, xOff, dy, dyOff, saveMean, act, affine == null ? null : affine[0],
            affine == null ? null : affine[1], dx, dxOff, n, c, hw, sdy, sdyxc);
        gradientFactors(0, c, m, saveInvStd, gamma, gammaOff, sdy, sdyxc, dgamma, dgammaOff, dbeta, dbetaOff, p, q,
            r);
        BatchNormPlanes.inputGradient(x, xOff, dz, dzOff, saveMean, p, q, r, dx, dxOff, n, c, hw);
        return;
      }
      BatchNormBlocks.FusedActivation fused = affine == null ? BatchNormBlocks.FusedActivation.NONE
          : new BatchNormBlocks.FusedActivation(act, affine[0], affine[1]);
      forBlocks(c, hw, (c0, c1) -> {
        BatchNormBlocks.dySums(x, xOff, dy, dyOff, saveMean, fused, dx, dxOff, n, c, hw, c0, c1, sdy, sdyxc);
        gradientFactors(c0, c1, m, saveInvStd, gamma, gammaOff, sdy, sdyxc, dgamma, dgammaOff, dbeta, dbetaOff, p,
            q, r);
        BatchNormBlocks.inputGradient(x, xOff, dz, dzOff, saveMean, p, q, r, dx, dxOff, n, c, hw, c0, c1);
      });
      return;
    }
    Parallel.forRange(c, (lo, hi, t) -> {
      for (int ch = lo; ch < hi; ch++) {
        float mean = saveMean[ch];
        float inv = saveInvStd[ch];
        double[] sums = new double[2]; // sum dy, sum dy (x - mean)
        for (int i = 0; i < n; i++) {
          int o = (i * c + ch) * hw;
          for (int j = 0; j < hw; j++) {
            float d = dy[dyOff + o + j];
            sums[0] += d;
            sums[1] += d * (x[xOff + o + j] - mean);
          }
        }
        double sdy = sums[0];
        double sdyx = sums[1] * inv;
        dgamma[dgammaOff + ch] += (float) sdyx;
        dbeta[dbetaOff + ch] += (float) sdy;
        float k = gamma[gammaOff + ch] * inv / m;
        float a = (float) sdy;
        float b = (float) sdyx;
        for (int i = 0; i < n; i++) {
          int o = (i * c + ch) * hw;
          for (int j = 0; j < hw; j++) {
            float xhat = (x[xOff + o + j] - mean) * inv;
            dx[dxOff + o + j] = k * (m * dy[dyOff + o + j] - a - xhat * b);
          }
        }
      }
    });
  }


  /**
   * For channels c0..c1, from the sums of dy and dy (x - mean): dgamma and dbeta accumulated, and the factors of
   * dx = p dy + q + r (x - mean), that is k (m dy - sum dy - xhat sum dy xhat) with k = gamma invStd / m and
   * xhat = (x - mean) invStd.
   */
  private static void gradientFactors(int c0, int c1, long m, float[] invStd, float[] gamma, int gammaOff,
      double[] sdy, double[] sdyxc, float[] dgamma, int dgammaOff, float[] dbeta, int dbetaOff, float[] p, float[] q,
      float[] r) {
    for (int ch = c0; ch < c1; ch++) {
      float inv = invStd[ch];
      double sdyx = sdyxc[ch] * inv;
      dgamma[dgammaOff + ch] += (float) sdyx;
      dbeta[dbetaOff + ch] += (float) sdy[ch];
      float k = gamma[gammaOff + ch] * inv / m;
      p[ch] = k * m;
      q[ch] = -k * (float) sdy[ch];
      r[ch] = -k * (float) sdyx * inv;
    }
  }

  private static void requireFusable(Activations.Fn act) {
    if (act != Activations.Fn.NONE && !act.backwardFromInput()) {
      throw new IllegalArgumentException("batch norm: cannot run " + act + " inside its passes (its derivative"
          + " needs its output)");
    }
  }

  /** Floats per image in a block of channels: the run and its spread factors stay in L1 while the images go by. */
  private static final int BLOCK_FLOATS = 512;

  /** Channels per block for planes of hw floats (at least one). */
  static int channelsPerBlock(int hw) {
    return Math.max(1, BLOCK_FLOATS / hw);
  }

  private interface ChannelBlock {
    void run(int c0, int c1);
  }

  /**
   * Runs the blocks of channels (of {@link #channelsPerBlock}) in parallel. With the Vector API the passes over
   * planes that {@link BatchNormPlanes} does not take go image by image over such blocks ({@link BatchNormBlocks}):
   * small planes (2x2 to 8x8 late in the efficient nets) stay in full vectors, where plane-by-plane loops spent
   * more on each plane's loop set-up, lane reductions and tail than on its floats (2.4-4x slower there). Against
   * the plane loops with factor arrays they replaced, 16x16 to 32x32 planes ran 1.2-1.5x faster in blocks too;
   * the plane passes with the factors and sums in registers now run those 2-3.5x faster than the blocks.
   */
  private static void forBlocks(int c, int hw, ChannelBlock body) {
    int per = channelsPerBlock(hw);
    int blocks = (c + per - 1) / per;
    Parallel.forRange(blocks, (lo, hi, t) -> {
      for (int b = lo; b < hi; b++) {
        body.run(b * per, Math.min(c, (b + 1) * per));
      }
    });
  }

  /**
   * Folds an inference-mode batch norm into the convolution before it: w' = w gamma / sqrt(var + eps) per output
   * channel, b' = (b - mean) gamma / sqrt(var + eps) + beta. w (K, perChannel) and b (K, or null for no bias)
   * are read; wOut and bOut (may alias w and b) are written.
   */
  public static void foldIntoConv(float[] w, int wOff, float[] b, int bOff, int k, int perChannel,
      float[] gamma, int gammaOff, float[] beta, int betaOff, float[] runMean, int meanOff, float[] runVar, int varOff,
      float eps, float[] wOut, int wOutOff, float[] bOut, int bOutOff) {
    for (int ch = 0; ch < k; ch++) {
      float scale = (float) (gamma[gammaOff + ch] / Math.sqrt(runVar[varOff + ch] + eps));
      for (int j = 0; j < perChannel; j++) {
        wOut[wOutOff + ch * perChannel + j] = w[wOff + ch * perChannel + j] * scale;
      }
      float bias = b == null ? 0f : b[bOff + ch];
      bOut[bOutOff + ch] = (bias - runMean[meanOff + ch]) * scale + beta[betaOff + ch];
    }
  }
}
