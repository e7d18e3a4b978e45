package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise weight gradient of 3x3 filters at stride 2 with padding 1 above and left: dy spread onto x's
 * columns (dy(i, j) at column 2j, zeros between), so x is read in its own layout, never split into stride phases.
 *
 * <p>dw(a, b) sums dy(i, j) x(2i + a - 1, 2j + b - 1). With S(i)[c] = dy(i, c / 2) at even c and 0 elsewhere, that
 * is the sum over x's columns v of S(i)[v + 1 - b] x(2i + a - 1, v): for each dy row, three x rows (2i - 1, 2i,
 * 2i + 1) loaded once each at whole-vector columns, each multiplied by the spread row shifted one column either way
 * or not at all. The shifts fall on the spread row, a buffer with zeros around it, never on x: no lane reads x
 * before column 0, and a tap that would reach the padding column w (odd widths) is excluded by asking for even
 * widths, where S(i)[w - 1] is zero. Half of the lanes multiply zeros.
 *
 * <p>The x rows of dy rows 1 up to {@link Layout#inPlaceEnd} (not included) are read in place, row after row in
 * memory order: their loads stay inside the plane (a row's last vector may reach into the next row, where the
 * spread row holds zeros).
 * The other dy rows read x through a strip: the rows copied, zeros for the padding rows and past the last. A zero
 * in a spread row meets what the load brought: an infinite x multiplied there makes a NaN in its own channel's
 * gradient only, as in {@link DepthwiseMaskedDots}.
 *
 * <p>Why: the stride phases' weight gradient split every x row into even and odd columns with two rearranges per
 * vector (Java 17 re-checks a shuffle's indexes on every call) and padded dy into frames; the split and the
 * padding took four fifths of its time (112x112 planes, one AMD EPYC thread).
 */
final class DepthwiseSpreadDots {
  private DepthwiseSpreadDots() {}

  /**
   * 3x3 at stride 2, undilated, padding 1 above and left and at most 1 below and right, rows of an even number of
   * columns, a vector or more.
   */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 3 && g.s() == 3 && g.strideH() == 2 && g.strideW() == 2
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() == 1 && g.padLeft() == 1 && g.padBottom() <= 1
        && g.padRight() <= 1 && g.w() >= Simd.LANES && g.w() % 2 == 0;
  }

  /** dw += dL/dw for every channel. Channels in parallel; within a chunk, plane by plane in memory order. */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Layout l = new Layout(g);
    int lanes = Simd.LANES;
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      float[] acc = Scratch.floats(Scratch.PARTIAL, (hi - lo) * 9 * lanes);
      java.util.Arrays.fill(acc, 0, (hi - lo) * 9 * lanes, 0f);
      // Spread rows, then the strip: zeros once where no value goes (the spread rows' odd columns, which the spread
      // writes again as zeros where it goes a vector at a time).
      float[] buf = Scratch.floats(Scratch.PADDED, l.size);
      java.util.Arrays.fill(buf, 0, l.size, 0f);
      for (int img = 0; img < g.n(); img++) {
        for (int c = lo; c < hi; c++) {
          int plane = img * g.c() + c;
          int xAt = xOff + plane * g.h() * g.w();
          int dAt = dyOff + plane * g.p() * g.q();
          int at = (c - lo) * 9 * lanes;
          band(x, xAt, dy, dAt, buf, l, 0, Math.min(1, g.p()), false, acc, at);
          for (int i0 = 1; i0 < l.inPlaceEnd; i0 += l.band) {
            band(x, xAt, dy, dAt, buf, l, i0, Math.min(l.inPlaceEnd, i0 + l.band), true, acc, at);
          }
          for (int i0 = Math.max(1, l.inPlaceEnd); i0 < g.p(); i0 += l.band) {
            band(x, xAt, dy, dAt, buf, l, i0, Math.min(g.p(), i0 + l.band), false, acc, at);
          }
        }
      }
      for (int c = lo; c < hi; c++) {
        DepthwiseRowMath.addLanes(acc, (c - lo) * 9, 9, dw, dwOff + c * 9);
      }
    });
  }

  /** dy rows i0 to i1 - 1: spread, then their products with x in place or through the strip. */
  private static void band(float[] x, int xAt, float[] dy, int dAt, float[] buf, Layout l, int i0, int i1,
      boolean inPlace, float[] acc, int at) {
    int w = l.w;
    int rows = i1 - i0;
    for (int r = 0; r < rows; r++) {
      spreadRow(dy, dAt + (i0 + r) * l.q, l.q, buf, 1 + r * l.spreadStride);
    }
    if (inPlace) {
      Vec.dots(x, xAt + (2 * i0 - 1) * w, w, buf, 1, l.spreadStride, rows, l.blocks, acc, at);
      return;
    }
    // x rows 2 i0 - 1 to 2 i1 - 1, those outside the plane as zeros. Row copies, not FramedPlanes.pad (the same
    // frame with its masked vector copies): through it the whole 112x112 gradient ran 11.1-11.7 against 17.0-17.6.
    int strip = l.strip;
    for (int u = 2 * i0 - 1, o = strip; u <= 2 * i1 - 1; u++, o += w) {
      if (u >= 0 && u < l.h) {
        System.arraycopy(x, xAt + u * w, buf, o, w);
      } else {
        java.util.Arrays.fill(buf, o, o + w, 0f);
      }
    }
    // The last row's last vector may reach into the row after: zeros, never a value another plane left.
    int end = strip + (2 * rows + 1) * w;
    java.util.Arrays.fill(buf, end, end + Simd.LANES, 0f);
    Vec.dots(buf, strip, w, buf, 1, l.spreadStride, rows, l.blocks, acc, at);
  }

  /**
   * dst[to + 2j] = src[from + j] for j &lt; count: a dy row spread onto x's columns, the odd columns between zeros
   * (the callers' buffers hold zeros there; the vector part writes them again, up to column 2 count - 1).
   *
   * <p>Half a vector at a time widened to 64-bit lanes, the upper halves cleared: float by float, the spread was over
   * two fifths of the 3x3 stride-2 backward data on one Xeon thread (96 channels at 112x112: 18.7 GFLOP/s with the
   * spread skipped, 10.5 with it). Widened there, alternating JVMs: 12.8-13.3 against 9.6-9.8, 5x5 stride 2 on 56x56
   * 25.3-25.9 against 21.1-21.9, the 3x3 weight gradient 15.6-15.9 against 11.6-12.9. (An earlier widening, on the
   * AMD EPYC, ran no faster; not measured there since.) A method of its own: inside the callers' loops the
   * float-by-float loop ran at a third of the speed.
   */
  static void spreadRow(float[] src, int from, int count, float[] dst, int to) {
    int j = Simd.AVAILABLE ? Vec.spreadRow(src, from, count, dst, to) : 0;
    for (; j < count; j++) {
      dst[to + 2 * j] = src[from + j];
    }
  }

  /** Sizes and places in the thread's buffer. */
  private static final class Layout {
    final int w;
    final int h;
    final int q;
    /** Vectors of x columns per row. */
    final int blocks;
    /**
     * A band's spread rows lie spreadStride apart from buf[1], each with a zero before it and zeros past 2q to the
     * blocks' reach and one further (the shifted loads); values go only to the even columns (zeros to the odd).
     */
    final int spreadStride;
    /** dy rows per band: their spread rows and 2 band + 1 x rows within half of L1. */
    final int band;
    /** The first dy row past those read in place: x rows 2i - 1 to 2i + 2 lie inside the plane before it. */
    final int inPlaceEnd;
    final int strip;
    final int size;

    Layout(ConvGeom g) {
      int lanes = Simd.LANES;
      w = g.w();
      h = g.h();
      q = g.q();
      blocks = (w + lanes - 1) / lanes;
      spreadStride = blocks * lanes + 2;
      band = (int) Math.max(1, Math.min(g.p(), CacheSizes.l1() / 2 / (4L * (spreadStride + 2 * w))));
      inPlaceEnd = Math.min(g.p(), (h - 3) / 2 + 1);
      strip = 1 + band * spreadStride + lanes;
      size = strip + (2 * band + 1) * w + lanes;
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** 64-bit lanes, as many bits as S: the widening stays within the kernels' one vector shape. */
    static final VectorSpecies<Long> WIDE = VectorSpecies.of(long.class, S.vectorShape());

    /**
     * {@link DepthwiseSpreadDots#spreadRow} for the row's whole half vectors: each value's bits widened into a 64-bit
     * lane (sign-extended, so the upper half cleared after), whose lower half is the even column (lanes are laid
     * out little-endian). A whole vector is loaded for each half, so that no vector type of another shape appears:
     * the shared Vector API methods' type profiles then stay monomorphic (see {@link LanePairs#evensLow}). The last
     * half vectors whose whole-vector load would leave src are left to the caller. Returns how many values it spread.
     */
    static int spreadRow(float[] src, int from, int count, float[] dst, int to) {
      int h = S.length() / 2;
      int end = Math.min(count, src.length - from - h);
      int j = 0;
      for (; j + h <= end; j += h) {
        IntVector v = FloatVector.fromArray(S, src, from + j).reinterpretAsInts();
        ((LongVector) v.convertShape(VectorOperators.I2L, WIDE, 0)).and(0xFFFFFFFFL).reinterpretAsFloats()
            .intoArray(dst, to + 2 * j);
      }
      return j;
    }

    private static FloatVector load(float[] a, int i) {
      return FloatVector.fromArray(S, a, i);
    }

    /**
     * acc[at + (3a + b) * lanes + lane] += the sum over the band's rows r and blocks k of spread[s0 + r *
     * spreadStride + k lanes + lane + 1 - b] * xs[x0 + (2r + a) * w + k lanes + lane]: x0 is x row 2 i0 - 1,
     * column 0, s0 the first spread row's column 0. One loop over (row, block): vectors carried through nested loops
     * were boxed.
     */
    static void dots(float[] xs, int x0, int w, float[] spread, int s0, int spreadStride, int rows, int blocks,
        float[] acc, int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
      FloatVector a20 = zero, a21 = zero, a22 = zero;
      int n = rows * blocks;
      int xStep = 2 * w - blocks * l;
      int sStep = spreadStride - blocks * l;
      for (int t = 0, k = 0, o = x0, s = s0; t < n; t++) {
        FloatVector d0 = load(spread, s + 1);
        FloatVector d1 = load(spread, s);
        FloatVector d2 = load(spread, s - 1);
        FloatVector v = load(xs, o);
        a00 = d0.fma(v, a00);
        a01 = d1.fma(v, a01);
        a02 = d2.fma(v, a02);
        v = load(xs, o + w);
        a10 = d0.fma(v, a10);
        a11 = d1.fma(v, a11);
        a12 = d2.fma(v, a12);
        v = load(xs, o + 2 * w);
        a20 = d0.fma(v, a20);
        a21 = d1.fma(v, a21);
        a22 = d2.fma(v, a22);
        o += l;
        s += l;
        if (++k == blocks) {
          k = 0;
          o += xStep;
          s += sStep;
        }
      }
      add(a00, acc, at);
      add(a01, acc, at + l);
      add(a02, acc, at + 2 * l);
      add(a10, acc, at + 3 * l);
      add(a11, acc, at + 4 * l);
      add(a12, acc, at + 5 * l);
      add(a20, acc, at + 6 * l);
      add(a21, acc, at + 7 * l);
      add(a22, acc, at + 8 * l);
    }

    /** acc[i ...] += v (see DepthwiseMaskedDots: nine calls of this, never one call taking the nine vectors). */
    private static void add(FloatVector v, float[] acc, int i) {
      v.add(load(acc, i)).intoArray(acc, i);
    }
  }
}
