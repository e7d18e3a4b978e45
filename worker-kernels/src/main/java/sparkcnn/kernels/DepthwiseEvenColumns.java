package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise forward and backward data of 3x3 filters at stride 2, without stride phases: forward, each output
 * row is summed at every input column, in x's own layout, and its even columns are kept; backward data, dy's rows
 * are spread onto dx's columns (the even ones, zeros between) and dx is summed at every column.
 *
 * <p>Output (i, j) sums w(a, b) x(2i + a - padTop, 2j + b - padLeft). A vector of input columns c0 .. c0 + lanes - 1
 * (c0 = 2 j0 - padLeft) holds, after the taps, the sums for output columns j0 .. j0 + lanes / 2 - 1 on its even
 * lanes; they are kept by narrowing the vector's 64-bit pairs to their low floats ({@link LanePairs#evensLow}, no
 * rearrange: Java 17 checks a shuffle's indexes on every call, and the split of x into even and odd columns, four
 * rearranges per two x vectors, was two thirds of the phased forward), blended into y's vector there and written
 * back whole. Half the multiply-adds are dropped with the odd columns; the split and the phases are gone. Rows are
 * swept as in {@link DepthwiseSweep}: each input row is loaded once (a vector per tap column) and meets every
 * output row it reaches, in registers.
 *
 * <p>x is copied whole into a strip with zero rows above and below it, and the lanes outside a row are cleared by a
 * blend (a wrapped read of the neighbouring row must not make a NaN from a zero weight). The last column block's
 * outputs past q land in the next row, written later (blocks go right to left), and past the plane by up to a
 * vector: the caller gives room there.
 *
 * <p>Backward data: dy row i reaches dx rows 2i + a - padTop, tap b from its spread row shifted by b; the spread is
 * each float widened to a long (zeros on the odd lanes, no rearrange). Against the spread onto both dims (zero rows
 * too, scattered a float at a time, then a stride-1 sweep), half the multiply-adds; 112x112 b4 8.9-9.9 against
 * 5.4-5.7 GFLOP/s, 56x56 b8 12.4-13.3 against 9.1-9.7, 28x28 b16 12.2-12.5 against 9.5, 14x14 b32 8.1 against 6.4.
 *
 * <p>Forward, measured on one AMD EPYC thread against the phases, GFLOP/s: 112x112 b4 10.5-10.6 against 8.5-9.1,
 * 56x56 b8 13.7-14.2 against 11.7-12.1, 28x28 b16 12.8 against 10.5-10.9, 14x14 b32 10.8 against 4.5. Storing the
 * half vector directly ran 11-17 alone but cost other kernels 5x in one JVM (see {@link LanePairs#evensLow});
 * two vectors per block with twelve blends passed C2's node budget. Not 5x5: there the five blends per row passed
 * that budget too (the vectors boxed: 3 GFLOP/s), and through a padded frame instead it ran level with the phases
 * (23-24.7 against 23.4-24.4 on 56x56 and 28x28), which already load each vector for 25 multiply-adds.
 */
final class DepthwiseEvenColumns {
  private DepthwiseEvenColumns() {}

  /** 3x3 at stride 2, undilated, padding inside the filter on every side, given the Vector API. */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 3 && g.s() == 3 && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < 3 && g.padBottom() < 3 && g.padLeft() < 3
        && g.padRight() < 3;
  }

  /** The strip a plane is copied into: rows w wide, padTop zero rows (and a vector) before the plane. */
  static final class Strip {
    /** Where the plane starts. */
    final int before;
    /** Where padded row 0, column 0 would sit. */
    final int origin;
    final int size;
    /** Vectors of input columns per output row: half a vector of outputs each. */
    final int blocks;

    Strip(ConvGeom g) {
      int lanes = Simd.LANES;
      int w = g.w();
      before = g.padTop() * w + g.padLeft() + lanes;
      origin = before - g.padTop() * w - g.padLeft();
      blocks = (g.q() + lanes / 2 - 1) / (lanes / 2);
      // Padded rows read: up to 2p; then the last block's vector and taps past its first column.
      size = origin + (2 * g.p() + 1) * w + blocks * lanes + 3 + lanes;
    }
  }

  /**
   * One plane: y[yOff + i * q + j] = bias + the sum of the taps, for i < p and j < q, from x's plane at x[xPlane],
   * copied into strip (zero outside the plane: each call writes only the plane's place). Reads and rewrites up to
   * a vector past the plane.
   */
  static void plane(float[] x, int xPlane, float[] strip, Strip s, float[] wts, float bias, float[] y, int yOff,
      ConvGeom g) {
    System.arraycopy(x, xPlane, strip, s.before, g.h() * g.w());
    Vec.sweep3(strip, s.origin, g.w(), s.blocks, g.padLeft(), wts, bias, y, yOff, g.p(), g.q());
  }

  /**
   * Backward data's buffer: dy's rows spread onto dx's columns (dy(i, j) at column 2j, zeros between and around),
   * rows {@link #width} apart, column c of row i at i * width + lanes + c.
   */
  static final class Spread {
    final int width;
    final int size;
    /** Spread row positions [lanes + 2q, width) that the widened stores may dirty: zeroed again per row. */
    final int tail;

    Spread(ConvGeom g) {
      int lanes = Simd.LANES;
      // The widened stores' reach (whole vectors of dy), and the sweep's (its blocks and two taps).
      int stores = 2 * ((g.q() + lanes - 1) / lanes) * lanes;
      int reads = (g.w() + lanes - 1) / lanes * lanes + g.padLeft();
      width = lanes + Math.max(stores, reads) + lanes;
      size = g.p() * width + lanes;
      tail = width - lanes - 2 * g.q();
    }
  }

  /**
   * dx's plane at dx[dxOff] = the adjoint of the forward applied to dy's plane at dy[dyPlane], with w's plane at
   * w[wOff] (not flipped), overwriting it; the Vector API's path. dy's rows are spread into buf (of {@link
   * Spread#size}, its first lanes columns zero: zeroed by the caller once), then swept: dy row i reaches dx rows 2i
   * - padTop + a (filter row a), each at every dx column through three shifted loads of its spread row. Writes up
   * to a vector past the plane.
   */
  static void backwardInputPlane(float[] dy, int dyPlane, float[] w, int wOff, float[] buf, Spread s, float[] dx,
      int dxOff, ConvGeom g) {
    int lanes = Simd.LANES;
    int p = g.p();
    int q = g.q();
    for (int i = 0; i < p; i++) {
      int row = i * s.width + lanes;
      int src = dyPlane + i * q;
      // Whole vectors of dy, the last one reading past the row (its spread lanes cleared next): within dy's array
      // but for its very end, which goes value by value.
      int j = 0;
      for (; j < q && src + j + lanes <= dy.length; j += lanes) {
        Vec.spread(dy, src + j, buf, row + 2 * j);
      }
      for (; j < q; j++) {
        buf[row + 2 * j] = dy[src + j];
        buf[row + 2 * j + 1] = 0f;
      }
      java.util.Arrays.fill(buf, row + 2 * q, row + 2 * q + s.tail, 0f);
    }
    int blocks = (g.w() + lanes - 1) / lanes;
    Vec.sweepBack3(buf, s.width, lanes + g.padLeft(), blocks, w, wOff, dx, dxOff, p, g.h(), g.w(), g.padTop());
    // Rows past the last one dy reaches (2p - padTop) get nothing.
    int covered = Math.max(0, Math.min(g.h(), 2 * p - g.padTop() + 1));
    java.util.Arrays.fill(dx, dxOff + covered * g.w(), dxOff + g.h() * g.w(), 0f);
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static FloatVector w(float[] wts, int t) {
      return FloatVector.broadcast(S, wts[t]);
    }

    static final FloatVector IOTA = FloatVector.zero(S).addIndex(1);

    /** The lanes whose column first + lane lies outside [0, cols). */
    private static VectorMask<Float> outside(int first, int cols) {
      FloatVector k = IOTA.add((float) first);
      return k.compare(VectorOperators.LT, 0f).or(k.compare(VectorOperators.GE, (float) cols));
    }

    /** The vector at strip[at], the lanes outside the row cleared. */
    private static FloatVector x(float[] strip, int at, VectorMask<Float> out, FloatVector zero) {
      return FloatVector.fromArray(S, strip, at).blend(zero, out);
    }

    /** The vector at a[i] spread over two vectors at dst[at]: on the even lanes, zeros between. */
    static void spread(float[] a, int i, float[] dst, int at) {
      FloatVector v = FloatVector.fromArray(S, a, i);
      LanePairs.widened(v, 0).intoArray(dst, at);
      LanePairs.widened(v, 1).intoArray(dst, at + S.length());
    }

    /** The low half of a vector's lanes. */
    static final VectorMask<Float> LOW_HALF = IOTA.compare(VectorOperators.LT, (float) (S.length() / 2));

    /**
     * 3x3: padded row 2i completes output row i - 1 (filter row 2) and starts row i (filter row 0); padded row
     * 2i + 1 continues row i (filter row 1). A finished vector's even lanes, half a vector of outputs, are blended
     * into what y holds there and written back whole: the vector's high half rewrites the values it found (a half
     * vector's store would be a second vector shape, whose type profiles made C2 box other kernels' vectors).
     * Blocks right to left: the last block's outputs past q land in the next row, whose first block comes after.
     */
    static void sweep3(float[] strip, int x0, int w, int blocks, int padLeft, float[] wts, float bias, float[] y,
        int yOff, int p, int q) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      int l = S.length();
      FloatVector b0 = FloatVector.broadcast(S, bias);
      FloatVector zero = FloatVector.zero(S);
      for (int k = blocks - 1; k >= 0; k--) {
        int c = k * l - padLeft;
        VectorMask<Float> out0 = outside(c, w);
        VectorMask<Float> out1 = outside(c + 1, w);
        VectorMask<Float> out2 = outside(c + 2, w);
        int o = x0 + k * l;
        int d = yOff + k * (l / 2) - q;
        FloatVector open = b0;
        for (int i = 0; i <= p; i++, o += 2 * w, d += q) {
          FloatVector v0 = x(strip, o, out0, zero);
          FloatVector v1 = x(strip, o + 1, out1, zero);
          FloatVector v2 = x(strip, o + 2, out2, zero);
          FloatVector done = open.add(v2.fma(w22, v1.fma(w21, v0.mul(w20))));
          if (i > 0) {
            FloatVector.fromArray(S, y, d).blend(LanePairs.evensLow(done), LOW_HALF).intoArray(y, d);
          }
          if (i == p) {
            break;
          }
          open = b0.add(v2.fma(w02, v1.fma(w01, v0.mul(w00))));
          int o1 = o + w;
          v0 = x(strip, o1, out0, zero);
          v1 = x(strip, o1 + 1, out1, zero);
          v2 = x(strip, o1 + 2, out2, zero);
          open = open.add(v2.fma(w12, v1.fma(w11, v0.mul(w10))));
        }
      }
    }

    /**
     * dy row i (spread at buf[i * width + c0 + c], c a dx column plus padLeft) makes dx row 2i - padTop (filter row
     * 0, completing the sum row i - 1 opened with filter row 2), row 2i + 1 - padTop (filter row 1, whole) and opens
     * row 2i + 2 - padTop; tap b reads the spread row at dx column + padLeft - b. Rows outside dx are not stored.
     * Blocks right to left: a block's stores reach into the next row.
     */
    static void sweepBack3(float[] buf, int width, int c0, int blocks, float[] wts, int wOff, float[] dx, int dxOff,
        int p, int h, int w, int padTop) {
      FloatVector w00 = w(wts, wOff), w01 = w(wts, wOff + 1), w02 = w(wts, wOff + 2);
      FloatVector w10 = w(wts, wOff + 3), w11 = w(wts, wOff + 4), w12 = w(wts, wOff + 5);
      FloatVector w20 = w(wts, wOff + 6), w21 = w(wts, wOff + 7), w22 = w(wts, wOff + 8);
      int l = S.length();
      for (int k = blocks - 1; k >= 0; k--) {
        FloatVector open = FloatVector.zero(S);
        int o = c0 + k * l;
        for (int i = 0, u = -padTop; i < p; i++, o += width, u += 2) {
          FloatVector r0 = FloatVector.fromArray(S, buf, o);
          FloatVector r1 = FloatVector.fromArray(S, buf, o - 1);
          FloatVector r2 = FloatVector.fromArray(S, buf, o - 2);
          FloatVector done = open.add(r2.fma(w02, r1.fma(w01, r0.mul(w00))));
          if (u >= 0 && u < h) {
            done.intoArray(dx, dxOff + u * w + k * l);
          }
          if (u + 1 >= 0 && u + 1 < h) {
            r2.fma(w12, r1.fma(w11, r0.mul(w10))).intoArray(dx, dxOff + (u + 1) * w + k * l);
          }
          open = r2.fma(w22, r1.fma(w21, r0.mul(w20)));
        }
        int u = 2 * p - padTop;
        if (u >= 0 && u < h) {
          open.intoArray(dx, dxOff + u * w + k * l);
        }
      }
    }
  }
}
