package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch norm's passes over small planes (the late stages of MobileNet and EfficientNet: 2x2 to 8x8), image by
 * image over a block of channels. In (N, C, H, W) one image's planes of channels c0..c1 are one contiguous run,
 * so a pass streams it in full vectors whatever the plane size, where plane-by-plane loops would spend a vector
 * loop, its lane reductions and its scalar tail on every plane of a few floats. Per-channel factors are spread
 * over the block once (one value per float of the run), and per-position partial sums are kept in float for at
 * most {@link #FLUSH} images, then added to the channel's double total in position order: the same figures on
 * any number of threads. Only loaded when {@link Simd#AVAILABLE}.
 */
final class BatchNormBlocks {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Images summed in float per position before the partial goes into double. */
  static final int FLUSH = 32;

  private BatchNormBlocks() {}

  /** sum[ch] = sum x and sumSq[ch] = sum x^2 over the n images' planes of channels c0..c1 (overwritten). */
  static void sums(float[] x, int xOff, int n, int c, int hw, int c0, int c1, double[] sum, double[] sumSq) {
    int len = (c1 - c0) * hw;
    float[] s = new float[len];
    float[] s2 = new float[len];
    for (int ch = c0; ch < c1; ch++) {
      sum[ch] = 0;
      sumSq[ch] = 0;
    }
    for (int i = 0; i < n; i++) {
      int o = xOff + (i * c + c0) * hw;
      int j = 0;
      for (int bound = S.loopBound(len); j < bound; j += S.length()) {
        FloatVector v = FloatVector.fromArray(S, x, o + j);
        FloatVector.fromArray(S, s, j).add(v).intoArray(s, j);
        v.fma(v, FloatVector.fromArray(S, s2, j)).intoArray(s2, j);
      }
      for (; j < len; j++) {
        float v = x[o + j];
        s[j] += v;
        s2[j] = Math.fma(v, v, s2[j]);
      }
      if ((i + 1) % FLUSH == 0 || i == n - 1) {
        flush(s, sum, c0, hw);
        flush(s2, sumSq, c0, hw);
      }
    }
  }

  /**
   * sumDy[ch] = sum dy and sumDyXc[ch] = sum dy (x - mean[ch]) over the planes of channels c0..c1 (overwritten);
   * the centred product keeps the float partials small, as the plane-by-plane loop does.
   */
  static void dySums(float[] x, int xOff, float[] dy, int dyOff, float[] mean, FusedActivation act, float[] g, int gOff,
      int n, int c, int hw, int c0, int c1, double[] sumDy, double[] sumDyXc) {
    int len = (c1 - c0) * hw;
    float[] m = spread(mean, c0, c1, hw);
    float[] a = new float[len];
    float[] b = new float[len];
    FusedActivation.Block fused = act == FusedActivation.NONE ? null : act.block(c0, c1, hw);
    for (int ch = c0; ch < c1; ch++) {
      sumDy[ch] = 0;
      sumDyXc[ch] = 0;
    }
    for (int i = 0; i < n; i++) {
      int o = (i * c + c0) * hw;
      if (fused != null) {
        fused.sums(x, xOff + o, dy, dyOff + o, g, gOff + o, m, a, b);
      } else {
        accumulate(dy, dyOff + o, x, xOff + o, m, a, b);
      }
      if ((i + 1) % FLUSH == 0 || i == n - 1) {
        flush(a, sumDy, c0, hw);
        flush(b, sumDyXc, c0, hw);
      }
    }
  }

  /** a += d and b += d (x - m) over one image's run (a's length), d at dOff, x at xo. */
  private static void accumulate(float[] d0, int dOff, float[] x, int xo, float[] m, float[] a, float[] b) {
    int len = a.length;
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += S.length()) {
      FloatVector d = FloatVector.fromArray(S, d0, dOff + j);
      FloatVector xc = FloatVector.fromArray(S, x, xo + j).sub(FloatVector.fromArray(S, m, j));
      FloatVector.fromArray(S, a, j).add(d).intoArray(a, j);
      d.fma(xc, FloatVector.fromArray(S, b, j)).intoArray(b, j);
    }
    for (; j < len; j++) {
      float d = d0[dOff + j];
      a[j] += d;
      b[j] = Math.fma(d, x[xo + j] - m[j], b[j]);
    }
  }

  /** y = act(x scale[ch] + shift[ch]) over the planes of channels c0..c1 of every image. */
  static void scaleShift(float[] x, int xOff, float[] scale, float[] shift, Activations.Fn act, float[] y, int yOff,
      int n, int c, int hw, int c0, int c1) {
    int len = (c1 - c0) * hw;
    float[] sc = spread(scale, c0, c1, hw);
    float[] sh = spread(shift, c0, c1, hw);
    boolean clamps = act == Activations.Fn.RELU || act == Activations.Fn.RELU6;
    float top = act == Activations.Fn.RELU6 ? 6f : Float.POSITIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      int o = (i * c + c0) * hw;
      if (clamps) {
        affineClamped(x, xOff + o, sc, sh, top, y, yOff + o, len);
      } else if (act == Activations.Fn.SILU) {
        affineSilu(x, xOff + o, sc, sh, y, yOff + o, len);
      } else {
        affine(x, xOff + o, sc, sh, y, yOff + o, len);
        act.apply(y, yOff + o, len); // while the run is in cache
      }
    }
  }

  /**
   * {@link #affine} then ReLU (top infinite) or ReLU6 (top 6) in registers, the same operations as the
   * activation's own pass ({@code max(0)}, then {@code min(top)}), without a second sweep of the run. On an
   * inference batch norm + ReLU6 over 144 channels of 56x56 b8 (one thread; measured in blocks, before such planes
   * went to {@link BatchNormPlanes}) 1.0-1.3x the two passes, about 1.1x typically: both are bound by writing y.
   */
  private static void affineClamped(float[] x, int xo, float[] sc, float[] sh, float top, float[] out, int oo,
      int len) {
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += S.length()) {
      FloatVector.fromArray(S, x, xo + j).fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j))
          .max(0f).min(top).intoArray(out, oo + j);
    }
    for (; j < len; j++) {
      out[oo + j] = Math.min(Math.max(Math.fma(x[xo + j], sc[j], sh[j]), 0f), top);
    }
  }

  /**
   * {@link #affine} then SiLU in registers, the same operations as the activation's own pass
   * ({@link ElementwiseVectorKernel#silu}), without storing the normalized run and reading it back. On
   * EfficientNet-B0's training step the two loops took 9% between them.
   */
  private static void affineSilu(float[] x, int xo, float[] sc, float[] sh, float[] out, int oo, int len) {
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += S.length()) {
      FloatVector z = FloatVector.fromArray(S, x, xo + j).fma(FloatVector.fromArray(S, sc, j),
          FloatVector.fromArray(S, sh, j));
      z.mul(ElementwiseVectorKernel.sigmoid(z)).intoArray(out, oo + j);
    }
    for (; j < len; j++) {
      float z = Math.fma(x[xo + j], sc[j], sh[j]);
      out[oo + j] = z * Activations.sigmoid(z);
    }
  }

  /**
   * out[oo + j] = fma(x[xo + j], sc[j], sh[j]) for j < len: the normalized run, computed the same way forward and
   * when backward recomputes an activation's input, so both see the same floats.
   */
  private static void affine(float[] x, int xo, float[] sc, float[] sh, float[] out, int oo, int len) {
    int j = 0;
    for (int bound = S.loopBound(len); j < bound; j += S.length()) {
      FloatVector.fromArray(S, x, xo + j).fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j))
          .intoArray(out, oo + j);
    }
    for (; j < len; j++) {
      out[oo + j] = Math.fma(x[xo + j], sc[j], sh[j]);
    }
  }

  /**
   * dx = p[ch] dy + q[ch] + r[ch] (x - mean[ch]) over the planes of channels c0..c1 of every image: batch norm's
   * input gradient with its per-channel factors gathered by the caller.
   */
  static void inputGradient(float[] x, int xOff, float[] dy, int dyOff, float[] mean, float[] p, float[] q,
      float[] r, float[] dx, int dxOff, int n, int c, int hw, int c0, int c1) {
    int len = (c1 - c0) * hw;
    float[] m = spread(mean, c0, c1, hw);
    float[] pv = spread(p, c0, c1, hw);
    float[] qv = spread(q, c0, c1, hw);
    float[] rv = spread(r, c0, c1, hw);
    for (int i = 0; i < n; i++) {
      int o = (i * c + c0) * hw;
      int j = 0;
      for (int bound = S.loopBound(len); j < bound; j += S.length()) {
        FloatVector xc = FloatVector.fromArray(S, x, xOff + o + j).sub(FloatVector.fromArray(S, m, j));
        FloatVector d = FloatVector.fromArray(S, dy, dyOff + o + j);
        d.fma(FloatVector.fromArray(S, pv, j), FloatVector.fromArray(S, qv, j))
            .add(xc.mul(FloatVector.fromArray(S, rv, j)))
            .intoArray(dx, dxOff + o + j);
      }
      for (; j < len; j++) {
        dx[dxOff + o + j] = Math.fma(dy[dyOff + o + j], pv[j], qv[j]) + (x[xOff + o + j] - m[j]) * rv[j];
      }
    }
  }

  /**
   * The activation that follows batch norm in training, run inside its passes: forward applies it to each run
   * while it is in L1; backward's first pass recomputes the activation's input x scale + shift from batch norm's
   * input (the same operations, so the same floats, as forward) and writes the gradient through it into dx,
   * which the second pass reads as its dy and overwrites (the block is still in cache by then): the activation
   * needs no pass and no buffer of its own, and its derivative (SiLU's exp) is computed once.
   */
  static final class FusedActivation {
    static final FusedActivation NONE = new FusedActivation(Activations.Fn.NONE, null, null);
    final Activations.Fn fn;
    private final float[] scale;
    private final float[] shift;

    /** scale and shift per channel: batch norm's gamma invStd and beta - mean gamma invStd. */
    FusedActivation(Activations.Fn fn, float[] scale, float[] shift) {
      this.fn = fn;
      this.scale = scale;
      this.shift = shift;
    }

    Block block(int c0, int c1, int hw) {
      return new Block(spread(scale, c0, c1, hw), spread(shift, c0, c1, hw), new float[(c1 - c0) * hw]);
    }

    /** One block of channels' spread factors and scratch runs. */
    final class Block {
      private final float[] sc;
      private final float[] sh;
      private final float[] z;

      private Block(float[] sc, float[] sh, float[] z) {
        this.sc = sc;
        this.sh = sh;
        this.z = z;
      }

      /** out[outOff ...] = the gradient at the activation's input, for one image's run of the block. */
      void gradient(float[] x, int xo, float[] dy, int dyo, float[] out, int outOff) {
        affine(x, xo, sc, sh, z, 0, z.length);
        fn.backward(z, 0, dy, dyo, out, outOff, z.length);
      }

      /**
       * {@link #gradient} of one image's run into out, then a += out and b += out (x - m): in one sweep for ReLU,
       * ReLU6 and SiLU (the activations of the efficient nets), otherwise as two loops.
       */
      void sums(float[] x, int xo, float[] dy, int dyo, float[] out, int outOff, float[] m, float[] a, float[] b) {
        if (fn == Activations.Fn.RELU || fn == Activations.Fn.RELU6) {
          clampedSums(x, xo, dy, dyo, out, outOff, m, a, b);
        } else if (fn == Activations.Fn.SILU) {
          siluSums(x, xo, dy, dyo, out, outOff, m, a, b);
        } else {
          gradient(x, xo, dy, dyo, out, outOff);
          accumulate(out, outOff, x, xo, m, a, b);
        }
      }

      /**
       * {@link #gradient} and dySums' accumulation of one image's run in one sweep, for a clamping activation: out =
       * dy where lo &lt; x sc + sh (&lt; 6 for ReLU6), else 0; a += out; b += out (x - m). The same floats as the
       * three loops it replaces (the input recomputed by the same fma, the same comparisons, the same sums), which
       * took 12% of a MobileNet-v2 training step between them, each streaming the run through L1 again.
       */
      private void clampedSums(float[] x, int xo, float[] dy, int dyo, float[] out, int outOff, float[] m, float[] a,
          float[] b) {
        // v < 6 is v <= the float below 6; ReLU's v <= infinity passes every v > 0, an infinite one too.
        float top = fn == Activations.Fn.RELU6 ? Math.nextDown(6f) : Float.POSITIVE_INFINITY;
        int len = z.length;
        FloatVector zero = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += S.length()) {
          FloatVector xv = FloatVector.fromArray(S, x, xo + j);
          FloatVector zv = xv.fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j));
          VectorMask<Float> pass = zv.compare(VectorOperators.GT, 0f).and(zv.compare(VectorOperators.LE, top));
          FloatVector d = zero.blend(FloatVector.fromArray(S, dy, dyo + j), pass);
          d.intoArray(out, outOff + j);
          FloatVector.fromArray(S, a, j).add(d).intoArray(a, j);
          d.fma(xv.sub(FloatVector.fromArray(S, m, j)), FloatVector.fromArray(S, b, j)).intoArray(b, j);
        }
        for (; j < len; j++) {
          float v = Math.fma(x[xo + j], sc[j], sh[j]);
          float d = v > 0f && v <= top ? dy[dyo + j] : 0f;
          out[outOff + j] = d;
          a[j] += d;
          b[j] = Math.fma(d, x[xo + j] - m[j], b[j]);
        }
      }

      /**
       * The same sweep for SiLU: out = dy s (1 + z (1 - s)), z = x sc + sh, s = sigmoid(z), with the operations of
       * {@link ElementwiseVectorKernel#siluGradient} and {@link #accumulate}, so the same floats. The three loops it
       * replaces took 11% of EfficientNet-B0's training step.
       */
      private void siluSums(float[] x, int xo, float[] dy, int dyo, float[] out, int outOff, float[] m, float[] a,
          float[] b) {
        int len = z.length;
        int j = 0;
        for (int bound = S.loopBound(len); j < bound; j += S.length()) {
          FloatVector xv = FloatVector.fromArray(S, x, xo + j);
          FloatVector zv = xv.fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j));
          FloatVector d = ElementwiseVectorKernel.siluGradient(zv, FloatVector.fromArray(S, dy, dyo + j));
          d.intoArray(out, outOff + j);
          FloatVector.fromArray(S, a, j).add(d).intoArray(a, j);
          d.fma(xv.sub(FloatVector.fromArray(S, m, j)), FloatVector.fromArray(S, b, j)).intoArray(b, j);
        }
        for (; j < len; j++) {
          float d = Activations.siluGradient(Math.fma(x[xo + j], sc[j], sh[j]), dy[dyo + j]);
          out[outOff + j] = d;
          a[j] += d;
          b[j] = Math.fma(d, x[xo + j] - m[j], b[j]);
        }
      }
    }
  }

  /** One value per float of the block: v[ch] repeated hw times for ch in c0..c1. */
  private static float[] spread(float[] v, int c0, int c1, int hw) {
    float[] out = new float[(c1 - c0) * hw];
    for (int ch = c0; ch < c1; ch++) {
      java.util.Arrays.fill(out, (ch - c0) * hw, (ch - c0 + 1) * hw, v[ch]);
    }
    return out;
  }

  /** Adds each channel's float partials to its double total, in position order, and clears them. */
  private static void flush(float[] partial, double[] total, int c0, int hw) {
    int channels = partial.length / hw;
    for (int k = 0; k < channels; k++) {
      double t = 0;
      for (int j = k * hw; j < (k + 1) * hw; j++) {
        t += partial[j];
        partial[j] = 0;
      }
      total[c0 + k] += t;
    }
  }
}
