package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 depthwise convolution of planes so small that whole planes share a vector: when h x w divides the lanes
 * (1x1, 2x2 and 4x4 with 16 lanes; 1x1 and 2x2 with 8), a vector holds G = lanes / (h w) consecutive planes of one
 * image exactly as they lie in memory, and each tap is one lane permutation of that vector in registers times a
 * vector of each lane's weight for the tap, zero where the tap falls into the padding. Taps whose moves differ by a
 * whole plane share one permutation, the plane's rotation ({@link Taps}): on 2x2 planes a 3x3 filter needs four,
 * one of them no permutation at all. The output planes are the input's size ("same" padding), so each output
 * vector is the sum over the permutations of its input vector permuted; backward data is the same sum over dy with
 * the taps mirrored, and the weight gradient one running product of dy and the permuted input per permutation,
 * summed over the images.
 *
 * <p>Why: on such planes the lanes ({@link DepthwiseLanes}) spend most of their time transposing channels into lanes
 * and back with gathers and scatters (5-9 GFLOP/s on one AMD EPYC thread), and the flattened planes spend most of
 * each vector on padding. Here nothing is copied or padded: a vector is loaded, permuted once per class of taps,
 * and stored. Measured on one AMD EPYC thread (batch 64-128, forward / backward data / weights, GFLOP/s of the
 * direct convolution's multiply-adds): 3x3 on 2x2 planes 22.6 / 28.1 / 23.2 with the rotations against 13.2 / 16.9 /
 * 12.9 tap by tap and 7-8 for the lanes; 5x5 on 4x4 22.2 / 22.9 / 17.6 against 14.5 / 14.3 / 11.2 and 11-13 for
 * the lanes, so every plane the shifts apply to takes them. What holds them back now is the Vector API of Java 17:
 * each permutation re-converts and re-checks its shuffle's indexes (the check is not hoisted out of the loop;
 * without it, a switch no product should set, the same loops ran 1.15-1.4x faster).
 *
 * <p>A lane no tap of a permutation's class reaches inside the plane reads another position of its own plane,
 * times a zero weight: exact for finite inputs; an infinite input may make an output of its plane NaN where the
 * direct sum gives a finite value or an infinity.
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
      Vec.sum(x, xOff, y, yOff, lo, hi, taps.groups, taps.shuffles, taps.unmoved, wt, bias);
      act.apply(y, yOff + lo * Simd.LANES, (hi - lo) * Simd.LANES);
    });
  }

  /** dx = the adjoint of forward applied to dy, overwriting dx: the same sum over dy, the taps mirrored. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    Taps taps = new Taps(g, -1);
    float[] wt = taps.weights(w, wOff);
    float[] zero = new float[taps.groups * Simd.LANES];
    Parallel.forRange(g.n() * taps.groups, (lo, hi, t) ->
        Vec.sum(dy, dyOff, dx, dxOff, lo, hi, taps.groups, taps.shuffles, taps.unmoved, wt, zero));
  }

  /**
   * dw += dL/dw: per vector of channels and class of taps, the lane-wise sum over the images of dy times the input
   * permuted for the class (the unmoved class not permuted), then each lane's sum added into the weight of its tap
   * in the class. Channel vectors in parallel.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Taps taps = new Taps(g, 1);
    int l = Simd.LANES;
    Parallel.forRange(taps.groups, (lo, hi, t) -> {
      float[] acc = new float[(hi - lo) * taps.count * l];
      if (taps.unmoved == 1 && taps.count == 1 + CHAINS) {
        // By channel vector, but in memory order where an image's channel vectors span a multiple of 4 KB (see dots4).
        if (4L * taps.groups * l % 4096 != 0) {
          Vec.dots4(x, xOff, dy, dyOff, g.n(), taps.groups, lo, hi, taps.shuffles, acc);
        } else {
          Vec.dots4InOrder(x, xOff, dy, dyOff, g.n(), taps.groups, lo, hi, taps.shuffles, acc);
        }
      } else {
        // Images in runs whose channel vectors (x and dy) fill half of L2, each run swept once per three classes.
        int run = (int) Math.max(1, CacheSizes.l2() / 2 / (8L * (hi - lo) * l));
        for (int n0 = 0; n0 < g.n(); n0 += run) {
          if (taps.unmoved == 1) {
            Vec.dots1(x, xOff, dy, dyOff, n0, Math.min(g.n(), n0 + run), taps.groups, lo, hi, taps.count, acc);
          }
          for (int k = taps.unmoved; k < taps.count; k += CHAINS) {
            Vec.dots3(x, xOff, dy, dyOff, n0, Math.min(g.n(), n0 + run), taps.groups, lo, hi, taps.shuffles, k,
                acc);
          }
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
   * The filter's taps that reach inside the plane for at least one lane, merged into classes of one lane
   * permutation each, in the order their first taps come in the filter but the unmoved class (du = dv = 0) first,
   * with fillers (nowhere inside) up to a multiple of {@link #CHAINS} (not counting the unmoved class where that
   * one is swept {@link #unmoved apart}). A tap moves a lane by (du, dv) within its plane; the class is (du mod h,
   * dv mod w) and its permutation the plane's cyclic rotation by that much: where the tap reaches inside, the
   * rotation is the move itself, and of the taps in a class (du and du + h cannot both land inside an h-row plane)
   * each lane is reached by at most one, so one permutation times a vector of each lane's own tap weight does the
   * class's work. On 2x2 planes a 3x3 filter's nine taps make four classes; a 5x5 filter on 4x4 planes has 16
   * classes for 25 taps. Forward (direction 1), output (i, j) reads input (i + a dh - padTop, j + b dw - padLeft)
   * for tap (a, b); backward data (direction -1), dx (i, j) reads dy (i - a dh + padTop, j - b dw + padLeft).
   */
  private static final class Taps {
    final int hw;
    /** Taps of the whole filter (r s). */
    final int filter;
    /** Planes per vector (G). */
    final int perVector;
    /** Vectors of channels per image. */
    final int groups;
    /** Classes, fillers included. */
    final int count;
    /** 1 when class 0 is the unmoved one (du = dv = 0), which needs no permutation; otherwise 0. */
    final int unmoved;
    /**
     * Per class and lane, where its weight lies from the first filter of its channel vector (0 where no tap of the
     * class reaches inside the plane, see {@link #unreached}): a gather's indexes, worked out once, not by dividing
     * the lane by the plane's size for every float of every call (without that division, forward and backward data
     * on 960-channel 2x2 planes ran 1.2x faster at batch 16 and 1.07x at batch 64, one AMD EPYC thread,
     * alternating builds).
     */
    final int[][] gatherIndex;
    /** Per class and lane, whether no tap of the class reaches inside the plane there (the gathered lane cleared). */
    final boolean[][] unreached;
    final VectorShuffle<Float>[] shuffles;

    Taps(ConvGeom g, int direction) {
      int l = Simd.LANES;
      hw = g.h() * g.w();
      perVector = l / hw;
      groups = g.c() / perVector;
      filter = g.r() * g.s();
      int[] rowShift = new int[filter];
      int[] colShift = new int[filter];
      int[][] tapOf = new int[filter][];
      int n = 0;
      for (int a = 0; a < g.r(); a++) {
        for (int b = 0; b < g.s(); b++) {
          int du = direction * (a * g.dilationH() - g.padTop());
          int dv = direction * (b * g.dilationW() - g.padLeft());
          if (Math.abs(du) >= g.h() || Math.abs(dv) >= g.w()) {
            continue;
          }
          int du0 = Math.floorMod(du, g.h());
          int dv0 = Math.floorMod(dv, g.w());
          int k = 0;
          while (k < n && (rowShift[k] != du0 || colShift[k] != dv0)) {
            k++;
          }
          if (k == n) {
            // A new class, appended; the unmoved one goes first, where the sweeps skip its permutation.
            k = du0 == 0 && dv0 == 0 ? 0 : n;
            System.arraycopy(rowShift, k, rowShift, k + 1, n - k);
            System.arraycopy(colShift, k, colShift, k + 1, n - k);
            System.arraycopy(tapOf, k, tapOf, k + 1, n - k);
            rowShift[k] = du0;
            colShift[k] = dv0;
            tapOf[k] = noTaps(l);
            n++;
          }
          for (int lane = 0; lane < l; lane++) {
            int i = lane % hw / g.w() + du;
            int j = lane % g.w() + dv;
            if (i >= 0 && i < g.h() && j >= 0 && j < g.w()) {
              tapOf[k][lane] = a * g.s() + b;
            }
          }
        }
      }
      // The unmoved class skips its permutation where that saves a filler (four classes: 1 + 3, not 6; nine: 9).
      int plain = (n + CHAINS - 1) / CHAINS * CHAINS;
      int apart = 1 + (n - 1 + CHAINS - 1) / CHAINS * CHAINS;
      unmoved = n > 0 && rowShift[0] == 0 && colShift[0] == 0 && apart < plain ? 1 : 0;
      count = unmoved == 1 ? apart : plain;
      // Per class and lane, the filter tap (a s + b) that reaches inside the plane there, or -1.
      int[][] tapAt = new int[count][];
      gatherIndex = new int[count][l];
      unreached = new boolean[count][l];
      shuffles = shuffles(g, rowShift, colShift, n, count);
      for (int k = 0; k < count; k++) {
        tapAt[k] = k < n ? tapOf[k] : noTaps(l);
        for (int lane = 0; lane < l; lane++) {
          unreached[k][lane] = tapAt[k][lane] < 0;
          gatherIndex[k][lane] = unreached[k][lane] ? 0 : lane / hw * filter + tapAt[k][lane];
        }
      }
    }

    /** Every lane without a tap (-1): a new class before its taps are added, and the fillers. */
    private static int[] noTaps(int l) {
      int[] none = new int[l];
      java.util.Arrays.fill(none, -1);
      return none;
    }

    /** Per class, each lane's source under the plane's rotation by (du0, dv0); the identity for fillers. */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] shuffles(ConvGeom g, int[] rowShift, int[] colShift, int n, int count) {
      int l = Simd.LANES;
      int hw = g.h() * g.w();
      VectorShuffle<Float>[] shuffles = new VectorShuffle[count];
      int[] index = new int[l];
      for (int k = 0; k < count; k++) {
        for (int lane = 0; lane < l; lane++) {
          int i = (lane % hw / g.w() + (k < n ? rowShift[k] : 0)) % g.h();
          int j = (lane % g.w() + (k < n ? colShift[k] : 0)) % g.w();
          index[lane] = lane / hw * hw + i * g.w() + j;
        }
        shuffles[k] = VectorShuffle.fromArray(Vec.S, index, 0);
      }
      return shuffles;
    }

    /**
     * Where the given lane of channel vector cg takes its weight for class k in a filter tensor (C, r, s), or -1
     * where no tap of the class reaches inside (or k is a filler): the weight gradient adds there.
     */
    int weightAt(int cg, int k, int lane) {
      return unreached[k][lane] ? -1 : cg * perVector * filter + gatherIndex[k][lane];
    }

    /** Per channel vector and class, each lane's weight for its tap of the class, zero where none reaches inside. */
    float[] weights(float[] w, int wOff) {
      int l = Simd.LANES;
      float[] wt = new float[groups * count * l];
      for (int cg = 0; cg < groups; cg++) {
        Vec.gather(w, wOff + cg * perVector * filter, this, wt, cg * count * l);
      }
      return wt;
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * wt[to + k * lanes ..] = class k's weights of the channel vector whose filters start at w[first], zero where
     * no tap reaches: one gather per class, those lanes then cleared (measured 1.03-1.08x on the forward and
     * backward data of 2x2 planes at batch 16 and 32 against the floats one by one, one AMD EPYC thread).
     */
    static void gather(float[] w, int first, Taps t, float[] wt, int to) {
      int l = S.length();
      for (int k = 0; k < t.count; k++) {
        FloatVector.fromArray(S, w, first, t.gatherIndex[k], 0).blend(0f, VectorMask.fromArray(S, t.unreached[k], 0))
            .intoArray(wt, to + k * l);
      }
    }

    /**
     * dst vector v = bias[v % groups] + the sum over the classes k of src vector v permuted by shuffles[k] times
     * wt's vector (v % groups) * count + k, for v in [from, to); when unmoved is 1, class 0 is added unpermuted with
     * the bias. In runs of {@link #RUN} vectors, nine classes (or three) per sweep over a run, each sweep adding to
     * dst, or the unmoved class and three more in one sweep ({@link #sum4}): a sweep's shuffles stay in registers
     * (taken from the array inside the loop, each permute also converted and checked the shuffle again: 1.6x slower
     * on 2x2 planes).
     */
    static void sum(float[] src, int srcOff, float[] dst, int dstOff, int from, int to, int groups,
        VectorShuffle<Float>[] shuffles, int unmoved, float[] wt, float[] bias) {
      int l = S.length();
      for (int r0 = from; r0 < to; r0 += RUN) {
        int r1 = Math.min(to, r0 + RUN);
        if (unmoved == 1 && shuffles.length == 1 + CHAINS) {
          sum4(src, srcOff, dst, dstOff, r0, r1, groups, shuffles, wt, bias);
          continue;
        }
        if (unmoved == 0) {
          for (int v = r0, cg = r0 % groups; v < r1; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
            FloatVector.fromArray(S, bias, cg * l).intoArray(dst, dstOff + v * l);
          }
        } else {
          int count = shuffles.length;
          for (int v = r0, cg = r0 % groups; v < r1; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
            FloatVector.fromArray(S, src, srcOff + v * l).fma(FloatVector.fromArray(S, wt, cg * count * l),
                FloatVector.fromArray(S, bias, cg * l)).intoArray(dst, dstOff + v * l);
          }
        }
        int k = unmoved;
        for (; k + 9 <= shuffles.length; k += 9) {
          sum9(src, srcOff, dst, dstOff, r0, r1, groups, shuffles, k, wt);
        }
        for (; k < shuffles.length; k += CHAINS) {
          sum3(src, srcOff, dst, dstOff, r0, r1, groups, shuffles, k, wt);
        }
      }
    }

    /**
     * {@link #sum} in one sweep where the classes are the unmoved one and three more (3x3 and 5x5 filters on 2x2
     * planes, for instance): each dst vector written once, not written with the unmoved class and read back to add
     * the others. Measured on one AMD EPYC thread, 3x3 on 2x2 planes, 960 and 1152 channels at batch 64, GFLOP/s
     * (every tap counted, padding included): forward 27-42 against 13-30, backward data 33-43 against 24-32, the old
     * code's runs spread widely in that hour (an earlier session measured it at 28-29 forward); at batch 16 level to
     * 1.2x (19-26 against 17-21).
     */
    private static void sum4(float[] src, int srcOff, float[] dst, int dstOff, int from, int to, int groups,
        VectorShuffle<Float>[] shuffles, float[] wt, float[] bias) {
      int l = S.length();
      VectorShuffle<Float> s1 = shuffles[1];
      VectorShuffle<Float> s2 = shuffles[2];
      VectorShuffle<Float> s3 = shuffles[3];
      for (int v = from, cg = from % groups; v < to; v++, cg = cg + 1 == groups ? 0 : cg + 1) {
        int w = cg * shuffles.length * l;
        FloatVector in = FloatVector.fromArray(S, src, srcOff + v * l);
        FloatVector a0 = in.fma(FloatVector.fromArray(S, wt, w), FloatVector.fromArray(S, bias, cg * l));
        FloatVector a1 = in.rearrange(s1).mul(FloatVector.fromArray(S, wt, w + l));
        a0 = in.rearrange(s2).fma(FloatVector.fromArray(S, wt, w + 2 * l), a0);
        a1 = in.rearrange(s3).fma(FloatVector.fromArray(S, wt, w + 3 * l), a1);
        a0.add(a1).intoArray(dst, dstOff + v * l);
      }
    }

    /** Classes k .. k + 8 of {@link #sum} over vectors [from, to), added to dst. */
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

    /** Classes k .. k + 2 of {@link #sum} over vectors [from, to), added to dst. */
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
     * {@link #dots1} and {@link #dots3} where the classes are the unmoved one and three more (3x3 and 5x5 filters on
     * 2x2 planes, for instance), for the images [0, n): channel vector by channel vector, its four sums in registers
     * over all the images, each image's x and dy vectors read once. Measured on one AMD EPYC thread, GFLOP/s (every
     * tap counted: a 5x5 filter's 25 on 2x2 planes do the work of 9), against the images in memory order with the
     * four sums loaded and stored around every product: 3x3 on 960-channel 2x2 planes at batch 64 51-66 against
     * 29-37, batch 16 28-29 against 20-21; 5x5 on 1152 channels at batch 64 142-178 against 96-99; 3x3 on 64
     * channels at batch 128 67-81 against 36; 640 channels (an image 10 KB) 53-54 against 26-33. Not where an
     * image's channel vectors span a multiple of 4 KB, so that one channel vector's vectors of every image fall into
     * one L1 set ({@link #dots4InOrder} there): 1024 channels of 2x2 planes ran 22-47 against 28-35 in memory order,
     * 512 under 5x5 71-135 against 72-97. The other sweeps keep memory order: the same loop for the unmoved class
     * alone, 1x1 planes of 1024 channels at batch 128 (4 KB an image), ran 35-45 against 100-121.
     */
    static void dots4(float[] x, int xOff, float[] dy, int dyOff, int n, int groups, int cgLo, int cgHi,
        VectorShuffle<Float>[] shuffles, float[] acc) {
      int l = S.length();
      VectorShuffle<Float> s1 = shuffles[1];
      VectorShuffle<Float> s2 = shuffles[2];
      VectorShuffle<Float> s3 = shuffles[3];
      for (int cg = cgLo; cg < cgHi; cg++) {
        int a = (cg - cgLo) * shuffles.length * l;
        FloatVector c0 = FloatVector.fromArray(S, acc, a);
        FloatVector c1 = FloatVector.fromArray(S, acc, a + l);
        FloatVector c2 = FloatVector.fromArray(S, acc, a + 2 * l);
        FloatVector c3 = FloatVector.fromArray(S, acc, a + 3 * l);
        for (int i = 0; i < n; i++) {
          int v = (i * groups + cg) * l;
          FloatVector in = FloatVector.fromArray(S, x, xOff + v);
          FloatVector d = FloatVector.fromArray(S, dy, dyOff + v);
          c0 = in.fma(d, c0);
          c1 = in.rearrange(s1).fma(d, c1);
          c2 = in.rearrange(s2).fma(d, c2);
          c3 = in.rearrange(s3).fma(d, c3);
        }
        c0.intoArray(acc, a);
        c1.intoArray(acc, a + l);
        c2.intoArray(acc, a + 2 * l);
        c3.intoArray(acc, a + 3 * l);
      }
    }

    /** {@link #dots4} in memory order, its four sums loaded and stored around every product. */
    static void dots4InOrder(float[] x, int xOff, float[] dy, int dyOff, int n, int groups, int cgLo, int cgHi,
        VectorShuffle<Float>[] shuffles, float[] acc) {
      int l = S.length();
      int count = shuffles.length;
      VectorShuffle<Float> s1 = shuffles[1];
      VectorShuffle<Float> s2 = shuffles[2];
      VectorShuffle<Float> s3 = shuffles[3];
      for (int i = 0; i < n; i++) {
        for (int cg = cgLo; cg < cgHi; cg++) {
          int v = (i * groups + cg) * l;
          int a = (cg - cgLo) * count * l;
          FloatVector in = FloatVector.fromArray(S, x, xOff + v);
          FloatVector d = FloatVector.fromArray(S, dy, dyOff + v);
          in.fma(d, FloatVector.fromArray(S, acc, a)).intoArray(acc, a);
          in.rearrange(s1).fma(d, FloatVector.fromArray(S, acc, a + l)).intoArray(acc, a + l);
          in.rearrange(s2).fma(d, FloatVector.fromArray(S, acc, a + 2 * l)).intoArray(acc, a + 2 * l);
          in.rearrange(s3).fma(d, FloatVector.fromArray(S, acc, a + 3 * l)).intoArray(acc, a + 3 * l);
        }
      }
    }

    /** {@link #dots3}'s sum for the unmoved class 0 alone: dy times x, no permutation. */
    static void dots1(float[] x, int xOff, float[] dy, int dyOff, int n0, int n1, int groups, int cgLo, int cgHi,
        int count, float[] acc) {
      int l = S.length();
      for (int i = n0; i < n1; i++) {
        for (int cg = cgLo; cg < cgHi; cg++) {
          int v = (i * groups + cg) * l;
          int a = (cg - cgLo) * count * l;
          FloatVector.fromArray(S, x, xOff + v).fma(FloatVector.fromArray(S, dy, dyOff + v),
              FloatVector.fromArray(S, acc, a)).intoArray(acc, a);
        }
      }
    }

    /**
     * acc[((cg - cgLo) * count + k) * L + lane] += the sum over images i in [n0, n1) of dy's vector i * groups + cg
     * times x's permuted by shuffles[k], for cg in [cgLo, cgHi) and classes k .. k + 2: each image's run of channel
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
