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
 * <p>x is copied whole into a strip with zeros around it, so no lane reads outside its own plane: a cleared lane's
 * product is still NaN where the value it met is infinite, and so an infinite x or dy reaches every tap of its own
 * channel's gradient (whose centre tap it reaches anyway), never another channel's. dy is read in place where its
 * rows are a vector wide and its plane fits L1, else copied in front of zeros. Planes past L1 are swept in bands of
 * rows that fit half of it.
 *
 * <p>Why: the framed weight gradient copied x and dy into frames whose rows start off the vectors' alignment and
 * swept them with nine x loads per dy vector, or (x in place) only for rows of whole vectors. Measured on one AMD
 * EPYC thread against it, GFLOP/s: 7x7 b32 15-16 against 8.4-8.9, 14x14 b32 35 against 22-23, 28x28 b16 51-53
 * against 23-26, 32x32 b16 52-60 against 37-38, 56x56 b8 29-32 against 17-19, 112x112 b8 26-27.5 against 23-25,
 * 224x224 level.
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
      float[] strip = Scratch.floats(Scratch.PADDED, l.stripSize);
      // Zeroed once: each plane overwrites only the strip's middle, so the zeros around it stay.
      java.util.Arrays.fill(strip, 0, l.stripSize, 0f);
      float[] dyCopy = l.dyInPlace ? null : Scratch.floats(Scratch.COLUMNS, l.dySize);
      if (dyCopy != null) {
        java.util.Arrays.fill(dyCopy, 0, l.dySize, 0f);
      }
      float[] acc = Scratch.floats(Scratch.PARTIAL, (hi - lo) * 9 * lanes);
      java.util.Arrays.fill(acc, 0, (hi - lo) * 9 * lanes, 0f);
      for (int img = 0; img < g.n(); img++) {
        for (int c = lo; c < hi; c++) {
          int plane = img * g.c() + c;
          System.arraycopy(x, xOff + plane * hw, strip, g.w() + 1, hw);
          float[] d = dy;
          int dAt = dyOff + plane * hw;
          if (dyCopy != null) {
            System.arraycopy(dy, dAt, dyCopy, 0, hw);
            d = dyCopy;
            dAt = 0;
          }
          for (int i0 = 0; i0 < g.h(); i0 += l.band) {
            Vec.dots3(strip, i0, Math.min(g.h(), i0 + l.band), g.w(), d, dAt, l.starts, l.masks, acc,
                (c - lo) * 9 * lanes);
          }
        }
      }
      for (int c = lo; c < hi; c++) {
        DepthwiseRowMath.addLanes(acc, (c - lo) * 9, 9, dw, dwOff + c * 9);
      }
    });
  }

  /** The column blocks, their masks, and the scratch sizes. */
  private static final class Layout {
    /** Each block's first column. */
    final int[] starts;
    /** Per block and column shift b, at (3 block + b) * lanes: 1 on the lanes that block counts for b, else 0. */
    final float[] masks;
    final boolean dyInPlace;
    final int dySize;
    /** A row and a value of zeros, the plane, then zeros for row h and a vector's reach past it. */
    final int stripSize;
    /**
     * Rows per band: a band's x rows and dy rows within half of L1, so the blocks after the first find them there
     * (on 112x112 planes, swept whole, every block re-read the strip from L2 and ran slower than the frames).
     */
    final int band;

    Layout(ConvGeom g) {
      int lanes = Simd.LANES;
      int w = g.w();
      int hw = g.h() * w;
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
      // In place where rows are a vector wide and the plane fits L1. Larger planes are read a band of rows at a
      // time, block by block down the band: copied whole first, 112x112 ran 24-26 against 17-18.5 GFLOP/s in
      // place (one AMD EPYC thread), where 56x56 ran 25 copied against 29 in place.
      dyInPlace = w >= lanes && 4L * hw <= CacheSizes.l1();
      dySize = hw + lanes;
      stripSize = w + 1 + hw + w + 2 + lanes;
      band = (int) Math.max(1, CacheSizes.l1() / 2 / (8L * Math.max(w, lanes)) - 2);
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector load(float[] a, int i) {
      return FloatVector.fromArray(S, a, i);
    }

    /**
     * acc[at + (3a + b) * lanes + lane] += the lane's share, over the blocks, of the sum over rows i of dy[dyAt + i
     * * w + start + lane] * mask(block, b, lane) * x(i + a - 1, start + lane + b - 1), rows i in [i0, i1), x(u, v)
     * = strip[w + 1 + u * w + v] (rows -1 and h zero).
     */
    static void dots3(float[] strip, int i0, int i1, int w, float[] dy, int dyAt, int[] starts, float[] masks,
        float[] acc, int at) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      // Sums per block, added into acc after it: carried across blocks too, the vectors were boxed (10x slower).
      for (int k = 0; k < starts.length; k++) {
        int start = starts[k];
        FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero;
        FloatVector m0 = load(masks, 3 * k * l);
        FloatVector m1 = load(masks, (3 * k + 1) * l);
        FloatVector m2 = load(masks, (3 * k + 2) * l);
        // x rows i - 1 (u), i (v) and i + 1 (z) at columns start - 1, start, start + 1: row r's at strip[start + b
        // + (r + 1) * w].
        int o = start + i0 * w;
        FloatVector u0 = load(strip, o), u1 = load(strip, o + 1), u2 = load(strip, o + 2);
        o += w;
        FloatVector v0 = load(strip, o), v1 = load(strip, o + 1), v2 = load(strip, o + 2);
        o += w;
        int d = dyAt + start + i0 * w;
        for (int i = i0; i < i1; i++, o += w, d += w) {
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
    }

    private static void add(FloatVector v, float[] acc, int i) {
      v.add(load(acc, i)).intoArray(acc, i);
    }
  }
}
