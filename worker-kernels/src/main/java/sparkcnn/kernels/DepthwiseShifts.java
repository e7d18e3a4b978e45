package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 depthwise convolution of planes so small that whole planes share a vector: when h x w divides the lanes
 * (1x1, 2x2 and 4x4 with 16 lanes; 1x1 and 2x2 with 8), a vector holds G = lanes / (h w) consecutive planes of one
 * image exactly as they lie in memory, and each tap is one lane permutation of that vector in registers times a
 * vector of each lane's weight for the tap, zero where the tap falls into the padding. The output planes are the
 * input's size ("same" padding), so each output vector is the sum over the taps of its input vector permuted;
 * backward data is the same sum over dy with the taps mirrored, and the weight gradient one running product of dy
 * and the permuted input per tap, summed over the images.
 *
 * <p>Why: on such planes the lanes ({@link DepthwiseLanes}) spend most of their time transposing channels into lanes
 * and back with gathers and scatters (5-9 GFLOP/s on one AMD EPYC thread), and the flattened planes spend most of
 * each vector on padding. Here nothing is copied or padded: a vector is loaded, permuted once per tap, and stored.
 *
 * <p>A lane whose tap falls into the padding reads its own position instead, times a zero weight: exact for finite
 * inputs; an infinite input may make the output at its own position NaN where the direct sum gives a finite value
 * or an infinity.
 */
final class DepthwiseShifts {
  /** Independent sums per output vector: a tap's FMA waits on the previous one's only every third tap. */
  private static final int CHAINS = 3;
  /** Vectors per run of a forward or backward-data sweep: the sweeps of a larger filter find the run in L1. */
  private static final int RUN = 256;

  private DepthwiseShifts() {}

  /**
   * Depthwise (one filter per channel), stride 1, output planes the input's size, whole planes per vector and
   * whole vectors per image (the channels a multiple of G), given the Vector API.
   */
  static boolean applies(ConvGeom g) {
    int hw = g.h() * g.w();
    return Simd.AVAILABLE && g.isDepthwise() && g.strideH() == 1 && g.strideW() == 1 && g.p() == g.h()
        && g.q() == g.w() && Simd.LANES % hw == 0 && g.c() % (Simd.LANES / hw) == 0;
  }

  /**
   * Whether the heuristic takes the shifts for a pass where they {@link #applies apply}: every pass when at most nine
   * taps reach inside the plane (3x3 filters; 5x5 on 2x2 planes), forward and backward data up to 25 (5x5 on 4x4).
   * Measured on one AMD EPYC thread at batch 128 against the lanes, forward / backward data / weights, GFLOP/s: 3x3
   * on 4x4 planes 16-17 / 16-17 / 12-13 against 7-9 / 8 / 7-10, on 2x2 18 / 18 / 13 against 8 / 7.5 / 7-8; 5x5 on
   * 4x4 (EfficientNet-B0's 480 and 672 channels at 64x64 inputs, two runs each) 11.0-14.3 / 11.9-14.3 / 8.6-10.7
   * against 10.9-12.1 / 9.1-10.5 / 10.5-11.0, so that weight gradient keeps the lanes.
   */
  static boolean pays(ConvGeom g, ConvAlgorithm.Pass pass) {
    int taps = reaching(g.r(), g.dilationH(), g.padTop(), g.h()) * reaching(g.s(), g.dilationW(), g.padLeft(), g.w());
    return taps <= 9 || taps <= 25 && pass != ConvAlgorithm.Pass.BACKWARD_WEIGHTS;
  }

  /** Filter rows (or columns) a whose offset a d - pad moves some position of a plane n long to another inside. */
  private static int reaching(int taps, int dilation, int pad, int n) {
    int count = 0;
    for (int a = 0; a < taps; a++) {
      count += Math.abs(a * dilation - pad) < n ? 1 : 0;
    }
    return count;
  }

  /** y = act(depthwise(x, w) + b), overwriting y (b may be null). Runs of vectors in memory order in parallel. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, Activations.Fn act, float[] y,
      int yOff, ConvGeom g) {
    Taps taps = new Taps(g, 1);
    float[] wt = taps.weights(w, wOff);
    float[] bias = new float[taps.groups * Simd.LANES];
    if (b != null) {
      for (int lane = 0; lane < bias.length; lane++) {
        bias[lane] = b[bOff + lane / taps.hw];
      }
    }
    int vectors = g.n() * taps.groups;
    Parallel.forRange(vectors, (lo, hi, t) -> {
      Vec.sum(x, xOff, y, yOff, lo, hi, taps.groups, taps.shuffles, wt, bias);
      act.apply(y, yOff + lo * Simd.LANES, (hi - lo) * Simd.LANES);
    });
  }

  /** dx = the adjoint of forward applied to dy, overwriting dx: the same sum over dy, the taps mirrored. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Taps taps = new Taps(g, -1);
    float[] wt = taps.weights(w, wOff);
    float[] zero = new float[taps.groups * Simd.LANES];
    Parallel.forRange(g.n() * taps.groups, (lo, hi, t) ->
        Vec.sum(dy, dyOff, dx, dxOff, lo, hi, taps.groups, taps.shuffles, wt, zero));
  }

  /**
   * dw += dL/dw: per vector of channels and tap, the lane-wise sum over the images of dy times the input permuted
   * for the tap, then each plane's lanes inside the plane added into its channel's weight. Channel vectors in
   * parallel.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Taps taps = new Taps(g, 1);
    int l = Simd.LANES;
    Parallel.forRange(taps.groups, (lo, hi, t) -> {
      float[] acc = new float[(hi - lo) * taps.count * l];
      // Images in runs whose channel vectors (x and dy) fill half of L2, each run swept once per three taps.
      int run = (int) Math.max(1, CacheSizes.l2() / 2 / (8L * (hi - lo) * l));
      for (int n0 = 0; n0 < g.n(); n0 += run) {
        for (int k = 0; k < taps.count; k += CHAINS) {
          Vec.dots3(x, xOff, dy, dyOff, n0, Math.min(g.n(), n0 + run), taps.groups, lo, hi, taps.shuffles, k, acc);
        }
      }
      for (int cg = lo; cg < hi; cg++) {
        for (int k = 0; k < taps.count; k++) {
          for (int lane = 0; lane < l; lane++) {
            int at = taps.weightAt(cg, k, lane);
            if (at >= 0) {
              dw[dwOff + at] += acc[((cg - lo) * taps.count + k) * l + lane];
            }
          }
        }
      }
    });
  }

  /**
   * The filter's taps that reach inside the plane for at least one lane, in filter order, with fillers (tap -1,
   * nowhere inside) up to a multiple of {@link #CHAINS}: per tap its lane permutation and which lanes it reaches
   * inside the plane. Forward (direction 1), output (i, j) reads input (i + a dh - padTop, j + b dw - padLeft) for
   * tap (a, b); backward data (direction -1), dx (i, j) reads dy (i - a dh + padTop, j - b dw + padLeft).
   */
  private static final class Taps {
    final int hw;
    /** Taps of the whole filter (r s). */
    final int filter;
    /** Planes per vector (G). */
    final int perVector;
    /** Vectors of channels per image. */
    final int groups;
    final int count;
    final int[] tap;
    final VectorShuffle<Float>[] shuffles;
    final boolean[][] inside;

    @SuppressWarnings("unchecked")
    Taps(ConvGeom g, int direction) {
      int l = Simd.LANES;
      hw = g.h() * g.w();
      perVector = l / hw;
      groups = g.c() / perVector;
      filter = g.r() * g.s();
      int[] kept = new int[filter];
      boolean[][] reach = new boolean[filter][l];
      int[][] index = new int[filter][l];
      int n = 0;
      for (int a = 0; a < g.r(); a++) {
        for (int b = 0; b < g.s(); b++) {
          int du = direction * (a * g.dilationH() - g.padTop());
          int dv = direction * (b * g.dilationW() - g.padLeft());
          boolean any = false;
          for (int lane = 0; lane < l; lane++) {
            int i = lane % hw / g.w() + du;
            int j = lane % g.w() + dv;
            boolean in = i >= 0 && i < g.h() && j >= 0 && j < g.w();
            reach[n][lane] = in;
            index[n][lane] = in ? lane / hw * hw + i * g.w() + j : lane;
            any |= in;
          }
          if (any) {
            kept[n++] = a * g.s() + b;
          }
        }
      }
      count = (n + CHAINS - 1) / CHAINS * CHAINS;
      tap = new int[count];
      inside = new boolean[count][];
      shuffles = new VectorShuffle[count];
      int[] identity = new int[l];
      for (int lane = 0; lane < l; lane++) {
        identity[lane] = lane;
      }
      for (int k = 0; k < count; k++) {
        tap[k] = k < n ? kept[k] : -1;
        inside[k] = k < n ? reach[k] : new boolean[l];
        shuffles[k] = VectorShuffle.fromArray(Vec.S, k < n ? index[k] : identity, 0);
      }
    }

    /**
     * Where the given lane of channel vector cg takes its weight for kept tap k in a filter tensor (C, r, s), or -1
     * where the tap reaches the padding (or k is a filler): forward reads its weights there, the weight gradient
     * adds there.
     */
    int weightAt(int cg, int k, int lane) {
      return inside[k][lane] ? (cg * perVector + lane / hw) * filter + tap[k] : -1;
    }

    /** Per channel vector and kept tap, each lane's weight for the tap, zero where it reaches the padding. */
    float[] weights(float[] w, int wOff) {
      int l = Simd.LANES;
      float[] wt = new float[groups * count * l];
      for (int cg = 0; cg < groups; cg++) {
        for (int k = 0; k < count; k++) {
          for (int lane = 0; lane < l; lane++) {
            int at = weightAt(cg, k, lane);
            if (at >= 0) {
              wt[(cg * count + k) * l + lane] = w[wOff + at];
            }
          }
        }
      }
      return wt;
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * dst vector v = bias[v % groups] + the sum over the taps k of src vector v permuted by shuffles[k] times wt's
     * vector (v % groups) * count + k, for v in [from, to). In runs of {@link #RUN} vectors, nine taps (or three)
     * per sweep over a run, each sweep adding to dst: a sweep's shuffles stay in registers (taken from the array
     * inside the loop, each permute also converted and checked the shuffle again: 1.6x slower on 2x2 planes).
     */
    static void sum(float[] src, int srcOff, float[] dst, int dstOff, int from, int to, int groups,
        VectorShuffle<Float>[] shuffles, float[] wt, float[] bias) {
      int l = S.length();
      for (int r0 = from; r0 < to; r0 += RUN) {
        int r1 = Math.min(to, r0 + RUN);
        for (int v = r0, cg = r0 % groups; v < r1; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
          FloatVector.fromArray(S, bias, cg * l).intoArray(dst, dstOff + v * l);
        }
        int k = 0;
        for (; k + 9 <= shuffles.length; k += 9) {
          sum9(src, srcOff, dst, dstOff, r0, r1, groups, shuffles, k, wt);
        }
        for (; k < shuffles.length; k += CHAINS) {
          sum3(src, srcOff, dst, dstOff, r0, r1, groups, shuffles, k, wt);
        }
      }
    }

    /** Taps k .. k + 8 of {@link #sum} over vectors [from, to), added to dst. */
    private static void sum9(float[] src, int srcOff, float[] dst, int dstOff, int from, int to, int groups,
        VectorShuffle<Float>[] shuffles, int k, float[] wt) {
      int l = S.length();
      int count = shuffles.length;
      VectorShuffle<Float> s0 = shuffles[k];
      VectorShuffle<Float> s1 = shuffles[k + 1];
      VectorShuffle<Float> s2 = shuffles[k + 2];
      VectorShuffle<Float> s3 = shuffles[k + 3];
      VectorShuffle<Float> s4 = shuffles[k + 4];
      VectorShuffle<Float> s5 = shuffles[k + 5];
      VectorShuffle<Float> s6 = shuffles[k + 6];
      VectorShuffle<Float> s7 = shuffles[k + 7];
      VectorShuffle<Float> s8 = shuffles[k + 8];
      for (int v = from, cg = from % groups; v < to; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
        int w = (cg * count + k) * l;
        int at = dstOff + v * l;
        FloatVector in = FloatVector.fromArray(S, src, srcOff + v * l);
        FloatVector a0 = in.rearrange(s0).fma(FloatVector.fromArray(S, wt, w), FloatVector.fromArray(S, dst, at));
        FloatVector a1 = in.rearrange(s1).mul(FloatVector.fromArray(S, wt, w + l));
        FloatVector a2 = in.rearrange(s2).mul(FloatVector.fromArray(S, wt, w + 2 * l));
        a0 = in.rearrange(s3).fma(FloatVector.fromArray(S, wt, w + 3 * l), a0);
        a1 = in.rearrange(s4).fma(FloatVector.fromArray(S, wt, w + 4 * l), a1);
        a2 = in.rearrange(s5).fma(FloatVector.fromArray(S, wt, w + 5 * l), a2);
        a0 = in.rearrange(s6).fma(FloatVector.fromArray(S, wt, w + 6 * l), a0);
        a1 = in.rearrange(s7).fma(FloatVector.fromArray(S, wt, w + 7 * l), a1);
        a2 = in.rearrange(s8).fma(FloatVector.fromArray(S, wt, w + 8 * l), a2);
        a0.add(a1).add(a2).intoArray(dst, at);
      }
    }

    /** Taps k .. k + 2 of {@link #sum} over vectors [from, to), added to dst. */
    private static void sum3(float[] src, int srcOff, float[] dst, int dstOff, int from, int to, int groups,
        VectorShuffle<Float>[] shuffles, int k, float[] wt) {
      int l = S.length();
      int count = shuffles.length;
      VectorShuffle<Float> s0 = shuffles[k];
      VectorShuffle<Float> s1 = shuffles[k + 1];
      VectorShuffle<Float> s2 = shuffles[k + 2];
      for (int v = from, cg = from % groups; v < to; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
        int w = (cg * count + k) * l;
        int at = dstOff + v * l;
        FloatVector in = FloatVector.fromArray(S, src, srcOff + v * l);
        FloatVector a0 = in.rearrange(s0).fma(FloatVector.fromArray(S, wt, w), FloatVector.fromArray(S, dst, at));
        FloatVector a1 = in.rearrange(s1).mul(FloatVector.fromArray(S, wt, w + l));
        FloatVector a2 = in.rearrange(s2).mul(FloatVector.fromArray(S, wt, w + 2 * l));
        a0.add(a1).add(a2).intoArray(dst, at);
      }
    }

    /**
     * acc[((cg - cgLo) * count + k) * L + lane] += the sum over images i in [n0, n1) of dy's vector i * groups + cg
     * times x's permuted by shuffles[k], for cg in [cgLo, cgHi) and taps k .. k + 2: each image's run of channel
     * vectors is read in order, the accumulators (a share of L2) loaded and stored around each product.
     */
    static void dots3(float[] x, int xOff, float[] dy, int dyOff, int n0, int n1, int groups, int cgLo, int cgHi,
        VectorShuffle<Float>[] shuffles, int k, float[] acc) {
      int l = S.length();
      int count = shuffles.length;
      VectorShuffle<Float> s0 = shuffles[k];
      VectorShuffle<Float> s1 = shuffles[k + 1];
      VectorShuffle<Float> s2 = shuffles[k + 2];
      for (int i = n0; i < n1; i++) {
        for (int cg = cgLo; cg < cgHi; cg++) {
          int v = (i * groups + cg) * l;
          int a = ((cg - cgLo) * count + k) * l;
          FloatVector in = FloatVector.fromArray(S, x, xOff + v);
          FloatVector d = FloatVector.fromArray(S, dy, dyOff + v);
          in.rearrange(s0).fma(d, FloatVector.fromArray(S, acc, a)).intoArray(acc, a);
          in.rearrange(s1).fma(d, FloatVector.fromArray(S, acc, a + l)).intoArray(acc, a + l);
          in.rearrange(s2).fma(d, FloatVector.fromArray(S, acc, a + 2 * l)).intoArray(acc, a + 2 * l);
        }
      }
    }
  }
}
