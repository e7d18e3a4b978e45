package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Square 3x3 and 5x5 depthwise filters at row stride 1 or 2, swept down a padded frame one vector-wide column at a
 * time: each input row's taps are loaded once and feed, from registers, every output row they reach. The forward
 * sum at stride 1 is {@link DepthwiseUnpaddedSweep}'s, which reads the plane in place, in bands that stay in L1.
 *
 * <p>Why: a flattened weighted sum ({@link DepthwiseRowMath#combine}) loads a vector per multiply-add, and with
 * 512-bit vectors almost every such load straddles two cache lines; measured there at 1.75-2.9 cycles per FMA on
 * AMD Zen 4, where the FMA unit takes one a cycle. Swept down a column, a 3x3 filter loads 3 vectors per 9
 * multiply-adds and a 5x5 one 5 per 25; the filter stays in registers for the whole plane. Each tap is one FMA
 * into its output row's running sum: the chain a sum carries from row to row is long (r FMAs a filter row), but
 * nothing waits on it, since the next input rows open sums of their own (an earlier form summed each filter row
 * apart and added it, one instruction more a row; see {@link DepthwiseUnpaddedSweep}).
 */
final class DepthwiseSweep {
  private DepthwiseSweep() {}

  /**
   * Whether an r x s filter at row stride sh is swept: by {@link #combine} at stride 2 and {@link
   * DepthwiseUnpaddedSweep#combine} at stride 1; the weight gradient by {@link #dots}, or for 5x5 at stride 1 by
   * {@link DepthwiseUnpaddedSweep#dots5}.
   */
  static boolean applies(int r, int s, int sh) {
    return Simd.AVAILABLE && r == s && (r == 3 || r == 5) && (sh == 1 || sh == 2);
  }

  /**
   * dst[dstOff + i * q + j] = bias + the sum over taps (a, b) of wts[a * r + b] * src[row(2i + a) + col[b] + j],
   * for i &lt; p, j &lt; q (a dense plane), where row(u) = (u % 2) * phaseStride + (u / 2) * width: the frame's
   * padded row u lies in row phase u % 2 (stride 2). src must be readable up to q rounded up to whole vectors past each
   * row's columns. Every store is a whole vector (a row's last one reaches into the next rows, which are written
   * after it), so up to a vector past the plane is overwritten too: a partial store ran the sweep at a third of
   * its speed on 14x14 planes.
   */
  static void combine(float[] src, int phaseStride, int width, int[] col, float[] wts, int r, float bias,
      float[] dst, int dstOff, int p, int q) {
    // One method per filter size and stride (stride 1 in DepthwiseUnpaddedSweep), each with its own JIT profile:
    // with the strides as two branches of one method, a stride-2 layer run after a stride-1 one ran at a third of
    // its speed (measured 5 against 18 GFLOP/s), the branch compiled as rarely taken.
    if (r == 3) {
      Vec.sweep3s2(src, phaseStride, width, col, wts, bias, dst, dstOff, p, q);
    } else {
      Vec.sweep5s2(src, phaseStride, width, col, wts, bias, dst, dstOff, p, q);
    }
  }

  /**
   * The weight gradient's partial sums: for every tap (a, b), acc[(first + a * r + b) * lanes + lane] += the sum over
   * i &lt; p and j &lt; dyWidth, j in the lane's residue class, of src[row(i * sh + a) + col[b] + j] *
   * dy[dyOff + i * dyWidth + j], rows as in {@link #combine}. dy is read as it is, dyWidth = q, and must be
   * readable a vector past its last row: each row's load clears its lanes past q, and the rows past p the sweep
   * still reads are the last row's load with every lane cleared (a padded copy of dy with zeros there cost
   * 1.08-1.1x; a zero chosen by a branch would box the vector). src holds every phase's rows up to the last dy
   * row's reach and is readable a vector past it.
   *
   * <p>Swept down each vector-wide column like {@link #combine}: an input row's taps are loaded once and meet, in
   * registers, every dy row they contribute to, so a 3x3 filter loads 4 vectors per 9 multiply-adds (a running
   * dot product per tap loads 2 per 1). One accumulator per tap for the whole plane. 3x3 at stride 1 and 2, 5x5 at
   * stride 2; 5x5 at stride 1 is {@link DepthwiseUnpaddedSweep#dots5}, x in place.
   */
  static void dots(float[] src, int phaseStride, int width, int sh, int[] col, int r, float[] dy, int dyOff,
      int dyWidth, int p, float[] acc, int first) {
    int l = Vec.S.length();
    int at = first * l;
    if (r == 3 && sh == 1) {
      Vec.dots3(src, width, col, dy, dyOff, dyWidth, p, acc, at);
    } else if (r == 3) {
      Vec.dots3s2(src, phaseStride, width, col, dy, dyOff, dyWidth, p, acc, at);
    } else if (sh == 2) {
      Vec.dots5s2x3(src, phaseStride, width, col[0], col[1], col[2], dy, dyOff, dyWidth, p, acc, at, at + l,
          at + 2 * l);
      Vec.dots5s2x2(src, phaseStride, width, col[3], col[4], dy, dyOff, dyWidth, p, acc, at + 3 * l, at + 4 * l);
    } else {
      throw new IllegalArgumentException("5x5 at stride 1 is DepthwiseUnpaddedSweep.dots5");
    }
  }

  /**
   * Loaded only when the Vector API is present. dy's lanes past a row's end are cleared by an AND with int bits,
   * written out at each load ({@link DepthwiseUnpaddedSweep.Vec#inside} says why).
   */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector w(float[] wts, int t) {
      return FloatVector.broadcast(S, wts[t]);
    }

    private static FloatVector x(float[] src, int at) {
      return FloatVector.fromArray(S, src, at);
    }

    /**
     * 3x3, stride 2: output row i reads padded rows 2i (phase 0, row i), 2i + 1 (phase 1, row i) and 2i + 2
     * (phase 0, row i + 1), so phase-0 row i completes output row i - 1 and starts row i.
     */
    static void sweep3s2(float[] src, int phaseStride, int width, int[] col, float[] wts, float bias,
        float[] dst, int dstOff, int p, int q) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      int l = S.length();
      FloatVector b0 = FloatVector.broadcast(S, bias);
      // The last, partial column of vectors first: its stores reach into the next rows, written after them.
      for (int j = (q - 1) / l * l; j >= 0; j -= l) {
        int c0 = col[0] + j;
        int c1 = col[1] + j;
        int c2 = col[2] + j;
        FloatVector open = b0;
        int d = dstOff + j - q;
        for (int i = 0, o = 0; i <= p; i++, o += width, d += q) {
          FloatVector x0 = x(src, o + c0);
          FloatVector x1 = x(src, o + c1);
          FloatVector x2 = x(src, o + c2);
          FloatVector done = x2.fma(w22, x1.fma(w21, x0.fma(w20, open)));
          if (i > 0) {
            done.intoArray(dst, d);
          }
          if (i == p) {
            break;
          }
          open = x2.fma(w02, x1.fma(w01, x0.fma(w00, b0)));
          int o1 = o + phaseStride;
          x0 = x(src, o1 + c0);
          x1 = x(src, o1 + c1);
          x2 = x(src, o1 + c2);
          open = x2.fma(w12, x1.fma(w11, x0.fma(w10, open)));
        }
      }
    }

    /**
     * 5x5, stride 2: output row i reads padded rows 2i to 2i + 4. Phase-0 row i (padded row 2i) completes
     * output row i - 2 (filter row 4), continues row i - 1 (filter row 2) and starts row i (filter row 0); phase-1
     * row i (padded row 2i + 1) continues rows i - 1 (filter row 3) and i (filter row 1).
     */
    static void sweep5s2(float[] src, int phaseStride, int width, int[] col, float[] wts, float bias,
        float[] dst, int dstOff, int p, int q) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2), w03 = w(wts, 3), w04 = w(wts, 4);
      FloatVector w10 = w(wts, 5), w11 = w(wts, 6), w12 = w(wts, 7), w13 = w(wts, 8), w14 = w(wts, 9);
      FloatVector w20 = w(wts, 10), w21 = w(wts, 11), w22 = w(wts, 12), w23 = w(wts, 13), w24 = w(wts, 14);
      FloatVector w30 = w(wts, 15), w31 = w(wts, 16), w32 = w(wts, 17), w33 = w(wts, 18), w34 = w(wts, 19);
      FloatVector w40 = w(wts, 20), w41 = w(wts, 21), w42 = w(wts, 22), w43 = w(wts, 23), w44 = w(wts, 24);
      int l = S.length();
      FloatVector b0 = FloatVector.broadcast(S, bias);
      // The last, partial column of vectors first: its stores reach into the next rows, written after them.
      for (int j = (q - 1) / l * l; j >= 0; j -= l) {
        int c0 = col[0] + j;
        int c1 = col[1] + j;
        int c2 = col[2] + j;
        int c3 = col[3] + j;
        int c4 = col[4] + j;
        FloatVector older = b0;
        FloatVector old = b0;
        int d = dstOff + j - 2 * q;
        for (int i = 0, o = 0; i <= p + 1; i++, o += width, d += q) {
          FloatVector x0 = x(src, o + c0);
          FloatVector x1 = x(src, o + c1);
          FloatVector x2 = x(src, o + c2);
          FloatVector x3 = x(src, o + c3);
          FloatVector x4 = x(src, o + c4);
          FloatVector done = x4.fma(w44, x3.fma(w43, x2.fma(w42, x1.fma(w41, x0.fma(w40, older)))));
          if (i > 1) {
            done.intoArray(dst, d);
          }
          if (i > p) {
            break;
          }
          older = x4.fma(w24, x3.fma(w23, x2.fma(w22, x1.fma(w21, x0.fma(w20, old)))));
          old = x4.fma(w04, x3.fma(w03, x2.fma(w02, x1.fma(w01, x0.fma(w00, b0)))));
          int o1 = o + phaseStride;
          x0 = x(src, o1 + c0);
          x1 = x(src, o1 + c1);
          x2 = x(src, o1 + c2);
          x3 = x(src, o1 + c3);
          x4 = x(src, o1 + c4);
          older = x4.fma(w34, x3.fma(w33, x2.fma(w32, x1.fma(w31, x0.fma(w30, older)))));
          old = x4.fma(w14, x3.fma(w13, x2.fma(w12, x1.fma(w11, x0.fma(w10, old)))));
        }
      }
    }

    /** 3x3, stride 1: input row u meets dy rows u (filter row 0), u - 1 (row 1) and u - 2 (row 2). */
    static void dots3(float[] src, int width, int[] col, float[] dy, int dyOff, int dyWidth, int p, float[] acc,
        int at) {
      int l = S.length();
      for (int j = 0; j < dyWidth; j += l) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00;
        int c0 = col[0] + j;
        int c1 = col[1] + j;
        int c2 = col[2] + j;
        FloatVector d1 = FloatVector.zero(S);
        FloatVector d2 = d1;
        IntVector keptBits = DepthwiseUnpaddedSweep.Vec.below(Math.min(l, dyWidth - j));
        int last = dyOff + (p - 1) * dyWidth + j;
        for (int u = 0, o = 0, e = dyOff + j; u < p + 2; u++, o += width, e += dyWidth) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(u < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x = x(src, o + c0);
          a00 = x.fma(d0, a00);
          a10 = x.fma(d1, a10);
          a20 = x.fma(d2, a20);
          x = x(src, o + c1);
          a01 = x.fma(d0, a01);
          a11 = x.fma(d1, a11);
          a21 = x.fma(d2, a21);
          x = x(src, o + c2);
          a02 = x.fma(d0, a02);
          a12 = x.fma(d1, a12);
          a22 = x.fma(d2, a22);
          d2 = d1;
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at)).intoArray(acc, at);
        a01.add(FloatVector.fromArray(S, acc, at + l)).intoArray(acc, at + l);
        a02.add(FloatVector.fromArray(S, acc, at + 2 * l)).intoArray(acc, at + 2 * l);
        a10.add(FloatVector.fromArray(S, acc, at + 3 * l)).intoArray(acc, at + 3 * l);
        a11.add(FloatVector.fromArray(S, acc, at + 4 * l)).intoArray(acc, at + 4 * l);
        a12.add(FloatVector.fromArray(S, acc, at + 5 * l)).intoArray(acc, at + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at + 6 * l)).intoArray(acc, at + 6 * l);
        a21.add(FloatVector.fromArray(S, acc, at + 7 * l)).intoArray(acc, at + 7 * l);
        a22.add(FloatVector.fromArray(S, acc, at + 8 * l)).intoArray(acc, at + 8 * l);
      }
    }

    /**
     * 3x3, stride 2: phase-0 row m (padded row 2m) meets dy rows m (filter row 0) and m - 1 (row 2), phase-1 row
     * m (padded row 2m + 1) dy row m (filter row 1).
     */
    static void dots3s2(float[] src, int phaseStride, int width, int[] col, float[] dy, int dyOff, int dyWidth,
        int p, float[] acc, int at) {
      int l = S.length();
      for (int j = 0; j < dyWidth; j += l) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00;
        int c0 = col[0] + j;
        int c1 = col[1] + j;
        int c2 = col[2] + j;
        FloatVector d1 = FloatVector.zero(S);
        IntVector keptBits = DepthwiseUnpaddedSweep.Vec.below(Math.min(l, dyWidth - j));
        int last = dyOff + (p - 1) * dyWidth + j;
        for (int m = 0, o = 0, e = dyOff + j; m <= p; m++, o += width, e += dyWidth) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(m < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x = x(src, o + c0);
          a00 = x.fma(d0, a00);
          a20 = x.fma(d1, a20);
          x = x(src, o + c1);
          a01 = x.fma(d0, a01);
          a21 = x.fma(d1, a21);
          x = x(src, o + c2);
          a02 = x.fma(d0, a02);
          a22 = x.fma(d1, a22);
          int o1 = o + phaseStride;
          a10 = x(src, o1 + c0).fma(d0, a10);
          a11 = x(src, o1 + c1).fma(d0, a11);
          a12 = x(src, o1 + c2).fma(d0, a12);
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at)).intoArray(acc, at);
        a01.add(FloatVector.fromArray(S, acc, at + l)).intoArray(acc, at + l);
        a02.add(FloatVector.fromArray(S, acc, at + 2 * l)).intoArray(acc, at + 2 * l);
        a10.add(FloatVector.fromArray(S, acc, at + 3 * l)).intoArray(acc, at + 3 * l);
        a11.add(FloatVector.fromArray(S, acc, at + 4 * l)).intoArray(acc, at + 4 * l);
        a12.add(FloatVector.fromArray(S, acc, at + 5 * l)).intoArray(acc, at + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at + 6 * l)).intoArray(acc, at + 6 * l);
        a21.add(FloatVector.fromArray(S, acc, at + 7 * l)).intoArray(acc, at + 7 * l);
        a22.add(FloatVector.fromArray(S, acc, at + 8 * l)).intoArray(acc, at + 8 * l);
      }
    }

    /**
     * 5x5, stride 2, for 3 filter columns (all 25 accumulators at once are more than C2 keeps in registers), column
     * b's taps at atB, atB + 5 lanes, ... (filter rows): phase-0 row m (padded row 2m) meets dy rows m,
     * m - 1 and m - 2 (filter rows 0, 2 and 4), phase-1 row m (padded row 2m + 1) dy rows m and m - 1 (filter rows 1
     * and 3).
     */
    static void dots5s2x3(float[] src, int phaseStride, int width, int col0, int col1, int col2, float[] dy, int dyOff,
        int dyWidth, int p, float[] acc, int at0, int at1, int at2) {
      int l = S.length();
      for (int j = 0; j < dyWidth; j += l) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00;
        FloatVector a22 = a00, a30 = a00, a31 = a00, a32 = a00, a40 = a00, a41 = a00, a42 = a00;
        int c0 = col0 + j;
        int c1 = col1 + j;
        int c2 = col2 + j;
        FloatVector d1 = FloatVector.zero(S);
        FloatVector d2 = d1;
        IntVector keptBits = DepthwiseUnpaddedSweep.Vec.below(Math.min(l, dyWidth - j));
        int last = dyOff + (p - 1) * dyWidth + j;
        for (int m = 0, o = 0, e = dyOff + j; m <= p + 1; m++, o += width, e += dyWidth) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(m < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x = x(src, o + c0);
          a00 = x.fma(d0, a00);
          a20 = x.fma(d1, a20);
          a40 = x.fma(d2, a40);
          x = x(src, o + c1);
          a01 = x.fma(d0, a01);
          a21 = x.fma(d1, a21);
          a41 = x.fma(d2, a41);
          x = x(src, o + c2);
          a02 = x.fma(d0, a02);
          a22 = x.fma(d1, a22);
          a42 = x.fma(d2, a42);
          int o1 = o + phaseStride;
          x = x(src, o1 + c0);
          a10 = x.fma(d0, a10);
          a30 = x.fma(d1, a30);
          x = x(src, o1 + c1);
          a11 = x.fma(d0, a11);
          a31 = x.fma(d1, a31);
          x = x(src, o1 + c2);
          a12 = x.fma(d0, a12);
          a32 = x.fma(d1, a32);
          d2 = d1;
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at0)).intoArray(acc, at0);
        a01.add(FloatVector.fromArray(S, acc, at1)).intoArray(acc, at1);
        a02.add(FloatVector.fromArray(S, acc, at2)).intoArray(acc, at2);
        a10.add(FloatVector.fromArray(S, acc, at0 + 5 * l)).intoArray(acc, at0 + 5 * l);
        a11.add(FloatVector.fromArray(S, acc, at1 + 5 * l)).intoArray(acc, at1 + 5 * l);
        a12.add(FloatVector.fromArray(S, acc, at2 + 5 * l)).intoArray(acc, at2 + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at0 + 10 * l)).intoArray(acc, at0 + 10 * l);
        a21.add(FloatVector.fromArray(S, acc, at1 + 10 * l)).intoArray(acc, at1 + 10 * l);
        a22.add(FloatVector.fromArray(S, acc, at2 + 10 * l)).intoArray(acc, at2 + 10 * l);
        a30.add(FloatVector.fromArray(S, acc, at0 + 15 * l)).intoArray(acc, at0 + 15 * l);
        a31.add(FloatVector.fromArray(S, acc, at1 + 15 * l)).intoArray(acc, at1 + 15 * l);
        a32.add(FloatVector.fromArray(S, acc, at2 + 15 * l)).intoArray(acc, at2 + 15 * l);
        a40.add(FloatVector.fromArray(S, acc, at0 + 20 * l)).intoArray(acc, at0 + 20 * l);
        a41.add(FloatVector.fromArray(S, acc, at1 + 20 * l)).intoArray(acc, at1 + 20 * l);
        a42.add(FloatVector.fromArray(S, acc, at2 + 20 * l)).intoArray(acc, at2 + 20 * l);
      }
    }

    /** {@link #dots5s2x3} for two filter columns. */
    static void dots5s2x2(float[] src, int phaseStride, int width, int col0, int col1, float[] dy, int dyOff,
        int dyWidth, int p, float[] acc, int at0, int at1) {
      int l = S.length();
      for (int j = 0; j < dyWidth; j += l) {
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        FloatVector a40 = a00, a41 = a00;
        int c0 = col0 + j;
        int c1 = col1 + j;
        FloatVector d1 = FloatVector.zero(S);
        FloatVector d2 = d1;
        IntVector keptBits = DepthwiseUnpaddedSweep.Vec.below(Math.min(l, dyWidth - j));
        int last = dyOff + (p - 1) * dyWidth + j;
        for (int m = 0, o = 0, e = dyOff + j; m <= p + 1; m++, o += width, e += dyWidth) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(m < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x = x(src, o + c0);
          a00 = x.fma(d0, a00);
          a20 = x.fma(d1, a20);
          a40 = x.fma(d2, a40);
          x = x(src, o + c1);
          a01 = x.fma(d0, a01);
          a21 = x.fma(d1, a21);
          a41 = x.fma(d2, a41);
          int o1 = o + phaseStride;
          x = x(src, o1 + c0);
          a10 = x.fma(d0, a10);
          a30 = x.fma(d1, a30);
          x = x(src, o1 + c1);
          a11 = x.fma(d0, a11);
          a31 = x.fma(d1, a31);
          d2 = d1;
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at0)).intoArray(acc, at0);
        a01.add(FloatVector.fromArray(S, acc, at1)).intoArray(acc, at1);
        a10.add(FloatVector.fromArray(S, acc, at0 + 5 * l)).intoArray(acc, at0 + 5 * l);
        a11.add(FloatVector.fromArray(S, acc, at1 + 5 * l)).intoArray(acc, at1 + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at0 + 10 * l)).intoArray(acc, at0 + 10 * l);
        a21.add(FloatVector.fromArray(S, acc, at1 + 10 * l)).intoArray(acc, at1 + 10 * l);
        a30.add(FloatVector.fromArray(S, acc, at0 + 15 * l)).intoArray(acc, at0 + 15 * l);
        a31.add(FloatVector.fromArray(S, acc, at1 + 15 * l)).intoArray(acc, at1 + 15 * l);
        a40.add(FloatVector.fromArray(S, acc, at0 + 20 * l)).intoArray(acc, at0 + 20 * l);
        a41.add(FloatVector.fromArray(S, acc, at1 + 20 * l)).intoArray(acc, at1 + 20 * l);
      }
    }
  }
}
