package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch norm's passes over large planes ({@link #applies}: 16x16 and up, 7x7 in large tensors; the early stages
 * of MobileNet and EfficientNet), plane by plane in memory order, the channel's factors and the sums in registers.
 *
 * <p>{@link BatchNormBlocks} walks a block of channels down the images: one plane of every image in turn, each
 * a few KB at the tensor's image stride, through per-position factor and partial-sum arrays. On planes this large
 * that walk ran at a third of the read bandwidth (8-10 GB/s on 64 x 96 x 32x32, one thread, AMD EPYC): each
 * plane starts a new page the prefetcher has not seen, and the arrays' loads and stores leave few misses in
 * flight. Here each thread streams its range of planes in order.
 *
 * <p>Sums are kept in float lanes over runs of {@link #CHUNK} floats (64 values per lane with 16 lanes), reduced
 * across the lanes, each run's total added to its plane's in double, and the planes' totals to their channel's in
 * image order: the same figures on any number of threads. They are not the blocks' figures (those keep a float
 * partial per position over at most 32 images), and the sum of squares, from which the variance is E[x^2] -
 * mean^2, carries a few times the blocks' rounding where the mean is large against the spread. Across lanes
 * the reduction's order is the Vector API's, sequential on x86 with this JDK. Only loaded when
 * {@link Simd#AVAILABLE}.
 */
final class BatchNormPlanes {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Floats summed in float lanes before the total goes into double. */
  private static final int CHUNK = 1024;

  private BatchNormPlanes() {}

  /**
   * Whether n images of c planes of hw floats take these passes rather than the blocks': planes of 256 floats and
   * up, and of 48 and up in tensors of {@link #LARGE_TENSOR} bytes and more. Measured on a 2-core AMD EPYC (1 MB
   * L2, 16 lanes), one thread, training forward and backward, 64 images unless said: 2-3.5x faster on 16x16 and
   * 32x32 planes however small the tensor (8 x 96 x 32x32, 64 x 16 x 16x16); on 8x8 and 7x7, 1.3-2.1x faster in
   * tensors of 4 to 12 MB (320 to 960 channels), 0.8x in 3 MB ones; 0.6x on 6x6 planes, about 0.5x on 4x4 (a
   * plane of one vector pays a reduction across lanes for each vector of data). The bound is a fixed size, not
   * one derived from this machine's L2, so that the choice, and so the figures, do not change with the cache.
   */
  static boolean applies(int n, int c, int hw) {
    return hw >= 256 || (hw >= 48 && 4L * n * c * hw >= LARGE_TENSOR);
  }

  /** Four times the L2 of the machine the rule was measured on. */
  static final long LARGE_TENSOR = 4L << 20;

  /** sum[ch] = sum x and sumSq[ch] = sum x^2 over the n images' planes of channel ch (overwritten). */
  static void sums(float[] x, int xOff, int n, int c, int hw, double[] sum, double[] sumSq) {
    planeSums(n, c, hw, (plane, k, len, out) -> sums(x, xOff + plane * hw + k, len, out), sum, sumSq);
  }

  private static void sums(float[] x, int o, int len, float[] out) {
    FloatVector a = FloatVector.zero(S);
    FloatVector b = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, o + j);
      a = a.add(v);
      b = v.fma(v, b);
    }
    float sa = a.reduceLanes(VectorOperators.ADD);
    float sb = b.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      float v = x[o + j];
      sa += v;
      sb = Math.fma(v, v, sb);
    }
    out[0] = sa;
    out[1] = sb;
  }

  /** y = act(x scale[ch] + shift[ch]) plane by plane: ReLU, ReLU6 and SiLU in registers, others after each plane. */
  static void scaleShift(float[] x, int xOff, float[] scale, float[] shift, Activations.Fn act, float[] y, int yOff,
      int n, int c, int hw) {
    Parallel.forRange(n * c, (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int ch = plane % c;
        int xo = xOff + plane * hw;
        int yo = yOff + plane * hw;
        if (act == Activations.Fn.RELU || act == Activations.Fn.RELU6) {
          clamped(x, xo, scale[ch], shift[ch], act == Activations.Fn.RELU6 ? 6f : Float.POSITIVE_INFINITY, y, yo,
              hw);
        } else if (act == Activations.Fn.SILU) {
          silu(x, xo, scale[ch], shift[ch], y, yo, hw);
        } else {
          affine(x, xo, scale[ch], shift[ch], y, yo, hw);
          act.apply(y, yo, hw);
        }
      }
    });
  }

  private static void affine(float[] x, int xo, float sc, float sh, float[] y, int yo, int len) {
    FloatVector scv = FloatVector.broadcast(S, sc);
    FloatVector shv = FloatVector.broadcast(S, sh);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector.fromArray(S, x, xo + j).fma(scv, shv).intoArray(y, yo + j);
    }
    for (; j < len; j++) {
      y[yo + j] = Math.fma(x[xo + j], sc, sh);
    }
  }

  /** The affine map, then max(0) and min(top) in registers, as ReLU's and ReLU6's own passes do. */
  private static void clamped(float[] x, int xo, float sc, float sh, float top, float[] y, int yo, int len) {
    FloatVector scv = FloatVector.broadcast(S, sc);
    FloatVector shv = FloatVector.broadcast(S, sh);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector.fromArray(S, x, xo + j).fma(scv, shv).max(0f).min(top).intoArray(y, yo + j);
    }
    for (; j < len; j++) {
      y[yo + j] = Math.min(Math.max(Math.fma(x[xo + j], sc, sh), 0f), top);
    }
  }

  /** The affine map, then SiLU in registers, as {@link ElementwiseVectorKernel#silu} computes it. */
  private static void silu(float[] x, int xo, float sc, float sh, float[] y, int yo, int len) {
    FloatVector scv = FloatVector.broadcast(S, sc);
    FloatVector shv = FloatVector.broadcast(S, sh);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector z = FloatVector.fromArray(S, x, xo + j).fma(scv, shv);
      z.mul(ElementwiseVectorKernel.sigmoid(z)).intoArray(y, yo + j);
    }
    for (; j < len; j++) {
      float z = Math.fma(x[xo + j], sc, sh);
      y[yo + j] = z * Activations.sigmoid(z);
    }
  }

  /**
   * sumDy[ch] = sum d and sumDyXc[ch] = sum d (x - mean[ch]) (overwritten), d = dy, or with an activation
   * (ReLU, ReLU6 or SiLU; scale and shift give its input x scale + shift) the gradient at its input, which is
   * written to g: batch norm's first backward pass.
   */
  static void dySums(float[] x, int xOff, float[] dy, int dyOff, float[] mean, Activations.Fn act, float[] scale,
      float[] shift, float[] g, int gOff, int n, int c, int hw, double[] sumDy, double[] sumDyXc) {
    float top = act == Activations.Fn.RELU6 ? Math.nextDown(6f) : Float.POSITIVE_INFINITY;
    planeSums(n, c, hw, (plane, k, len, out) -> {
      int ch = plane % c;
      int xo = xOff + plane * hw + k;
      int dyo = dyOff + plane * hw + k;
      int go = gOff + plane * hw + k;
      switch (act) {
        case NONE -> sums(x, xo, dy, dyo, mean[ch], len, out);
        case RELU, RELU6 -> clampedSums(x, xo, dy, dyo, scale[ch], shift[ch], top, g, go, mean[ch], len, out);
        case SILU -> siluSums(x, xo, dy, dyo, scale[ch], shift[ch], g, go, mean[ch], len, out);
        default -> throw new IllegalArgumentException("batch norm: cannot run " + act + " inside its passes");
      }
    }, sumDy, sumDyXc);
  }

  private static void sums(float[] x, int xo, float[] dy, int dyo, float m, int len, float[] out) {
    FloatVector mv = FloatVector.broadcast(S, m);
    FloatVector a = FloatVector.zero(S);
    FloatVector b = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector d = FloatVector.fromArray(S, dy, dyo + j);
      a = a.add(d);
      b = d.fma(FloatVector.fromArray(S, x, xo + j).sub(mv), b);
    }
    float sa = a.reduceLanes(VectorOperators.ADD);
    float sb = b.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      float d = dy[dyo + j];
      sa += d;
      sb = Math.fma(d, x[xo + j] - m, sb);
    }
    out[0] = sa;
    out[1] = sb;
  }

  /**
   * d = dy where lo &lt; x sc + sh &lt;= top, else 0 (top: the float below 6 for ReLU6, infinity for ReLU): the
   * comparisons of {@link BatchNormBlocks.FusedActivation.Block#sums}.
   */
  private static void clampedSums(float[] x, int xo, float[] dy, int dyo, float sc, float sh, float top, float[] g,
      int go, float m, int len, float[] out) {
    FloatVector scv = FloatVector.broadcast(S, sc);
    FloatVector shv = FloatVector.broadcast(S, sh);
    FloatVector mv = FloatVector.broadcast(S, m);
    FloatVector zero = FloatVector.zero(S);
    FloatVector a = zero;
    FloatVector b = zero;
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector xv = FloatVector.fromArray(S, x, xo + j);
      FloatVector zv = xv.fma(scv, shv);
      VectorMask<Float> pass = zv.compare(VectorOperators.GT, 0f).and(zv.compare(VectorOperators.LE, top));
      FloatVector d = zero.blend(FloatVector.fromArray(S, dy, dyo + j), pass);
      d.intoArray(g, go + j);
      a = a.add(d);
      b = d.fma(xv.sub(mv), b);
    }
    float sa = a.reduceLanes(VectorOperators.ADD);
    float sb = b.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      float v = Math.fma(x[xo + j], sc, sh);
      float d = v > 0f && v <= top ? dy[dyo + j] : 0f;
      g[go + j] = d;
      sa += d;
      sb = Math.fma(d, x[xo + j] - m, sb);
    }
    out[0] = sa;
    out[1] = sb;
  }

  /** d = dy s (1 + z (1 - s)), z = x sc + sh, s = sigmoid(z), as {@link ElementwiseVectorKernel#siluGradient}. */
  private static void siluSums(float[] x, int xo, float[] dy, int dyo, float sc, float sh, float[] g, int go,
      float m, int len, float[] out) {
    FloatVector scv = FloatVector.broadcast(S, sc);
    FloatVector shv = FloatVector.broadcast(S, sh);
    FloatVector mv = FloatVector.broadcast(S, m);
    FloatVector a = FloatVector.zero(S);
    FloatVector b = FloatVector.zero(S);
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += L) {
      FloatVector xv = FloatVector.fromArray(S, x, xo + j);
      FloatVector zv = xv.fma(scv, shv);
      FloatVector d = ElementwiseVectorKernel.siluGradient(zv, FloatVector.fromArray(S, dy, dyo + j));
      d.intoArray(g, go + j);
      a = a.add(d);
      b = d.fma(xv.sub(mv), b);
    }
    float sa = a.reduceLanes(VectorOperators.ADD);
    float sb = b.reduceLanes(VectorOperators.ADD);
    for (; j < len; j++) {
      float d = Activations.siluGradient(Math.fma(x[xo + j], sc, sh), dy[dyo + j]);
      g[go + j] = d;
      sa += d;
      sb = Math.fma(d, x[xo + j] - m, sb);
    }
    out[0] = sa;
    out[1] = sb;
  }

  /** dx = p[ch] d + q[ch] + r[ch] (x - mean[ch]) plane by plane (d may be dx itself): the second backward pass. */
  static void inputGradient(float[] x, int xOff, float[] d, int dOff, float[] mean, float[] p, float[] q, float[] r,
      float[] dx, int dxOff, int n, int c, int hw) {
    Parallel.forRange(n * c, (lo, hi, t) -> {
      for (int plane = lo; plane < hi; plane++) {
        int ch = plane % c;
        int xo = xOff + plane * hw;
        int dof = dOff + plane * hw;
        int o = dxOff + plane * hw;
        float m = mean[ch];
        float ps = p[ch];
        float qs = q[ch];
        float rs = r[ch];
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector pv = FloatVector.broadcast(S, ps);
        FloatVector qv = FloatVector.broadcast(S, qs);
        FloatVector rv = FloatVector.broadcast(S, rs);
        int j = 0;
        for (int bound = S.loopBound(hw); j < bound; j += L) {
          FloatVector xc = FloatVector.fromArray(S, x, xo + j).sub(mv);
          FloatVector.fromArray(S, d, dof + j).fma(pv, qv).add(xc.mul(rv)).intoArray(dx, o + j);
        }
        for (; j < hw; j++) {
          dx[o + j] = Math.fma(d[dof + j], ps, qs) + (x[xo + j] - m) * rs;
        }
      }
    });
  }

  /** Two sums over one run of a plane, [start, start + len) from its beginning, into out[0] and out[1]. */
  @FunctionalInterface
  private interface RunSums {
    void run(int plane, int start, int len, float[] out);
  }

  /**
   * total1[ch] and total2[ch] (overwritten): body's two sums over each plane's runs of {@link #CHUNK} floats, added
   * in double per plane, planes in parallel, then the planes' totals added per channel in image order.
   */
  private static void planeSums(int n, int c, int hw, RunSums body, double[] total1, double[] total2) {
    double[] s1 = new double[n * c];
    double[] s2 = new double[n * c];
    Parallel.forRange(n * c, (lo, hi, t) -> {
      float[] out = new float[2];
      for (int plane = lo; plane < hi; plane++) {
        double a = 0;
        double b = 0;
        for (int k = 0; k < hw; k += CHUNK) {
          body.run(plane, k, Math.min(CHUNK, hw - k), out);
          a += out[0];
          b += out[1];
        }
        s1[plane] = a;
        s2[plane] = b;
      }
    });
    byChannel(s1, n, c, total1);
    byChannel(s2, n, c, total2);
  }

  /** total[ch] = the sum over images, in image order, of the planes' totals v[i * c + ch]. */
  private static void byChannel(double[] v, int n, int c, double[] total) {
    for (int ch = 0; ch < c; ch++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        s += v[i * c + ch];
      }
      total[ch] = s;
    }
  }
}
