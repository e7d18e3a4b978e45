package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise backward data of 3x3 filters at stride 2 with padding 1 above and left: dy spread along its rows
 * onto dx's columns (dy(i, j) at column 2j, zeros between), then each pair of dx rows written straight from it.
 *
 * <p>dx(u, v) sums w(a, b) dy(i, j) over u = 2i + a - 1, v = 2j + b - 1. With S(i)[c] = dy(i, c / 2) at even c and
 * 0 elsewhere, dx(u, v) = the sum over the (i, a) that reach row u of the sum over b of w(a, b) S(i)[v + 1 - b]:
 * row 2i takes S(i) with the filter's middle row, row 2i + 1 takes S(i) with its last row and S(i + 1) with its
 * first. A pair of dx rows costs six loads of the spread rows (each shifted a column either way or not at all) and
 * nine multiply-adds per vector of columns, and is stored whole: its vectors start at columns 0, lanes, ..., the last
 * at w - lanes (overlapping the one before it and storing the same values), so no store leaves the row.
 *
 * <p>{@link #backwardInputSwept} spreads dy the same way for 3x3 and 5x5 filters with any padding and sweeps dx
 * down its columns.
 *
 * <p>Why: the sweep over dy spread onto dx's grid in both directions did four times the strided sum's multiply-adds
 * (half of its rows zeros); the stride phases split and merged rows a float at a time. Here half the lanes multiply
 * zeros and nothing is merged.
 */
final class DepthwiseSpreadData {
  private DepthwiseSpreadData() {}

  /**
   * 3x3 at stride 2, undilated, padding 1 above and left and at most 1 below and right, rows three vectors wide or
   * more. Narrower, the sweep over dy spread both ways ran as fast or faster (one AMD EPYC thread, GFLOP/s: 32x32
   * b128 9.5-10.5 against 10.4-10.5, 16x16 b128 6.0-7.7 against 8.1-8.4; 56x56 b8 12.1 against 9.3, 112x112 b4 13.1
   * against 5.5); such rows, a vector wide or more, now take {@link #backwardInputSwept}.
   */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 3 && g.s() == 3 && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() == 1 && g.padLeft() == 1 && g.padBottom() <= 1
        && g.padRight() <= 1 && g.w() >= 3 * Simd.LANES;
  }

  /** dx = the adjoint of the forward applied to dy, overwriting dx. Planes in parallel. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    int lanes = Simd.LANES;
    int width = g.w();
    int pairs = (g.h() + 1) / 2;
    // Up to 16 row pairs' spread rows (about 8 KB on 112-wide rows), so they stay in L1 while their dx is written.
    int band = Math.min(pairs, 16);
    // Spread rows stride apart, each with a zero before it and zeros to column w at least.
    int stride = width + lanes + 2;
    int[] starts = blockStarts(width);
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] buf = Scratch.floats(Scratch.PADDED, (band + 1) * stride + width);
      // Zeros written once where no dy value goes; the spill row takes an odd-height plane's missing last row.
      java.util.Arrays.fill(buf, 0, (band + 1) * stride + width, 0f);
      int spill = (band + 1) * stride;
      float[] wts = new float[9];
      for (int plane = lo; plane < hi; plane++) {
        System.arraycopy(w, wOff + (plane % g.c()) * 9, wts, 0, 9);
        int dyPlane = dyOff + plane * g.p() * g.q();
        int dxPlane = dxOff + plane * g.h() * width;
        for (int i0 = 0; i0 < pairs; i0 += band) {
          int i1 = Math.min(pairs, i0 + band);
          // dy rows i0 to i1, a zero row where one lies past dy.
          for (int i = i0; i <= i1; i++) {
            int to = 1 + (i - i0) * stride;
            if (i < g.p()) {
              DepthwiseSpreadDots.spreadRow(dy, dyPlane + i * g.q(), g.q(), buf, to);
            } else {
              java.util.Arrays.fill(buf, to, to + 2 * g.q(), 0f);
            }
          }
          boolean lastOdd = 2 * i1 > g.h();
          Vec.rows(buf, 1, stride, wts, dx, dxPlane + 2 * i0 * width, width, i1 - i0, starts, lastOdd ? buf : dx,
              lastOdd ? spill : dxPlane + (2 * i1 - 1) * width);
        }
      }
    });
  }

  /**
   * 3x3 or 5x5 at stride 2, undilated, any padding inside the filter, rows a vector wide or more (whole-vector
   * stores that never leave the row).
   */
  static boolean appliesSwept(ConvGeom g) {
    int r = g.r();
    return Simd.AVAILABLE && g.isDepthwise() && (r == 3 || r == 5) && g.s() == r && g.strideH() == 2
        && g.strideW() == 2 && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < r && g.padLeft() < r
        && g.padBottom() < r && g.padRight() < r && g.w() >= Simd.LANES;
  }

  /**
   * dx of a 3x3 or 5x5 layer at stride 2, overwriting dx: dy spread along its rows (S(i)[c] = dy(i, c / 2) at even
   * c, zeros between), then swept down each vector-wide column of dx. Spread row i reaches dx rows 2i + a - padTop
   * for filter rows a = 0 to r - 1, each through the r column shifts of S(i); the sweep keeps those rows' sums
   * open, adds S(i)'s r * r multiply-adds and stores the two rows it completes (2i - padTop and 2i + 1 - padTop),
   * as the forward sweep does at stride 1 ({@link DepthwiseUnpaddedSweep}). Planes in parallel.
   *
   * <p>Why: the stride phases (four 3x3 sweeps over dy, their rows merged into dx a float at a time) ran the 5x5
   * stride-2 backward data at a quarter of its roofline, and planes under three vectors wide took the sweep over dy
   * spread both ways (four times the strided sum's multiply-adds; here two). One thread, one JVM alternating, GFLOP/s:
   * 5x5 144 56x56 b8 25.1-26.9 against 18.7-20.2 (phases), 144 16x16 b64 18.5-19.2 against 8.2 (padding 2) and
   * 12.9-13.0 (TensorFlow's padding; both spread both ways); 3x3 with TensorFlow's padding (none above) 96 112x112 b4
   * 9.2-9.5 against 6.8-6.9 (spread both ways), with padding 1 on 32x32 b128 11.8 against 10.6. A pair of dx rows at a
   * time straight from the three spread rows it needs (15 loads per 25 multiply-adds, as {@link #backwardInput} for
   * 3x3) ran level with the phases (18.5 against 18.0 on 56x56): the loads bound it.
   */
  static void backwardInputSwept(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    int r = g.r();
    int width = g.w();
    int pt = g.padTop();
    // dx row u is completed by spread row (u + pt) / 2: rows 0 to h - 1 by spread rows pt / 2 to iHi; the sweep
    // starts (r - 1) / 2 rows before pt / 2, whose taps reach row 0 too.
    int iFirst = pt / 2 - (r - 1) / 2;
    int iHi = (g.h() - 1 + pt) / 2;
    int count = iHi - iFirst + 1;
    // Spread row i at column c lies at (i - iFirst) * stride + 4 + c: four zeros before column 0 (the shifts reach
    // padLeft - 4), zeros past 2q to column w + 3 at least. Rows outside dy stay zero. (The spread writes zeros up to
    // column 2q - 1, at most w + 4: the next row's first zero, or the spill row's, never a value.)
    int stride = width + 8;
    int spill = count * stride;
    int size = spill + width;
    int[] starts = blockStarts(width);
    Parallel.forRange(g.n() * g.c(), (lo, hi, t) -> {
      float[] buf = Scratch.floats(Scratch.PADDED, size);
      // Zeros written once where no dy value goes (the odd columns, the rows outside dy, the margins); the spread
      // writes the odd columns' zeros again where it goes a vector at a time.
      java.util.Arrays.fill(buf, 0, size, 0f);
      float[] wts = new float[r * r];
      for (int plane = lo; plane < hi; plane++) {
        System.arraycopy(w, wOff + (plane % g.c()) * r * r, wts, 0, r * r);
        int dyPlane = dyOff + plane * g.p() * g.q();
        for (int i = Math.max(0, iFirst); i <= Math.min(iHi, g.p() - 1); i++) {
          DepthwiseSpreadDots.spreadRow(dy, dyPlane + i * g.q(), g.q(), buf, (i - iFirst) * stride + 4);
        }
        int dxPlane = dxOff + plane * g.h() * width;
        if (r == 3) {
          Vec.sweep3(buf, 4 + g.padLeft(), stride, count, wts, dx, dxPlane, width, g.h(), 2 * iFirst - pt, starts,
              spill);
        } else {
          Vec.sweep5(buf, 4 + g.padLeft(), stride, count, wts, dx, dxPlane, width, g.h(), 2 * iFirst - pt, starts,
              spill);
        }
      }
    });
  }

  /**
   * The first column of each vector-wide block of a row at least a vector wide: 0, lanes, ..., the last at width -
   * lanes (overlapping the one before it), so no block leaves the row.
   */
  private static int[] blockStarts(int width) {
    int lanes = Simd.LANES;
    int[] starts = new int[(width + lanes - 1) / lanes];
    for (int k = 0; k < starts.length; k++) {
      starts[k] = Math.min(k * lanes, width - lanes);
    }
    return starts;
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector load(float[] a, int i) {
      return FloatVector.fromArray(S, a, i);
    }

    private static FloatVector w(float[] wts, int t) {
      return FloatVector.broadcast(S, wts[t]);
    }

    /**
     * dx rows 2r and 2r + 1 for r &lt; pairs, at dx[d0 + 2r * width ...], from spread rows r and r + 1 at spread[s0 +
     * r * stride ...]; the last pair's odd row goes to lastRow[lastAt ...] instead (dx itself, or a spill row where
     * the plane has no such row). One loop over (pair, block): vectors carried through nested loops were boxed.
     */
    static void rows(float[] spread, int s0, int stride, float[] wts, float[] dx, int d0, int width, int pairs,
        int[] starts, float[] lastRow, int lastAt) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      int blocks = starts.length;
      int n = pairs * blocks;
      for (int t = 0, k = 0, r = 0; t < n; t++) {
        int c = starts[k];
        int s = s0 + r * stride + c;
        FloatVector a0 = load(spread, s + 1);
        FloatVector a1 = load(spread, s);
        FloatVector a2 = load(spread, s - 1);
        int sn = s + stride;
        FloatVector b0 = load(spread, sn + 1);
        FloatVector b1 = load(spread, sn);
        FloatVector b2 = load(spread, sn - 1);
        a2.fma(w12, a1.fma(w11, a0.mul(w10))).intoArray(dx, d0 + 2 * r * width + c);
        FloatVector odd = b2.fma(w02, b1.fma(w01, b0.fma(w00, a2.fma(w22, a1.fma(w21, a0.mul(w20))))));
        boolean last = r == pairs - 1;
        odd.intoArray(last ? lastRow : dx, (last ? lastAt : d0 + (2 * r + 1) * width) + c);
        if (++k == blocks) {
          k = 0;
          r++;
        }
      }
    }

    /** {@link #sweep5} for 3x3: spread row r completes dx rows u0 + 2r and u0 + 2r + 1 and opens u0 + 2r + 2. */
    static void sweep3(float[] buf, int s0, int stride, int count, float[] wts, float[] dx, int d0, int width, int h,
        int u0, int[] starts, int spill) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      FloatVector zero = FloatVector.zero(S);
      for (int k = 0; k < starts.length; k++) {
        int c = starts[k];
        FloatVector s0a = zero, s1a = zero, s2a = zero;
        for (int r = 0, s = s0 + c; r < count; r++, s += stride) {
          FloatVector v = FloatVector.fromArray(S, buf, s);
          s0a = v.fma(w00, s0a);
          s1a = v.fma(w10, s1a);
          s2a = v.fma(w20, s2a);
          v = FloatVector.fromArray(S, buf, s - 1);
          s0a = v.fma(w01, s0a);
          s1a = v.fma(w11, s1a);
          s2a = v.fma(w21, s2a);
          v = FloatVector.fromArray(S, buf, s - 2);
          s0a = v.fma(w02, s0a);
          s1a = v.fma(w12, s1a);
          s2a = v.fma(w22, s2a);
          int ue = u0 + 2 * r;
          boolean inE = ue >= 0 && ue < h;
          boolean inO = ue + 1 >= 0 && ue + 1 < h;
          s0a.intoArray(inE ? dx : buf, (inE ? d0 + ue * width : spill) + c);
          s1a.intoArray(inO ? dx : buf, (inO ? d0 + (ue + 1) * width : spill) + c);
          s0a = s2a;
          s1a = zero;
          s2a = zero;
        }
      }
    }

    /**
     * The 5x5 sweep of {@link #backwardInputSwept}: spread rows r &lt; count at buf[s0 - 4 - padLeft + r * stride
     * ...], row r completing dx rows u0 + 2r and u0 + 2r + 1 (those outside [0, h) stored to buf[spill ...]). Tap
     * (a, b) of row r reads buf[s0 + r * stride + c - b] for the dx columns c ... c + lanes - 1.
     */
    static void sweep5(float[] buf, int s0, int stride, int count, float[] wts, float[] dx, int d0, int width, int h,
        int u0, int[] starts, int spill) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2), w03 = w(wts, 3), w04 = w(wts, 4);
      FloatVector w10 = w(wts, 5), w11 = w(wts, 6), w12 = w(wts, 7), w13 = w(wts, 8), w14 = w(wts, 9);
      FloatVector w20 = w(wts, 10), w21 = w(wts, 11), w22 = w(wts, 12), w23 = w(wts, 13), w24 = w(wts, 14);
      FloatVector w30 = w(wts, 15), w31 = w(wts, 16), w32 = w(wts, 17), w33 = w(wts, 18), w34 = w(wts, 19);
      FloatVector w40 = w(wts, 20), w41 = w(wts, 21), w42 = w(wts, 22), w43 = w(wts, 23), w44 = w(wts, 24);
      FloatVector zero = FloatVector.zero(S);
      for (int k = 0; k < starts.length; k++) {
        int c = starts[k];
        // The open sums of dx rows u0 + 2r + a, a = 0 to 4.
        FloatVector s0a = zero, s1a = zero, s2a = zero, s3a = zero, s4a = zero;
        for (int r = 0, s = s0 + c; r < count; r++, s += stride) {
          FloatVector v = FloatVector.fromArray(S, buf, s);
          s0a = v.fma(w00, s0a);
          s1a = v.fma(w10, s1a);
          s2a = v.fma(w20, s2a);
          s3a = v.fma(w30, s3a);
          s4a = v.fma(w40, s4a);
          v = FloatVector.fromArray(S, buf, s - 1);
          s0a = v.fma(w01, s0a);
          s1a = v.fma(w11, s1a);
          s2a = v.fma(w21, s2a);
          s3a = v.fma(w31, s3a);
          s4a = v.fma(w41, s4a);
          v = FloatVector.fromArray(S, buf, s - 2);
          s0a = v.fma(w02, s0a);
          s1a = v.fma(w12, s1a);
          s2a = v.fma(w22, s2a);
          s3a = v.fma(w32, s3a);
          s4a = v.fma(w42, s4a);
          v = FloatVector.fromArray(S, buf, s - 3);
          s0a = v.fma(w03, s0a);
          s1a = v.fma(w13, s1a);
          s2a = v.fma(w23, s2a);
          s3a = v.fma(w33, s3a);
          s4a = v.fma(w43, s4a);
          v = FloatVector.fromArray(S, buf, s - 4);
          s0a = v.fma(w04, s0a);
          s1a = v.fma(w14, s1a);
          s2a = v.fma(w24, s2a);
          s3a = v.fma(w34, s3a);
          s4a = v.fma(w44, s4a);
          int ue = u0 + 2 * r;
          boolean inE = ue >= 0 && ue < h;
          boolean inO = ue + 1 >= 0 && ue + 1 < h;
          s0a.intoArray(inE ? dx : buf, (inE ? d0 + ue * width : spill) + c);
          s1a.intoArray(inO ? dx : buf, (inO ? d0 + (ue + 1) * width : spill) + c);
          s0a = s2a;
          s1a = s3a;
          s2a = s4a;
          s3a = zero;
          s4a = zero;
        }
      }
    }
  }
}
