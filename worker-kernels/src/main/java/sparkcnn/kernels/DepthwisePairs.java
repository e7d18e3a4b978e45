package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise forward of 5x5 filters at stride 2, read straight from the unpadded plane as pairs of columns: no
 * stride phases, no frame.
 *
 * <p>Output (i, j) sums w(a, b) x(2i + a - padTop, 2j + b - padLeft) over b = 0..4, and the five columns it reads
 * are three 64-bit pairs of x's row: columns (2j + d, 2j + d + 1) for d = -padLeft (taps 0, 1), 2 - padLeft (taps 2,
 * 3) and 3 - padLeft (taps 3, 4; the first weighted by zero). A vector loaded at column 2 j0 + d holds those pairs
 * for outputs j0 .. j0 + L / 2 - 1, so one FMA per pair with the weight vector (w(a, b), w(a, b + 1), repeated)
 * does the work of two taps for half a vector of outputs: 15 FMAs per filter row for a vector of outputs, where
 * the phases take 5 a vector but first split the plane into its even and odd columns. Each output is then the sum
 * of its pair's two lanes, and the even lanes of two such vectors make one vector of y (two rearranges and a
 * blend).
 *
 * <p>Why: the phase split ({@link FramedPlanes#padStride2}) narrowed each vector of x to its even and odd halves,
 * two narrowings and two stores per 16 floats, and measured on one AMD EPYC thread took 640-740 ns of a 56x56 plane
 * that the whole forward took 1.2 us on from cache. The zero-weighted lane reads a column its output reads anyway
 * (tap 3's), so a NaN there reaches only the outputs the direct sum sends it to.
 *
 * <p>Rows are swept as in {@link DepthwiseSweep}: an input row u feeds output rows (u + padTop - a) / 2 for the
 * filter rows a of its parity, from registers. Rows above and below the plane are read from a zero row. Lanes
 * outside the row are cleared, for the loads that take padding into a kept output only (at the plane's left and
 * right edges). Blocks of L outputs go right to left: the last block's lanes past q land in the next row, written
 * later, and past the plane by up to a vector, the caller's room.
 */
final class DepthwisePairs {
  private DepthwisePairs() {}

  /** 5x5 at stride 2 both ways, undilated, padding inside the filter, given the Vector API. */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 5 && g.s() == 5 && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < 5 && g.padBottom() < 5 && g.padLeft() < 5
        && g.padRight() < 5;
  }

  /** Floats a plane's loads reach before its first float: the left padding. */
  static int before(ConvGeom g) {
    return g.padLeft();
  }

  /** Floats the loads reach past the plane's last float (the last block's second half, 2L + 3 from its start). */
  static int after(ConvGeom g) {
    int l = Simd.LANES;
    return Math.max(0, 2 * ((g.q() - 1) / l * l) - g.padLeft() + 2 * l + 3 - g.w());
  }

  /** Floats of the scratch {@link #plane} needs: the weights' vectors, then a block's sums for every row. */
  static int sums(ConvGeom g) {
    return (g.p() + 10) * 2 * Simd.LANES;
  }

  /** Whether every load of the plane at x[plane] stays inside x (the first and last planes of a tensor may not). */
  static boolean inPlace(float[] x, int plane, ConvGeom g) {
    return plane - before(g) >= 0 && plane + (long) g.h() * g.w() + after(g) <= x.length;
  }

  /**
   * y[yOff + i * q + j] = bias + the sum of the taps, for i &lt; p and j &lt; q, from the plane at x[plane] (its loads
   * inside x: {@link #inPlace}), wts the plane's 25 weights. Writes up to a vector past the plane's outputs; sums is
   * this thread's scratch ({@link #sums} floats).
   */
  static void plane(float[] x, int plane, float[] wts, float bias, float[] sums, float[] y, int yOff, ConvGeom g) {
    Vec.sweep(x, plane, g.h(), g.w(), g.padTop(), g.padLeft(), wts, bias, sums, y, yOff, g.p(), g.q());
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Read for the rows above and below the plane: a block's loads reach 2L + 3 floats. */
    static final float[] ZEROS = new float[2 * S.length() + 4];

    /** Lanes 1, 3, 5, ... */
    private static final VectorMask<Float> ODD = VectorMask.fromLong(S, 0xAAAAAAAAAAAAAAAAL);

    /** dst[at ..] = (even, odd) repeated over a vector's pairs. */
    private static void pair(float even, float odd, float[] dst, int at) {
      FloatVector.broadcast(S, even).blend(odd, ODD).intoArray(dst, at);
    }

    /** Each pair's two lanes summed, into its even lane (the odd lane keeps its own value). */
    private static FloatVector pairSums(FloatVector v) {
      return v.add(v.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32).reinterpretAsFloats());
    }

    private static boolean clears(int first, int cols, int kept) {
      return first < 0 || first + kept > cols;
    }

    /**
     * The blocks of L outputs right to left: each block's rows of pair sums into the scratch ({@link #block}, a
     * compilation of its own), then narrowed into y here. Why apart: with the narrowing in the block's loop (and the
     * weights' vectors built there) C2 passed its node budget, left the narrowing's calls uninlined and boxed their
     * vectors (3-9 GFLOP/s); building the weights' vectors here with scalar stores and a new array a plane cost a
     * third of the pass on 56x56 planes.
     */
    static void sweep(float[] x, int plane, int rows, int cols, int padTop, int padLeft, float[] wts, float bias,
        float[] sums, float[] y, int yOff, int p, int q) {
      int l = S.length();
      // Per filter row a: (w(a, 0), w(a, 1)), (w(a, 2), w(a, 3)), (0, w(a, 4)) repeated, each a vector; then
      // (bias, 0). In the scratch's first 16 vectors, the blocks' sums after them.
      for (int a = 0; a < 5; a++) {
        pair(wts[5 * a], wts[5 * a + 1], sums, 3 * a * l);
        pair(wts[5 * a + 2], wts[5 * a + 3], sums, (3 * a + 1) * l);
        pair(0f, wts[5 * a + 4], sums, (3 * a + 2) * l);
      }
      pair(bias, 0f, sums, 15 * l);
      for (int j0 = (q - 1) / l * l; j0 >= 0; j0 -= l) {
        block(x, plane, rows, cols, padTop, 2 * j0 - padLeft, sums, p, Math.min(l, q - j0));
        for (int i = 0, d = yOff + j0; i < p; i++, d += q) {
          FloatVector done0 = FloatVector.fromArray(S, sums, (i + 10) * 2 * l);
          FloatVector done1 = FloatVector.fromArray(S, sums, (i + 10) * 2 * l + l);
          LanePairs.evens(pairSums(done0), pairSums(done1)).intoArray(y, d);
        }
      }
    }

    /**
     * One block, outputs j0 .. j0 + L - 1 of every row (kept of them inside the row), reading x from column c = 2 j0
     * - padLeft: the pair sums of output row i - 2 (its two halves, L lanes each) at sums[(i + 8) 2L], for i = 2 to
     * p + 1; the weights' vectors from sums[0 .. 16 L).
     */
    static void block(float[] x, int plane, int rows, int cols, int padTop, int c, float[] sums, int p,
        int kept) {
      float[] pw = sums;
      int l = S.length();
      FloatVector a0 = FloatVector.fromArray(S, pw, 0), b0 = FloatVector.fromArray(S, pw, l);
      FloatVector c0 = FloatVector.fromArray(S, pw, 2 * l), a1 = FloatVector.fromArray(S, pw, 3 * l);
      FloatVector b1 = FloatVector.fromArray(S, pw, 4 * l), c1 = FloatVector.fromArray(S, pw, 5 * l);
      FloatVector a2 = FloatVector.fromArray(S, pw, 6 * l), b2 = FloatVector.fromArray(S, pw, 7 * l);
      FloatVector c2 = FloatVector.fromArray(S, pw, 8 * l), a3 = FloatVector.fromArray(S, pw, 9 * l);
      FloatVector b3 = FloatVector.fromArray(S, pw, 10 * l), c3 = FloatVector.fromArray(S, pw, 11 * l);
      FloatVector a4 = FloatVector.fromArray(S, pw, 12 * l), b4 = FloatVector.fromArray(S, pw, 13 * l);
      FloatVector c4 = FloatVector.fromArray(S, pw, 14 * l), start = FloatVector.fromArray(S, pw, 15 * l);
      FloatVector zero = FloatVector.zero(S);
      int h = l / 2;
      // Lanes of kept outputs in each half of the block (2 an output).
      int kept0 = 2 * Math.min(h, kept);
      int kept1 = 2 * Math.max(0, kept - h);
      VectorMask<Float> mA0 = DepthwiseUnpaddedSweep.Vec.outside(c, cols);
      VectorMask<Float> mB0 = DepthwiseUnpaddedSweep.Vec.outside(c + 2, cols);
      VectorMask<Float> mC0 = DepthwiseUnpaddedSweep.Vec.outside(c + 3, cols);
      VectorMask<Float> mA1 = DepthwiseUnpaddedSweep.Vec.outside(c + l, cols);
      VectorMask<Float> mB1 = DepthwiseUnpaddedSweep.Vec.outside(c + l + 2, cols);
      VectorMask<Float> mC1 = DepthwiseUnpaddedSweep.Vec.outside(c + l + 3, cols);
      boolean kA0 = clears(c, cols, kept0);
      boolean kB0 = clears(c + 2, cols, kept0);
      boolean kC0 = clears(c + 3, cols, kept0);
      boolean kA1 = kept1 > 0 && clears(c + l, cols, kept1);
      boolean kB1 = kept1 > 0 && clears(c + l + 2, cols, kept1);
      boolean kC1 = kept1 > 0 && clears(c + l + 3, cols, kept1);
      // Open sums of output rows i - 1 (two) and i (one), for each half of the block. The loads' clears are written
      // out: through DepthwiseUnpaddedSweep.Vec.load the block passed C2's node budget again (4-5 GFLOP/s).
      FloatVector two0 = start, two1 = start, one0 = start, one1 = start;
      for (int i = 0; i <= p + 1; i++) {
        // Padded row 2i: filter row 4 of output i - 2 (done), 2 of i - 1, 0 of i.
        int u = 2 * i - padTop;
        float[] s = u >= 0 && u < rows ? x : ZEROS;
        int o = s == x ? plane + u * cols + c : 0;
        FloatVector xa = FloatVector.fromArray(S, s, o);
        FloatVector xb = FloatVector.fromArray(S, s, o + 2);
        FloatVector xc = FloatVector.fromArray(S, s, o + 3);
        if (kA0) {
          xa = xa.blend(zero, mA0);
        }
        if (kB0) {
          xb = xb.blend(zero, mB0);
        }
        if (kC0) {
          xc = xc.blend(zero, mC0);
        }
        FloatVector done0 = xc.fma(c4, xb.fma(b4, xa.fma(a4, two0)));
        two0 = xc.fma(c2, xb.fma(b2, xa.fma(a2, one0)));
        one0 = xc.fma(c0, xb.fma(b0, xa.fma(a0, start)));
        xa = FloatVector.fromArray(S, s, o + l);
        xb = FloatVector.fromArray(S, s, o + l + 2);
        xc = FloatVector.fromArray(S, s, o + l + 3);
        if (kA1) {
          xa = xa.blend(zero, mA1);
        }
        if (kB1) {
          xb = xb.blend(zero, mB1);
        }
        if (kC1) {
          xc = xc.blend(zero, mC1);
        }
        FloatVector done1 = xc.fma(c4, xb.fma(b4, xa.fma(a4, two1)));
        two1 = xc.fma(c2, xb.fma(b2, xa.fma(a2, one1)));
        one1 = xc.fma(c0, xb.fma(b0, xa.fma(a0, start)));
        done0.intoArray(sums, (i + 8) * 2 * l);
        done1.intoArray(sums, (i + 8) * 2 * l + l);
        // Padded row 2i + 1: filter row 3 of output i - 1, 1 of i.
        u++;
        s = u >= 0 && u < rows ? x : ZEROS;
        o = s == x ? plane + u * cols + c : 0;
        xa = FloatVector.fromArray(S, s, o);
        xb = FloatVector.fromArray(S, s, o + 2);
        xc = FloatVector.fromArray(S, s, o + 3);
        if (kA0) {
          xa = xa.blend(zero, mA0);
        }
        if (kB0) {
          xb = xb.blend(zero, mB0);
        }
        if (kC0) {
          xc = xc.blend(zero, mC0);
        }
        two0 = xc.fma(c3, xb.fma(b3, xa.fma(a3, two0)));
        one0 = xc.fma(c1, xb.fma(b1, xa.fma(a1, one0)));
        xa = FloatVector.fromArray(S, s, o + l);
        xb = FloatVector.fromArray(S, s, o + l + 2);
        xc = FloatVector.fromArray(S, s, o + l + 3);
        if (kA1) {
          xa = xa.blend(zero, mA1);
        }
        if (kB1) {
          xb = xb.blend(zero, mB1);
        }
        if (kC1) {
          xc = xc.blend(zero, mC1);
        }
        two1 = xc.fma(c3, xb.fma(b3, xa.fma(a3, two1)));
        one1 = xc.fma(c1, xb.fma(b1, xa.fma(a1, one1)));
      }
    }
  }
}
