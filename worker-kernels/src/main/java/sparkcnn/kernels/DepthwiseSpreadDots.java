package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise weight gradient of 3x3 filters at stride 2, without stride phases: dy spread onto the input's
 * columns, zeros between, and the taps that leave the row cleared by 0/1 masks on dy.
 *
 * <p>dw(a, b) sums dy(i, j) x(2i + a - padTop, 2j + b - padLeft). A block of lanes dy values of row i, columns j0
 * .. j0 + lanes - 1, becomes two vectors over the input columns c = 2 j0 - padLeft + t, t in [0, 2 lanes): dy(i,
 * j0 + t / 2) on the even lanes, zeros on the odd (each float's bits widened to a long: no rearrange), times a
 * mask per tap column b that is 1 where j0 + t / 2 < q and c + b lies in [0, w). Each tap is then two
 * multiply-adds with x's row 2i + a - padTop loaded at columns c + b, whole vectors in x's own layout: no frame, no
 * split into even and odd columns (the split, four rearranges per two x vectors, was two thirds of the stride-2
 * weight gradient). Half the lanes multiply zeros. A block's rows are spread into a buffer first, then swept.
 *
 * <p>x is copied whole into a strip with zero rows around it, and dy plane by plane in front of zeros, so no lane
 * reads outside its own plane. Planes past L1 are swept in bands of dy rows whose x rows fit half of it.
 *
 * <p>Measured on one AMD EPYC thread against the stride phases, GFLOP/s: 112x112 b4 7.9-8.6 against 7.0-7.2,
 * 56x56 b8 10.9-11.5 against 8.5-8.8, 28x28 b16 12.5-13 against 9.6-9.8, 14x14 b32 5.8-6.1 against 3.9. Tried:
 * the spread by rearrange (JDK 17 checks a shuffle's indexes on every call: the spread was half the pass), the
 * spread and the sweep in one method (C2's node budget ran out, the loads were not inlined and the vectors
 * boxed: 3 GFLOP/s), x read in place with a read-ahead (within 5% of the copy, and it reads past the plane).
 */
final class DepthwiseSpreadDots {
  private DepthwiseSpreadDots() {}

  /** 3x3 at stride 2, undilated, padding inside the filter on every side, given the Vector API. */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 3 && g.s() == 3 && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() < 3 && g.padBottom() < 3 && g.padLeft() < 3
        && g.padRight() < 3;
  }

  /**
   * dw += dL/dw for every channel: per channel, one vector accumulator per tap over all images, its lanes summed at
   * the end. Channels in parallel; within a chunk, plane by plane in memory order.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Layout l = new Layout(g);
    int lanes = Simd.LANES;
    int hw = g.h() * g.w();
    int pq = g.p() * g.q();
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] strip = Scratch.floats(Scratch.PADDED, l.stripSize);
      // Zeroed once: each plane overwrites only the strip's middle, so the zeros around it stay.
      java.util.Arrays.fill(strip, 0, l.stripSize, 0f);
      // dy's plane copied in front of zeros, then a band of one block's rows spread.
      int spreadAt = pq + lanes;
      float[] dyCopy = Scratch.floats(Scratch.COLUMNS, spreadAt + l.band * 6 * lanes);
      java.util.Arrays.fill(dyCopy, pq, spreadAt, 0f);
      float[] acc = Scratch.floats(Scratch.PARTIAL, (hi - lo) * 9 * lanes);
      java.util.Arrays.fill(acc, 0, (hi - lo) * 9 * lanes, 0f);
      int x0 = l.before - g.padTop() * g.w() - g.padLeft();
      for (int img = 0; img < g.n(); img++) {
        for (int c = lo; c < hi; c++) {
          int plane = img * g.c() + c;
          System.arraycopy(x, xOff + plane * hw, strip, l.before, hw);
          System.arraycopy(dy, dyOff + plane * pq, dyCopy, 0, pq);
          for (int i0 = 0; i0 < g.p(); i0 += l.band) {
            int i1 = Math.min(g.p(), i0 + l.band);
            for (int k = 0; k * lanes < g.q(); k++) {
              Vec.spread(dyCopy, g.q(), i0, i1, k, l.masks, dyCopy, spreadAt);
              Vec.dots3(strip, x0 + 2 * i0 * g.w() + 2 * k * lanes, g.w(), i1 - i0, dyCopy, spreadAt, acc,
                  (c - lo) * 9 * lanes);
            }
          }
        }
      }
      for (int c = lo; c < hi; c++) {
        DepthwiseRowMath.addLanes(acc, (c - lo) * 9, 9, dw, dwOff + c * 9);
      }
    });
  }

  /** The strip's size, the plane's place in it, the bands, and the masks. */
  private static final class Layout {
    /**
     * Per dy block k, tap column b and half h, at ((3 k + b) * 2 + h) * lanes: 1 on lane t' (t = h lanes + t') where
     * t is even, the block's dy column j0 + t / 2 is below q and input column 2 j0 - padLeft + t + b lies in [0, w).
     */
    final float[] masks;
    /** Where x's plane starts in the strip: padTop rows and padLeft values of zeros before it. */
    final int before;
    final int stripSize;
    /** dy rows per band: their 2 band + 1 x rows within half of L1. */
    final int band;

    Layout(ConvGeom g) {
      int lanes = Simd.LANES;
      int w = g.w();
      int q = g.q();
      int blocks = (q + lanes - 1) / lanes;
      masks = new float[blocks * 6 * lanes];
      for (int k = 0; k < blocks; k++) {
        for (int b = 0; b < 3; b++) {
          for (int t = 0; t < 2 * lanes; t++) {
            int j = k * lanes + t / 2;
            int col = 2 * k * lanes - g.padLeft() + t + b;
            boolean counts = t % 2 == 0 && j < q && col >= 0 && col < w;
            masks[((3 * k + b) * 2 + t / lanes) * lanes + t % lanes] = counts ? 1f : 0f;
          }
        }
      }
      before = g.padTop() * w + g.padLeft();
      // The last reach: x row 2 (p - 1) + 2 - padTop, column 2 blocks lanes - padLeft + 1, and a vector.
      stripSize = before + (2 * g.p() + 1 - g.padTop()) * w + 2 * blocks * lanes + lanes;
      band = (int) Math.max(1, CacheSizes.l1() / 2 / (8L * Math.max(w, 2 * lanes)) - 1);
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector load(float[] a, int i) {
      return FloatVector.fromArray(S, a, i);
    }

    /**
     * Block k's dy rows i in [i0, i1), spread: for each row, the block's two halves times the masks of tap columns
     * 0, 1 and 2, six vectors at spread[at + ((i - i0) * 6 + 2b + h) * lanes].
     */
    static void spread(float[] dy, int q, int i0, int i1, int k, float[] masks, float[] spread, int at) {
      int l = S.length();
      FloatVector m00 = load(masks, 6 * k * l), m01 = load(masks, (6 * k + 1) * l);
      FloatVector m10 = load(masks, (6 * k + 2) * l), m11 = load(masks, (6 * k + 3) * l);
      FloatVector m20 = load(masks, (6 * k + 4) * l), m21 = load(masks, (6 * k + 5) * l);
      for (int i = i0, d = i0 * q + k * l, o = at; i < i1; i++, d += q, o += 6 * l) {
        FloatVector e = load(dy, d);
        FloatVector lo = LanePairs.widened(e, 0);
        FloatVector hi = LanePairs.widened(e, 1);
        lo.mul(m00).intoArray(spread, o);
        hi.mul(m01).intoArray(spread, o + l);
        lo.mul(m10).intoArray(spread, o + 2 * l);
        hi.mul(m11).intoArray(spread, o + 3 * l);
        lo.mul(m20).intoArray(spread, o + 4 * l);
        hi.mul(m21).intoArray(spread, o + 5 * l);
      }
    }

    /**
     * acc[at + (3a + b) * lanes + lane] += the lane's share, over rows, of the spread dy row times x's row 2i + a at
     * columns t + b, x's rows for the first spread row starting at strip[o]. x's row 2i + 2 is its next row's 2i:
     * carried, six loads a row fewer. Apart from {@link #spread}: together, C2 stopped inlining the loads.
     */
    static void dots3(float[] strip, int o, int w, int rows, float[] spread, int at0, float[] acc, int at) {
      int l = S.length();
      FloatVector a00 = load(acc, at), a01 = load(acc, at + l), a02 = load(acc, at + 2 * l);
      FloatVector a10 = load(acc, at + 3 * l), a11 = load(acc, at + 4 * l), a12 = load(acc, at + 5 * l);
      FloatVector a20 = load(acc, at + 6 * l), a21 = load(acc, at + 7 * l), a22 = load(acc, at + 8 * l);
      FloatVector x00 = load(strip, o), x01 = load(strip, o + l);
      FloatVector x10 = load(strip, o + 1), x11 = load(strip, o + l + 1);
      FloatVector x20 = load(strip, o + 2), x21 = load(strip, o + l + 2);
      for (int i = 0, s = at0; i < rows; i++, s += 6 * l) {
        FloatVector e00 = load(spread, s), e01 = load(spread, s + l);
        FloatVector e10 = load(spread, s + 2 * l), e11 = load(spread, s + 3 * l);
        FloatVector e20 = load(spread, s + 4 * l), e21 = load(spread, s + 5 * l);
        a00 = e01.fma(x01, e00.fma(x00, a00));
        a01 = e11.fma(x11, e10.fma(x10, a01));
        a02 = e21.fma(x21, e20.fma(x20, a02));
        o += w;
        a10 = e01.fma(load(strip, o + l), e00.fma(load(strip, o), a10));
        a11 = e11.fma(load(strip, o + l + 1), e10.fma(load(strip, o + 1), a11));
        a12 = e21.fma(load(strip, o + l + 2), e20.fma(load(strip, o + 2), a12));
        o += w;
        x00 = load(strip, o);
        x01 = load(strip, o + l);
        x10 = load(strip, o + 1);
        x11 = load(strip, o + l + 1);
        x20 = load(strip, o + 2);
        x21 = load(strip, o + l + 2);
        a20 = e01.fma(x01, e00.fma(x00, a20));
        a21 = e11.fma(x11, e10.fma(x10, a21));
        a22 = e21.fma(x21, e20.fma(x20, a22));
      }
      a00.intoArray(acc, at);
      a01.intoArray(acc, at + l);
      a02.intoArray(acc, at + 2 * l);
      a10.intoArray(acc, at + 3 * l);
      a11.intoArray(acc, at + 4 * l);
      a12.intoArray(acc, at + 5 * l);
      a20.intoArray(acc, at + 6 * l);
      a21.intoArray(acc, at + 7 * l);
      a22.intoArray(acc, at + 8 * l);
    }
  }
}
