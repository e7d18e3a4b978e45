package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise weight gradient of 3x3 filters at stride 1 with padding 1, without frames: the plane is swept down
 * in column blocks a vector wide, each dy vector meeting the x rows above, at and below it, and the lanes whose
 * tap would leave the row are cleared on dy by a 0/1 mask.
 *
 * <p>dw(a, b) sums dy(i, j) x(i + a - 1, j + b - 1). A block's dy vector at row i, columns c .. c + lanes - 1, is
 * multiplied by three x vectors per row, loaded at columns c - 1, c and c + 1: lanes at the row's first column
 * read the previous row's last value for b = 0 and lanes at its last column the next row's first for b = 2, and
 * dy times that block's mask for b is zero there. Each x row is loaded once per block and carried through three
 * dy rows (4 loads for 9 multiply-adds; rows -1 and h are the strip's zeros). Blocks tile the
 * row; the last one overlaps the one before it and its mask clears the lanes already counted. A plane narrower
 * than a vector is one block whose lanes past the row are cleared.
 *
 * <p>x is copied, a band of rows at a time, into a strip with zeros around it, so no lane reads outside its own
 * plane: a cleared lane's product is still NaN where the value it met is infinite, and so an infinite x or dy
 * reaches every tap of its own channel's gradient (whose centre tap it reaches anyway), never another channel's. dy
 * is read in place where its rows are a vector wide and its plane fits L1, else copied in front of zeros. Bands of
 * rows fit half of L1.
 *
 * <p>Planes past L1 of six rows or more, whose rows are two vectors wide or more and not one column past a whole
 * number of vectors, read only their first two rows and last two or three through the strip. The rows between are
 * read in place, row by row in memory order, so the reads from memory overlap the multiply-adds instead of waiting
 * in copies ({@link Vec#interior}, two rows at a time, 7 loads per 9 multiply-adds, no masks, every tap inside the
 * row), and each row's columns past the interior blocks with the next row's column 0 as one vector ({@link
 * Vec#seams}, masked). All their loads stay inside the plane.
 *
 * <p>Why: the framed weight gradient copied x and dy into frames whose rows start off the vectors' alignment and
 * swept them with nine x loads per dy vector, or (x in place) only for rows of whole vectors. Measured on one AMD
 * EPYC thread against it, GFLOP/s: 7x7 b32 15-16 against 8.4-8.9, 14x14 b32 35 against 22-23, 28x28 b16 51-53
 * against 23-26, 32x32 b16 52-60 against 37-38, 56x56 b8 29-32 against 17-19, 112x112 b8 26-27.5 against 23-25,
 * 224x224 level. The rows in place, against the whole plane copied into the strip (112x112 b8, 32 channels, one
 * thread, alternating builds): 32-40 against 25-30; in L2 (2 channels) 58 against 40-46; 224x224 b4 32 against
 * 28; 80x80 49 against 46. The band-sized strip alone ran 64x64 planes at 56-58 against 48-53.
 */
final class DepthwiseMaskedDots {
  private DepthwiseMaskedDots() {}

  /** 3x3, stride 1, undilated, padding 1 on every side, given the Vector API. */
  static boolean applies(ConvGeom g) {
    return Simd.AVAILABLE && g.isDepthwise() && g.r() == 3 && g.s() == 3 && g.strideH() == 1 && g.strideW() == 1
        && g.dilationH() == 1 && g.dilationW() == 1 && g.padTop() == 1 && g.padBottom() == 1 && g.padLeft() == 1
        && g.padRight() == 1;
  }

  /**
   * dw += dL/dw for every channel: per channel, one vector accumulator per tap over all images, its lanes summed at
   * the end. Channels in parallel; within a chunk, plane by plane in memory order.
   */
  static void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    Layout l = new Layout(g);
    int lanes = Simd.LANES;
    int hw = g.h() * g.w();
    Parallel.forRange(g.c(), (lo, hi, t) -> {
      Bands bands = new Bands(l, hi - lo);
      for (int img = 0; img < g.n(); img++) {
        for (int c = lo; c < hi; c++) {
          int plane = img * g.c() + c;
          int xAt = xOff + plane * hw;
          int dAt = dyOff + plane * hw;
          int at = (c - lo) * 9 * lanes;
          if (l.inPlace) {
            // The first two rows and the last two or three through the strip, the rows between read in place.
            bands.sweep(x, xAt, dy, dAt, 0, 2, at);
            bands.sweep(x, xAt, dy, dAt, l.inPlaceEnd, g.h(), at);
            Vec.interior(x, xAt, dy, dAt, g.w(), l.inPlaceEnd, l.interiorBlocks, bands.acc, at);
            Vec.seams(x, xAt, dy, dAt, g.w(), l.inPlaceEnd, l.seamMasks, bands.acc, at);
          } else {
            for (int i0 = 0; i0 < g.h(); i0 += l.band) {
              bands.sweep(x, xAt, dy, dAt, i0, Math.min(g.h(), i0 + l.band), at);
            }
          }
        }
      }
      for (int c = lo; c < hi; c++) {
        DepthwiseRowMath.addLanes(bands.acc, (c - lo) * 9, 9, dw, dwOff + c * 9);
      }
    });
  }

  /** A thread's strip, dy copy and accumulators, and the sweep of a band of rows through them. */
  private static final class Bands {
    final Layout l;
    final float[] strip;
    final float[] dyCopy;
    final float[] acc;
    /** Whether the strip and dy copy hold a whole plane's zeros (row -1, row h, the reach past them). */
    private boolean wholeZeros;

    Bands(Layout l, int channels) {
      this.l = l;
      strip = Scratch.floats(Scratch.PADDED, l.stripSize);
      dyCopy = l.dyInPlace ? null : Scratch.floats(Scratch.COLUMNS, l.dySize);
      acc = Scratch.floats(Scratch.PARTIAL, channels * 9 * Simd.LANES);
      java.util.Arrays.fill(acc, 0, channels * 9 * Simd.LANES, 0f);
    }

    /**
     * Rows i0 to i1 - 1 of dy, every column block: x rows i0 - 1 to i1 copied into the strip, x(u, v) at
     * strip[w + 1 + (u - i0) * w + v], rows -1 and h as zeros, zeros before the first row and a vector's reach past
     * the last (so no lane meets a value another channel left); dy in place or copied in front of zeros.
     */
    void sweep(float[] x, int xAt, float[] dy, int dAt, int i0, int i1, int at) {
      int w = l.width;
      int h = l.height;
      int top = Math.max(0, i0 - 1);
      int count = (Math.min(h - 1, i1) - top + 1) * w;
      int start = w + 1 + (top - i0) * w;
      boolean whole = i0 == 0 && i1 == h;
      if (!whole || !wholeZeros) {
        // The zeros around the rows: for whole planes the same every time, so written once (as the whole-plane
        // strip did before bands) until a band's rows overwrite them.
        strip[0] = 0f;
        if (i0 == 0) {
          java.util.Arrays.fill(strip, 1, w + 1, 0f);
        }
        int end = start + count;
        if (i1 == h) {
          java.util.Arrays.fill(strip, end, end + w, 0f);
          end += w;
        }
        java.util.Arrays.fill(strip, end, end + Simd.LANES + 1, 0f);
        if (dyCopy != null) {
          int n = (i1 - i0) * w;
          java.util.Arrays.fill(dyCopy, n, n + Simd.LANES, 0f);
        }
        wholeZeros = whole;
      }
      System.arraycopy(x, xAt + top * w, strip, start, count);
      float[] d = dy;
      int dBand = dAt + i0 * w;
      if (dyCopy != null) {
        System.arraycopy(dy, dBand, dyCopy, 0, (i1 - i0) * w);
        d = dyCopy;
        dBand = 0;
      }
      for (int k = 0; k < l.starts.length; k++) {
        Vec.dots3(strip, i1 - i0, w, d, dBand, l.starts[k], l.masks, 3 * k * Simd.LANES, acc, at);
      }
    }
  }

  /**
   * Whether the rows between the first two and the last two or three are read in place ({@link Layout#inPlace}).
   */
  static boolean readsInPlace(ConvGeom g) {
    return new Layout(g).inPlace;
  }

  /** The column blocks, their masks, and the scratch sizes. */
  private static final class Layout {
    /** Each block's first column. */
    final int[] starts;
    /** Per block and column shift b, at (3 block + b) * lanes: 1 on the lanes that block counts for b, else 0. */
    final float[] masks;
    final boolean dyInPlace;
    final int dySize;
    /** A row and a value of zeros, a band's rows, then zeros for row h and a vector's reach past them. */
    final int stripSize;
    /**
     * Rows per band: a band's x rows and dy rows within half of L1, so the blocks after the first find them there
     * (on 112x112 planes, swept whole, every block re-read the strip from L2 and ran slower than the frames).
     */
    final int band;
    final int width;
    final int height;
    /**
     * Whether the rows from 2 to {@link #inPlaceEnd} are read in place ({@link Vec#interior}, {@link Vec#seams}):
     * rows at least two vectors wide, whose interior blocks and seam cover every column.
     */
    final boolean inPlace;
    final int inPlaceEnd;
    /** Blocks at columns 1, 1 + lanes, ...: each tap's column inside the row. */
    final int interiorBlocks;
    /** The seams' masks, as {@link #masks}, for the first seam (row 1), those between, and the last. */
    final float[] seamMasks;

    Layout(ConvGeom g) {
      int lanes = Simd.LANES;
      int w = g.w();
      int h = g.h();
      width = w;
      height = h;
      int n = Math.max(1, (w + lanes - 1) / lanes);
      starts = new int[n];
      masks = new float[n * 3 * lanes];
      for (int k = 0; k < n; k++) {
        int start = Math.max(0, Math.min(k * lanes, w - lanes));
        starts[k] = start;
        for (int lane = 0; lane < lanes; lane++) {
          int col = start + lane;
          // Counted here: inside the row, and not by the block before (the last block overlaps it).
          boolean counts = col < w && col >= k * lanes;
          for (int b = 0; b < 3; b++) {
            boolean inside = col + b - 1 >= 0 && col + b - 1 < w;
            masks[(k * 3 + b) * lanes + lane] = counts && inside ? 1f : 0f;
          }
        }
      }
      band = (int) Math.max(1, CacheSizes.l1() / 2 / (8L * Math.max(w, lanes)) - 2);
      interiorBlocks = Math.max(0, (w - 2) / lanes);
      int firstSeamColumn = w - (lanes - 1);
      // Only past L1: where x and dy fit it, the strip's sweep (4 loads per 9 multiply-adds, against 7 per 9) ran
      // faster, 52-53 against 43-45 GFLOP/s on 56x56 and 64x64 planes.
      inPlace = w >= 2 * lanes && h >= 6 && 1 + interiorBlocks * lanes >= firstSeamColumn
          && 8L * h * w > CacheSizes.l1();
      inPlaceEnd = 2 + (h - 4) / 2 * 2;
      seamMasks = new float[3 * 3 * lanes];
      for (int kind = 0; kind < 3; kind++) {
        for (int lane = 0; lane < lanes; lane++) {
          // Lanes before the last: row r's columns past the interior blocks; the last lane: row r + 1's column 0.
          boolean last = lane == lanes - 1;
          int col = last ? 0 : firstSeamColumn + lane;
          boolean counts = last ? kind != 2 : kind != 0 && col >= 1 + interiorBlocks * lanes;
          for (int b = 0; b < 3; b++) {
            boolean inside = col + b - 1 >= 0 && col + b - 1 < w;
            seamMasks[(kind * 3 + b) * lanes + lane] = counts && inside ? 1f : 0f;
          }
        }
      }
      // In place where rows are a vector wide and the plane fits L1. Larger planes are read a band of rows at a
      // time, block by block down the band: copied whole first, 112x112 ran 24-26 against 17-18.5 GFLOP/s in
      // place (one AMD EPYC thread), where 56x56 ran 25 copied against 29 in place.
      dyInPlace = w >= lanes && 4L * h * w <= CacheSizes.l1();
      // The in-place planes' bands take up to three rows.
      int rows = Math.min(h, inPlace ? Math.max(band, 3) : band);
      dySize = rows * w + lanes;
      stripSize = (rows + 2) * w + 2 + lanes;
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector load(float[] a, int i) {
      return FloatVector.fromArray(S, a, i);
    }

    /**
     * acc[at + (3a + b) * lanes + lane] += the sum over rows i &lt; rows of dy[dyAt + i * w + start + lane] *
     * masks[maskAt + b * lanes + lane] * x(i + a - 1, start + lane + b - 1), x(u, v) = strip[w + 1 + u * w + v]:
     * one column block of a band.
     */
    static void dots3(float[] strip, int rows, int w, float[] dy, int dyAt, int start, float[] masks, int maskAt,
        float[] acc, int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
      FloatVector a20 = zero, a21 = zero, a22 = zero;
      FloatVector m0 = load(masks, maskAt);
      FloatVector m1 = load(masks, maskAt + l);
      FloatVector m2 = load(masks, maskAt + 2 * l);
      // x rows i - 1 (u), i (v) and i + 1 (z) at columns start - 1, start, start + 1: row r's at strip[start + b
      // + (r + 1) * w].
      int o = start;
      FloatVector u0 = load(strip, o), u1 = load(strip, o + 1), u2 = load(strip, o + 2);
      o += w;
      FloatVector v0 = load(strip, o), v1 = load(strip, o + 1), v2 = load(strip, o + 2);
      o += w;
      int d = dyAt + start;
      for (int i = 0; i < rows; i++, o += w, d += w) {
        FloatVector z0 = load(strip, o), z1 = load(strip, o + 1), z2 = load(strip, o + 2);
        FloatVector e = load(dy, d);
        FloatVector e0 = e.mul(m0), e1 = e.mul(m1), e2 = e.mul(m2);
        a00 = e0.fma(u0, a00);
        a01 = e1.fma(u1, a01);
        a02 = e2.fma(u2, a02);
        a10 = e0.fma(v0, a10);
        a11 = e1.fma(v1, a11);
        a12 = e2.fma(v2, a12);
        a20 = e0.fma(z0, a20);
        a21 = e1.fma(z1, a21);
        a22 = e2.fma(z2, a22);
        u0 = v0;
        u1 = v1;
        u2 = v2;
        v0 = z0;
        v1 = z1;
        v2 = z2;
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

    /**
     * The interior blocks (columns 1 + k lanes, k &lt; blocks) of dy rows 2 to end - 1, x and dy read in place:
     * every tap's column lies inside the row and every x row (1 to end) inside the plane, so no masks. Row-major,
     * two dy rows at a time (4 x rows of 3 loads for 18 multiply-adds), so the plane is read in memory order.
     */
    static void interior(float[] x, int xAt, float[] dy, int dAt, int w, int end, int blocks, float[] acc, int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
      FloatVector a20 = zero, a21 = zero, a22 = zero;
      // One loop over (row pair, block): vectors carried through nested loops were boxed.
      int n = (end - 2) / 2 * blocks;
      int rowStep = 2 * w - blocks * l;
      for (int t = 0, k = 0, v = 2 * w + 1; t < n; t++) {
        FloatVector e = load(dy, dAt + v);
        FloatVector f = load(dy, dAt + v + w);
        int o = xAt + v - w;
        FloatVector p0 = load(x, o - 1), p1 = load(x, o), p2 = load(x, o + 1);
        a00 = e.fma(p0, a00);
        a01 = e.fma(p1, a01);
        a02 = e.fma(p2, a02);
        o += w;
        p0 = load(x, o - 1);
        p1 = load(x, o);
        p2 = load(x, o + 1);
        a10 = e.fma(p0, a10);
        a11 = e.fma(p1, a11);
        a12 = e.fma(p2, a12);
        a00 = f.fma(p0, a00);
        a01 = f.fma(p1, a01);
        a02 = f.fma(p2, a02);
        o += w;
        p0 = load(x, o - 1);
        p1 = load(x, o);
        p2 = load(x, o + 1);
        a20 = e.fma(p0, a20);
        a21 = e.fma(p1, a21);
        a22 = e.fma(p2, a22);
        a10 = f.fma(p0, a10);
        a11 = f.fma(p1, a11);
        a12 = f.fma(p2, a12);
        o += w;
        a20 = f.fma(load(x, o - 1), a20);
        a21 = f.fma(load(x, o), a21);
        a22 = f.fma(load(x, o + 1), a22);
        v += l;
        if (++k == blocks) {
          k = 0;
          v += rowStep;
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

    /**
     * The seams of rows 1 to end - 1, read in place: the vector at row r's column w - lanes + 1 holds row r's last
     * lanes - 1 columns and, in its last lane, row r + 1's column 0, whose taps read x one row down at the same
     * flat offsets. With the interior blocks it covers every column of rows 2 to end - 1: row 1's seam counts only
     * its last lane, the last seam all but it, and the lanes the interior blocks took count nowhere
     * ({@code seamMasks}). Every x row read (0 to end + 1) lies inside the plane.
     */
    static void seams(float[] x, int xAt, float[] dy, int dAt, int w, int end, float[] seamMasks, float[] acc,
        int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
      FloatVector a20 = zero, a21 = zero, a22 = zero;
      int first = w - (l - 1);
      for (int r = 1; r < end; r++) {
        int kind = r == 1 ? 0 : r == end - 1 ? 2 : 1;
        int m = kind * 3 * l;
        int v = r * w + first;
        FloatVector e = load(dy, dAt + v);
        FloatVector e0 = e.mul(load(seamMasks, m));
        FloatVector e1 = e.mul(load(seamMasks, m + l));
        FloatVector e2 = e.mul(load(seamMasks, m + 2 * l));
        int o = xAt + v - w;
        a00 = e0.fma(load(x, o - 1), a00);
        a01 = e1.fma(load(x, o), a01);
        a02 = e2.fma(load(x, o + 1), a02);
        o += w;
        a10 = e0.fma(load(x, o - 1), a10);
        a11 = e1.fma(load(x, o), a11);
        a12 = e2.fma(load(x, o + 1), a12);
        o += w;
        a20 = e0.fma(load(x, o - 1), a20);
        a21 = e1.fma(load(x, o), a21);
        a22 = e2.fma(load(x, o + 1), a22);
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

    /**
     * acc[i ...] += v. The sweeps add their nine sums with nine calls of this: one shared call taking the nine
     * vectors is not always inlined, and then C2 boxes them (measured: 14x14 planes at 0.6 of their speed).
     */
    private static void add(FloatVector v, float[] acc, int i) {
      v.add(load(acc, i)).intoArray(acc, i);
    }
  }
}
