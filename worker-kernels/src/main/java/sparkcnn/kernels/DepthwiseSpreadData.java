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
   * against 5.5).
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
    int[] starts = new int[(width + lanes - 1) / lanes];
    for (int k = 0; k < starts.length; k++) {
      starts[k] = Math.min(k * lanes, width - lanes);
    }
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
  }
}
