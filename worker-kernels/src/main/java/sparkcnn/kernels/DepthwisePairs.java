package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise forward of 5x5 and 3x3 filters at stride 2, and the 5x5 weight gradient, read straight from the
 * unpadded plane as pairs of columns: no stride phases, no frame.
 *
 * <p>Output (i, j) sums w(a, b) x(2i + a - padTop, 2j + b - padLeft) over b = 0..4, and the five columns it reads
 * are three 64-bit pairs of x's row: columns (2j + d, 2j + d + 1) for d = -padLeft (taps 0, 1), 2 - padLeft (taps 2,
 * 3) and 3 - padLeft (taps 3, 4). A vector loaded at column 2 j0 + d holds those pairs for outputs j0 .. j0 + L / 2
 * - 1, so one FMA per pair with the weight vector (w(a, b), w(a, b + 1), repeated) does the work of two taps for
 * half a vector of outputs: six FMAs per filter row for a vector of outputs, where the phases take five but first
 * split the plane into its even and odd columns. Tap 3, in two pairs, takes half its weight in each (halving is
 * exact), so every lane reads a column of its own output's window and carries a weight that the direct sum gives
 * it: a NaN or an infinity reaches the outputs it reaches there, as what it is (a zero weight on one side made an
 * infinity NaN). Each output is then the sum of its pair's two lanes, and the even lanes of two such vectors make
 * one vector of y (two rearranges and a blend). 3x3: pairs (taps 0, 1) and (1, 2), tap 1 halved. The weight
 * gradient is the same products with dy's half-vector, each float into both lanes of a pair, in place of the
 * weights: 15 vectors of sums a channel (three per filter row), each pair's lanes summed into its two taps at the
 * end (the second sum of tap 3 unused).
 *
 * <p>Why: the phase split ({@link FramedPlanes#padStride2}) narrowed each vector of x to its even and odd halves,
 * two narrowings and two stores per 16 floats, and measured on one AMD EPYC thread took 640-740 ns of a 56x56 plane
 * that the whole forward took 1.2 us on from cache. Measured on one AMD EPYC thread, in one JVM alternating with
 * the phases, GFLOP/s median / best: forward 56x56 b8 144 channels 26.2 / 31.5 against 18.6 / 19.4, 28x28 b16
 * 34.4 / 36.3 against 23.2 / 24.1, 14x14 b32 13.5-14.8 against 9.8-11.1; weight gradient 34.0 / 35.6 against 17.4
 * / 20.1, 32.0 / 33.1 against 16.4 / 17.6, 22.9 / 23.1 against 7.8 / 8.0. 3x3: see {@link #applies}.
 *
 * <p>Rows are swept as in {@link DepthwiseSweep}: an input row u feeds output rows (u + padTop - a) / 2 for the
 * filter rows a of its parity, from registers. Rows above and below the plane are read from a zero row. The
 * forward clears the lanes a load takes from outside its row for kept outputs only (at the plane's left and right
 * edges; the others' sums are overwritten); the weight gradient clears every lane outside the row and those of
 * outputs past q. Blocks of L outputs go right to left: the last block's lanes past q land in the next row,
 * written later, and past the plane by up to a vector, the caller's room.
 */
final class DepthwisePairs {
  private DepthwisePairs() {}

  /**
   * The forward: 5x5 or 3x3 at stride 2 both ways, undilated, padding inside the filter, given the Vector API; 3x3
   * only for output rows of three quarters of a vector up to {@link DepthwiseEvenColumns#ROW_OUTPUTS}. Measured
   * forward on one AMD EPYC thread, 3x3 (one JVM alternating with DepthwiseEvenColumns, median GFLOP/s): 144 56x56 b8
   * 14.9 against 11.7, 192 28x28 b16 18.5 against 11.8, 96 32x32 b128 15.4 against 10.3; but 144 16x16 b128 (rows of
   * 8 outputs, half of each block's lanes idle) 8.3 against 10.5, 576 14x14 b32 7.6 against 9.7, and 96 112x112 b4
   * (rows of 56, which DepthwiseEvenColumns sweeps row by row as they stream from memory) 10.2 against 13.9.
   */
  static boolean applies(ConvGeom g) {
    int r = g.r();
    boolean rows = r == 5 || r == 3 && 4 * g.q() >= 3 * Simd.LANES && g.q() < DepthwiseEvenColumns.ROW_OUTPUTS;
    return Simd.AVAILABLE && g.isDepthwise() && rows && g.s() == r && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < r && g.padBottom() < r && g.padLeft() < r
        && g.padRight() < r;
  }

  /** The weight gradient: 5x5 where {@link #applies}. */
  static boolean appliesToWeights(ConvGeom g) {
    return g.r() == 5 && applies(g);
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

  /** Floats of room {@link #source} copies a plane into: the plane and what its loads reach around it. */
  static int room(ConvGeom g) {
    return before(g) + g.h() * g.w() + after(g);
  }

  /**
   * What the plane at x[plane] is read from: x itself where its loads stay inside it ({@link #inPlace}), otherwise
   * room (at least {@link #room} floats), the plane copied there from index {@link #before}.
   */
  static float[] source(float[] x, int plane, float[] room, ConvGeom g) {
    if (inPlace(x, plane, g)) {
      return x;
    }
    System.arraycopy(x, plane, room, before(g), g.h() * g.w());
    return room;
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
   * inside x: {@link #inPlace}), wts the plane's r x r weights. Writes up to a vector past the plane's outputs; sums is
   * this thread's scratch ({@link #sums} floats).
   */
  static void plane(float[] x, int plane, float[] wts, float bias, float[] sums, float[] y, int yOff, ConvGeom g) {
    Vec.sweep(x, plane, g.h(), g.w(), g.padTop(), g.padLeft(), g.r(), wts, bias, sums, y, yOff, g.p(), g.q());
  }

  /** Floats of a channel's accumulators for {@link #dots}: 15 vectors. */
  static int accumulators() {
    return 15 * Simd.LANES;
  }

  /**
   * The weight gradient's partial sums of one plane: acc[at ..] (see {@link #addInto}) += the products of x's plane
   * at x[plane] (its loads inside x: {@link #inPlace}) with dy's at dy[dyAt] (q wide, readable a vector past its
   * last row).
   */
  static void dots(float[] x, int plane, float[] dy, int dyAt, float[] acc, int at, ConvGeom g) {
    int h = Simd.LANES / 2;
    for (int j0 = 0; j0 < g.q(); j0 += h) {
      Vec.dotsBlock(x, plane, g.h(), g.w(), g.padTop(), 2 * j0 - g.padLeft(), dy, dyAt + j0, g.q(), g.p(),
          Math.min(h, g.q() - j0), acc, at);
    }
  }

  /**
   * dw[dwOff + a * 5 + b] += the taps' sums held at acc[at ..]: per filter row a, three vectors of pairs, (b = 0, 1),
   * (2, 3) and (3, 4), the first lane of each pair summed into the first tap, the second into the second; the third
   * vector's first lanes (a second sum of tap 3) are not used.
   */
  static void addInto(float[] acc, int at, float[] dw, int dwOff) {
    int l = Simd.LANES;
    for (int a = 0; a < 5; a++) {
      for (int k = 0; k < 3; k++) {
        float even = 0f;
        float odd = 0f;
        for (int i = 0; i < l; i += 2) {
          even += acc[at + (3 * a + k) * l + i];
          odd += acc[at + (3 * a + k) * l + i + 1];
        }
        if (k < 2) {
          dw[dwOff + a * 5 + 2 * k] += even;
        }
        dw[dwOff + a * 5 + (k < 2 ? 2 * k + 1 : 4)] += odd;
      }
    }
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

    /**
     * The blocks of L outputs right to left: each block's rows of pair sums into the scratch ({@link #block} or
     * {@link #block3}, a compilation of its own), then narrowed into y here. Why apart: with the narrowing in the
     * block's loop (and the weights' vectors built there) C2 passed its node budget, left the narrowing's calls
     * uninlined and boxed their vectors (3-9 GFLOP/s). The weights' vectors are built here with vector stores into
     * the scratch: an earlier version's scalar stores into a new array a plane cost a third of the pass on 56x56
     * planes.
     */
    static void sweep(float[] x, int plane, int rows, int cols, int padTop, int padLeft, int r, float[] wts,
        float bias, float[] sums, float[] y, int yOff, int p, int q) {
      int l = S.length();
      if (r == 5) {
        // Per filter row a: (w(a, 0), w(a, 1)), (w(a, 2), w(a, 3) / 2), (w(a, 3) / 2, w(a, 4)) repeated, each a
        // vector; then (bias, 0). In the scratch's first 16 vectors, the blocks' sums after them. Tap 3, read by two
        // pairs, takes half its weight in each (exact: a power of two), so an infinite x there stays infinite
        // (a zero weight on one side made it NaN).
        for (int a = 0; a < 5; a++) {
          pair(wts[5 * a], wts[5 * a + 1], sums, 3 * a * l);
          pair(wts[5 * a + 2], 0.5f * wts[5 * a + 3], sums, (3 * a + 1) * l);
          pair(0.5f * wts[5 * a + 3], wts[5 * a + 4], sums, (3 * a + 2) * l);
        }
      } else {
        // 3x3: (w(a, 0), w(a, 1) / 2), (w(a, 1) / 2, w(a, 2)).
        for (int a = 0; a < 3; a++) {
          pair(wts[3 * a], 0.5f * wts[3 * a + 1], sums, 2 * a * l);
          pair(0.5f * wts[3 * a + 1], wts[3 * a + 2], sums, (2 * a + 1) * l);
        }
      }
      pair(bias, 0f, sums, 15 * l);
      for (int j0 = (q - 1) / l * l; j0 >= 0; j0 -= l) {
        if (r == 5) {
          block(x, plane, rows, cols, padTop, 2 * j0 - padLeft, sums, p, Math.min(l, q - j0));
        } else {
          block3(x, plane, rows, cols, padTop, 2 * j0 - padLeft, sums, p, Math.min(l, q - j0));
        }
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
      boolean kA0 = DepthwiseUnpaddedSweep.Vec.clears(c, cols, kept0);
      boolean kB0 = DepthwiseUnpaddedSweep.Vec.clears(c + 2, cols, kept0);
      boolean kC0 = DepthwiseUnpaddedSweep.Vec.clears(c + 3, cols, kept0);
      boolean kA1 = kept1 > 0 && DepthwiseUnpaddedSweep.Vec.clears(c + l, cols, kept1);
      boolean kB1 = kept1 > 0 && DepthwiseUnpaddedSweep.Vec.clears(c + l + 2, cols, kept1);
      boolean kC1 = kept1 > 0 && DepthwiseUnpaddedSweep.Vec.clears(c + l + 3, cols, kept1);
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

    /**
     * The weight gradient of one half-block, outputs j0 .. j0 + L / 2 - 1 (kept of them inside the row), x read
     * from column c = 2 j0 - padLeft, dy's rows from dy[dyAt] (q apart): dy row i's half-vector, each float into a
     * pair of lanes, times padded row 2i + a's three pair vectors accumulates filter row a's sums. Padded rows in
     * pairs as in {@link #block}: row 2i meets dy rows i, i - 1 and i - 2 (filter rows 0, 2, 4), row 2i + 1 dy rows
     * i and i - 1 (1, 3). Every lane a load takes from outside its row is cleared, and so are the lanes of outputs
     * past q (their dy lanes are zero, and an infinite x there would make a NaN), and rows past the last window's
     * reach are not read. The rows near the plane's top and bottom that windows reach still meet dy rows outside dy
     * (zeros) for some filter rows, as in the phases' sweep: an infinite x there makes those taps' sums NaN where the
     * direct sum leaves it out (its own taps are infinite or NaN anyway).
     */
    static void dotsBlock(float[] x, int plane, int rows, int cols, int padTop, int c, float[] dy, int dyAt, int q,
        int p, int kept, float[] acc, int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      // Cleared: lanes outside the row, and those of outputs past q (their dy is zero, but an infinite x there
      // would make a NaN).
      int lanes = 2 * kept;
      VectorMask<Float> mA = DepthwiseUnpaddedSweep.Vec.outside(c, Math.min(cols, c + lanes));
      VectorMask<Float> mB = DepthwiseUnpaddedSweep.Vec.outside(c + 2, Math.min(cols, c + 2 + lanes));
      VectorMask<Float> mC = DepthwiseUnpaddedSweep.Vec.outside(c + 3, Math.min(cols, c + 3 + lanes));
      boolean kA = c < 0 || c + l > Math.min(cols, c + lanes);
      boolean kB = c + 2 < 0 || c + 2 + l > Math.min(cols, c + 2 + lanes);
      boolean kC = c + 3 < 0 || c + 3 + l > Math.min(cols, c + 3 + lanes);
      FloatVector a0 = zero, b0 = zero, c0 = zero, a1 = zero, b1 = zero, c1 = zero, a2 = zero, b2 = zero;
      FloatVector c2 = zero, a3 = zero, b3 = zero, c3 = zero, a4 = zero, b4 = zero, c4 = zero;
      FloatVector d1 = zero, d2 = zero;
      int last = dyAt + (p - 1) * q;
      // Rows past the last window's reach (padded row 2p + 2) are read from the zero row: they meet only dy's zeros.
      int end = Math.min(rows, 2 * p + 3 - padTop);
      // The loads' clears written out, as in block (C2's node budget).
      for (int i = 0; i <= p + 1; i++) {
        // dy row i (none past p: the last row's load with every lane cleared), each float into a pair.
        FloatVector d0 = LanePairs.pairedLow(DepthwiseUnpaddedSweep.Vec.dyRow(dy, Math.min(dyAt + i * q, last),
            i < p ? kept : 0));
        int u = 2 * i - padTop;
        float[] s = u >= 0 && u < end ? x : ZEROS;
        int o = s == x ? plane + u * cols + c : 0;
        FloatVector xa = FloatVector.fromArray(S, s, o);
        FloatVector xb = FloatVector.fromArray(S, s, o + 2);
        FloatVector xc = FloatVector.fromArray(S, s, o + 3);
        if (kA) {
          xa = xa.blend(zero, mA);
        }
        if (kB) {
          xb = xb.blend(zero, mB);
        }
        if (kC) {
          xc = xc.blend(zero, mC);
        }
        a0 = xa.fma(d0, a0);
        b0 = xb.fma(d0, b0);
        c0 = xc.fma(d0, c0);
        a2 = xa.fma(d1, a2);
        b2 = xb.fma(d1, b2);
        c2 = xc.fma(d1, c2);
        a4 = xa.fma(d2, a4);
        b4 = xb.fma(d2, b4);
        c4 = xc.fma(d2, c4);
        u++;
        s = u >= 0 && u < end ? x : ZEROS;
        o = s == x ? plane + u * cols + c : 0;
        xa = FloatVector.fromArray(S, s, o);
        xb = FloatVector.fromArray(S, s, o + 2);
        xc = FloatVector.fromArray(S, s, o + 3);
        if (kA) {
          xa = xa.blend(zero, mA);
        }
        if (kB) {
          xb = xb.blend(zero, mB);
        }
        if (kC) {
          xc = xc.blend(zero, mC);
        }
        a1 = xa.fma(d0, a1);
        b1 = xb.fma(d0, b1);
        c1 = xc.fma(d0, c1);
        a3 = xa.fma(d1, a3);
        b3 = xb.fma(d1, b3);
        c3 = xc.fma(d1, c3);
        d2 = d1;
        d1 = d0;
      }
      a0.add(FloatVector.fromArray(S, acc, at)).intoArray(acc, at);
      b0.add(FloatVector.fromArray(S, acc, at + l)).intoArray(acc, at + l);
      c0.add(FloatVector.fromArray(S, acc, at + 2 * l)).intoArray(acc, at + 2 * l);
      a1.add(FloatVector.fromArray(S, acc, at + 3 * l)).intoArray(acc, at + 3 * l);
      b1.add(FloatVector.fromArray(S, acc, at + 4 * l)).intoArray(acc, at + 4 * l);
      c1.add(FloatVector.fromArray(S, acc, at + 5 * l)).intoArray(acc, at + 5 * l);
      a2.add(FloatVector.fromArray(S, acc, at + 6 * l)).intoArray(acc, at + 6 * l);
      b2.add(FloatVector.fromArray(S, acc, at + 7 * l)).intoArray(acc, at + 7 * l);
      c2.add(FloatVector.fromArray(S, acc, at + 8 * l)).intoArray(acc, at + 8 * l);
      a3.add(FloatVector.fromArray(S, acc, at + 9 * l)).intoArray(acc, at + 9 * l);
      b3.add(FloatVector.fromArray(S, acc, at + 10 * l)).intoArray(acc, at + 10 * l);
      c3.add(FloatVector.fromArray(S, acc, at + 11 * l)).intoArray(acc, at + 11 * l);
      a4.add(FloatVector.fromArray(S, acc, at + 12 * l)).intoArray(acc, at + 12 * l);
      b4.add(FloatVector.fromArray(S, acc, at + 13 * l)).intoArray(acc, at + 13 * l);
      c4.add(FloatVector.fromArray(S, acc, at + 14 * l)).intoArray(acc, at + 14 * l);
    }

    /**
     * {@link #block} for a 3x3 filter: pairs (taps 0, 1) and (1, 2), tap 1 half-weighted in each; padded row
     * 2i completes output row i - 1 (filter row 2) and opens row i (row 0), row 2i + 1 continues it (row 1). The pair
     * sums of output row i - 1 at sums[(i + 9) 2L].
     */
    static void block3(float[] x, int plane, int rows, int cols, int padTop, int c, float[] sums, int p,
        int kept) {
      float[] pw = sums;
      int l = S.length();
      FloatVector a0 = FloatVector.fromArray(S, pw, 0), c0 = FloatVector.fromArray(S, pw, l);
      FloatVector a1 = FloatVector.fromArray(S, pw, 2 * l), c1 = FloatVector.fromArray(S, pw, 3 * l);
      FloatVector a2 = FloatVector.fromArray(S, pw, 4 * l), c2 = FloatVector.fromArray(S, pw, 5 * l);
      FloatVector start = FloatVector.fromArray(S, pw, 15 * l);
      FloatVector zero = FloatVector.zero(S);
      int h = l / 2;
      int kept0 = 2 * Math.min(h, kept);
      int kept1 = 2 * Math.max(0, kept - h);
      VectorMask<Float> mA0 = DepthwiseUnpaddedSweep.Vec.outside(c, cols);
      VectorMask<Float> mC0 = DepthwiseUnpaddedSweep.Vec.outside(c + 1, cols);
      VectorMask<Float> mA1 = DepthwiseUnpaddedSweep.Vec.outside(c + l, cols);
      VectorMask<Float> mC1 = DepthwiseUnpaddedSweep.Vec.outside(c + l + 1, cols);
      boolean kA0 = DepthwiseUnpaddedSweep.Vec.clears(c, cols, kept0);
      boolean kC0 = DepthwiseUnpaddedSweep.Vec.clears(c + 1, cols, kept0);
      boolean kA1 = kept1 > 0 && DepthwiseUnpaddedSweep.Vec.clears(c + l, cols, kept1);
      boolean kC1 = kept1 > 0 && DepthwiseUnpaddedSweep.Vec.clears(c + l + 1, cols, kept1);
      FloatVector one0 = start, one1 = start;
      // The loads' clears written out, as in block (C2's node budget).
      for (int i = 0; i <= p; i++) {
        int u = 2 * i - padTop;
        float[] s = u >= 0 && u < rows ? x : ZEROS;
        int o = s == x ? plane + u * cols + c : 0;
        FloatVector xa = FloatVector.fromArray(S, s, o);
        FloatVector xc = FloatVector.fromArray(S, s, o + 1);
        if (kA0) {
          xa = xa.blend(zero, mA0);
        }
        if (kC0) {
          xc = xc.blend(zero, mC0);
        }
        FloatVector done0 = xc.fma(c2, xa.fma(a2, one0));
        one0 = xc.fma(c0, xa.fma(a0, start));
        xa = FloatVector.fromArray(S, s, o + l);
        xc = FloatVector.fromArray(S, s, o + l + 1);
        if (kA1) {
          xa = xa.blend(zero, mA1);
        }
        if (kC1) {
          xc = xc.blend(zero, mC1);
        }
        FloatVector done1 = xc.fma(c2, xa.fma(a2, one1));
        one1 = xc.fma(c0, xa.fma(a0, start));
        done0.intoArray(sums, (i + 9) * 2 * l);
        done1.intoArray(sums, (i + 9) * 2 * l + l);
        u++;
        s = u >= 0 && u < rows ? x : ZEROS;
        o = s == x ? plane + u * cols + c : 0;
        xa = FloatVector.fromArray(S, s, o);
        xc = FloatVector.fromArray(S, s, o + 1);
        if (kA0) {
          xa = xa.blend(zero, mA0);
        }
        if (kC0) {
          xc = xc.blend(zero, mC0);
        }
        one0 = xc.fma(c1, xa.fma(a1, one0));
        xa = FloatVector.fromArray(S, s, o + l);
        xc = FloatVector.fromArray(S, s, o + l + 1);
        if (kA1) {
          xa = xa.blend(zero, mA1);
        }
        if (kC1) {
          xc = xc.blend(zero, mC1);
        }
        one1 = xc.fma(c1, xa.fma(a1, one1));
      }
    }
  }
}
