package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The depthwise forward of 3x3 filters at stride 2, without stride phases: each output row is summed at every input
 * column, in x's own layout, and its even columns are kept.
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
 * blend with the masks of {@link DepthwiseUnpaddedSweep.Vec#outside}, in the blocks at the row's ends and only for
 * the loads that bring such a column into a kept (even) lane (a wrapped read of the neighbouring row must not make
 * a NaN from a zero weight; what the dropped lanes read does not matter). The last column block's outputs past q
 * land in the next row, written later (blocks go right to left), and past the plane by up to a vector: the caller
 * gives room there. Wide planes ({@link #ROW_OUTPUTS}) skip the strip: they are swept row by row straight from x
 * ({@link Vec#rows3}), so the plane streams from memory while the multiply-adds run instead of before them.
 *
 * <p>Forward through the strip, measured on one AMD EPYC thread against the phases, GFLOP/s: 112x112 b4 10.5-10.6
 * against 8.5-9.1, 56x56 b8 13.7-14.2 against 11.7-12.1, 28x28 b16 12.8 against 10.5-10.9, 14x14 b32 10.8 against
 * 4.5. Storing the half vector directly ran 11-17 alone but cost other kernels 5x in one JVM (see {@link
 * LanePairs#evensLow}); two vectors per block with twelve blends passed C2's node budget. Not 5x5: there the five
 * blends per row passed that budget too (the vectors boxed: 3 GFLOP/s), and through a padded frame instead it ran
 * level with the phases (23-24.7 against 23.4-24.4 on 56x56 and 28x28), which already load each vector for 25
 * multiply-adds.
 */
final class DepthwiseEvenColumns {
  /**
   * Output columns from which a plane is swept row by row from x ({@link Vec#rows3}) rather than copied into the
   * strip and swept down its columns (seven vectors of input columns a row with 16 lanes). Measured forward on one
   * AMD EPYC thread, the fastest of six runs in each of four alternated rounds, GFLOP/s: 96 112x112 b4 10.8-13.4
   * against 8.9-9.4, 32 224x224 b2 8.8-12.9 against 8.6-10.2; but 56x56 planes (28 outputs) 8.6-9.1 against
   * 9.2-12.4, 28x28 and 14x14 0.5-0.6x: per row, the three calls cost more than the blocks. In floats, not vectors:
   * the calls' cost is per row either way (with 8 lanes, -XX:UseAVX=2 here, the row sweep on 56x56 to 14x14 planes
   * ran level or slower too, 3.1-10.5 against 4.4-8.7).
   */
  static final int ROW_OUTPUTS = 49;

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
    /** Whether the planes are wide enough for the row-by-row sweep from x ({@link #ROW_OUTPUTS}). */
    final boolean rows;
    /** A zero row for the row-by-row sweep's padding rows (read only: a block reads up to l + 2 past its start). */
    final float[] zeros;

    Strip(ConvGeom g) {
      int lanes = Simd.LANES;
      int w = g.w();
      before = g.padTop() * w + g.padLeft() + lanes;
      origin = before - g.padTop() * w - g.padLeft();
      blocks = (g.q() + lanes / 2 - 1) / (lanes / 2);
      // Padded rows read: up to 2p; then the last block's vector and taps past its first column.
      size = origin + (2 * g.p() + 1) * w + blocks * lanes + 3 + lanes;
      rows = g.q() >= ROW_OUTPUTS;
      zeros = new float[rows ? (blocks + 1) * lanes + 3 : 0];
    }
  }

  /**
   * One plane: y[yOff + i * q + j] = bias + the sum of the taps, for i < p and j < q, from x's plane at x[xPlane],
   * copied into strip (zero outside the plane: each call writes only the plane's place), or, for wide planes whose
   * reads stay inside x, swept row by row from x itself. Writes (the strip's sweep: reads and rewrites) up to a
   * vector past the plane.
   */
  static void plane(float[] x, int xPlane, float[] strip, Strip s, float[] wts, float bias, float[] y, int yOff,
      ConvGeom g) {
    // Row by row straight from x where the plane is wide and its first and last rows' reads stay inside x.
    if (s.rows && xPlane - g.padLeft() >= 0
        && xPlane + (g.h() - 1) * g.w() - g.padLeft() + (s.blocks + 1) * Simd.LANES + 3 <= x.length) {
      Vec.rows3(x, xPlane, g.h(), g.w(), g.padTop(), g.padLeft(), s.zeros, s.blocks, wts, bias, y, yOff, g.p(),
          g.q());
      return;
    }
    System.arraycopy(x, xPlane, strip, s.before, g.h() * g.w());
    Vec.sweep3(strip, s.origin, g.w(), s.blocks, g.padLeft(), wts, bias, y, yOff, g.p(), g.q());
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static FloatVector w(float[] wts, int t) {
      return FloatVector.broadcast(S, wts[t]);
    }

    /** The low half of a vector's lanes. */
    static final VectorMask<Float> LOW_HALF = S.indexInRange(0, S.length() / 2);

    /**
     * A plane row by row from x itself: output row i from input rows 2i - padTop .. 2i - padTop + 2 (the zero row
     * for those outside the plane), block by block left to right, nine loads and nine multiply-adds each in three
     * independent sums. Each block stores its whole vector, the upper half zeros, which the next block overwrites,
     * or past q the next row, or past the plane the caller's room (a vector). Why: the strip's copy reads the plane
     * from memory before its columns are swept, one after the other; here the rows stream in order while the FMAs
     * run (a 112x112 plane from memory 3.9-4.0 against 5.3-6.2 us, one AMD EPYC thread). Three methods, the first and
     * last blocks apart with their clears: in one, C2's node budget stopped inlining and the vectors were boxed.
     * Reads up to l + 3 floats before and after the plane's rows.
     */
    static void rows3(float[] x, int xPlane, int h, int w, int padTop, int padLeft, float[] zeros, int blocks,
        float[] wts, float bias, float[] y, int yOff, int p, int q) {
      int l = S.length();
      int last = blocks - 1;
      int at = last * l;
      int firstClears = clears(-padLeft, 0, w, q);
      int lastClears = clears(at - padLeft, at / 2, w, q);
      for (int i = 0; i < p; i++) {
        int u = 2 * i - padTop;
        float[] a0 = u >= 0 && u < h ? x : zeros;
        float[] a1 = u + 1 >= 0 && u + 1 < h ? x : zeros;
        float[] a2 = u + 2 >= 0 && u + 2 < h ? x : zeros;
        int o0 = a0 == x ? xPlane + u * w - padLeft : 0;
        int o1 = a1 == x ? xPlane + (u + 1) * w - padLeft : 0;
        int o2 = a2 == x ? xPlane + (u + 2) * w - padLeft : 0;
        int d = yOff + i * q;
        edge3(a0, o0, a1, o1, a2, o2, -padLeft, w, firstClears, wts, bias, y, d);
        inner3(a0, o0, a1, o1, a2, o2, last, wts, bias, y, d);
        if (last > 0) {
          edge3(a0, o0 + at, a1, o1 + at, a2, o2 + at, at - padLeft, w, lastClears, wts, bias, y, d + at / 2);
        }
      }
    }

    /**
     * Which tap columns t (bit t) of the block whose loads start at input column c, holding output columns j0 on,
     * read outside the row [0, w) into a kept lane: an even lane whose output is below q. The other lanes are
     * dropped, whatever they read.
     */
    static int clears(int c, int j0, int w, int q) {
      int kept = Math.min(S.length() / 2, q - j0);
      int bits = 0;
      for (int t = 0; t < 3; t++) {
        if (kept > 0 && (c + t < 0 || c + t + 2 * (kept - 1) >= w)) {
          bits |= 1 << t;
        }
      }
      return bits;
    }

    /**
     * One block of {@link #rows3} whose loads start at input column c: the loads of the tap columns in clears
     * blended, their lanes outside the row cleared. Why only those: blending all nine loads, with three masks made
     * per call, made the two edge blocks of a 112x112 plane's row cost as much as its five inner ones (perf, one
     * Xeon thread: 31% against 34% of the forward); on that plane the last block reads no padding into a kept lane
     * and the first one only through its first tap column.
     */
    static void edge3(float[] a0, int o0, float[] a1, int o1, float[] a2, int o2, int c, int w, int clears,
        float[] wts, float bias, float[] y, int d) {
      FloatVector x00 = FloatVector.fromArray(S, a0, o0);
      FloatVector x10 = FloatVector.fromArray(S, a1, o1);
      FloatVector x20 = FloatVector.fromArray(S, a2, o2);
      if ((clears & 1) != 0) {
        VectorMask<Float> m = DepthwiseUnpaddedSweep.Vec.outside(c, w);
        x00 = x00.blend(0f, m);
        x10 = x10.blend(0f, m);
        x20 = x20.blend(0f, m);
      }
      FloatVector x01 = FloatVector.fromArray(S, a0, o0 + 1);
      FloatVector x11 = FloatVector.fromArray(S, a1, o1 + 1);
      FloatVector x21 = FloatVector.fromArray(S, a2, o2 + 1);
      if ((clears & 2) != 0) {
        VectorMask<Float> m = DepthwiseUnpaddedSweep.Vec.outside(c + 1, w);
        x01 = x01.blend(0f, m);
        x11 = x11.blend(0f, m);
        x21 = x21.blend(0f, m);
      }
      FloatVector x02 = FloatVector.fromArray(S, a0, o0 + 2);
      FloatVector x12 = FloatVector.fromArray(S, a1, o1 + 2);
      FloatVector x22 = FloatVector.fromArray(S, a2, o2 + 2);
      if ((clears & 4) != 0) {
        VectorMask<Float> m = DepthwiseUnpaddedSweep.Vec.outside(c + 2, w);
        x02 = x02.blend(0f, m);
        x12 = x12.blend(0f, m);
        x22 = x22.blend(0f, m);
      }
      FloatVector r0 = x00.fma(w(wts, 0), FloatVector.broadcast(S, bias));
      FloatVector r1 = x10.mul(w(wts, 3));
      FloatVector r2 = x20.mul(w(wts, 6));
      r0 = x01.fma(w(wts, 1), r0);
      r1 = x11.fma(w(wts, 4), r1);
      r2 = x21.fma(w(wts, 7), r2);
      r0 = x02.fma(w(wts, 2), r0);
      r1 = x12.fma(w(wts, 5), r1);
      r2 = x22.fma(w(wts, 8), r2);
      LanePairs.evensLow(r0.add(r1).add(r2)).intoArray(y, d);
    }

    /**
     * Blocks 1 .. end - 1 of one output row of {@link #rows3}: their loads inside the row, but for a lane past the
     * kept outputs (a dropped odd column, or past q) reaching a column past the row's end.
     */
    static void inner3(float[] a0, int o0, float[] a1, int o1, float[] a2, int o2, int end, float[] wts,
        float bias, float[] y, int d) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      FloatVector b0 = FloatVector.broadcast(S, bias);
      int l = S.length();
      for (int k = 1; k < end; k++) {
        int m0 = o0 + k * l;
        int m1 = o1 + k * l;
        int m2 = o2 + k * l;
        FloatVector r0 = FloatVector.fromArray(S, a0, m0).fma(w00, b0);
        FloatVector r1 = FloatVector.fromArray(S, a1, m1).mul(w10);
        FloatVector r2 = FloatVector.fromArray(S, a2, m2).mul(w20);
        r0 = FloatVector.fromArray(S, a0, m0 + 1).fma(w01, r0);
        r1 = FloatVector.fromArray(S, a1, m1 + 1).fma(w11, r1);
        r2 = FloatVector.fromArray(S, a2, m2 + 1).fma(w21, r2);
        r0 = FloatVector.fromArray(S, a0, m0 + 2).fma(w02, r0);
        r1 = FloatVector.fromArray(S, a1, m1 + 2).fma(w12, r1);
        r2 = FloatVector.fromArray(S, a2, m2 + 2).fma(w22, r2);
        LanePairs.evensLow(r0.add(r1).add(r2)).intoArray(y, d + k * (l / 2));
      }
    }

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
        VectorMask<Float> out0 = DepthwiseUnpaddedSweep.Vec.outside(c, w);
        VectorMask<Float> out1 = DepthwiseUnpaddedSweep.Vec.outside(c + 1, w);
        VectorMask<Float> out2 = DepthwiseUnpaddedSweep.Vec.outside(c + 2, w);
        // Only the blocks at the row's ends load columns outside it, and of their loads only those reaching there
        // into a kept lane are blended (blends at the ends only: 1.1-1.25x on 112x112 and 56x56 planes, one AMD EPYC
        // thread; kept lanes only: 14x14 b32 9.8-10.9 against 8.5-9.7 GFLOP/s, one Xeon thread, two experiments).
        int clears = clears(c, k * (l / 2), w, q);
        boolean c0 = (clears & 1) != 0;
        boolean c1 = (clears & 2) != 0;
        boolean c2 = (clears & 4) != 0;
        int o = x0 + k * l;
        int d = yOff + k * (l / 2) - q;
        FloatVector open = b0;
        for (int i = 0; i <= p; i++, o += 2 * w, d += q) {
          FloatVector v0 = DepthwiseUnpaddedSweep.Vec.load(strip, o, c0, out0, zero);
          FloatVector v1 = DepthwiseUnpaddedSweep.Vec.load(strip, o + 1, c1, out1, zero);
          FloatVector v2 = DepthwiseUnpaddedSweep.Vec.load(strip, o + 2, c2, out2, zero);
          FloatVector done = v2.fma(w22, v1.fma(w21, v0.fma(w20, open)));
          if (i > 0) {
            FloatVector.fromArray(S, y, d).blend(LanePairs.evensLow(done), LOW_HALF).intoArray(y, d);
          }
          if (i == p) {
            break;
          }
          open = v2.fma(w02, v1.fma(w01, v0.fma(w00, b0)));
          int o1 = o + w;
          v0 = DepthwiseUnpaddedSweep.Vec.load(strip, o1, c0, out0, zero);
          v1 = DepthwiseUnpaddedSweep.Vec.load(strip, o1 + 1, c1, out1, zero);
          v2 = DepthwiseUnpaddedSweep.Vec.load(strip, o1 + 2, c2, out2, zero);
          open = v2.fma(w12, v1.fma(w11, v0.fma(w10, open)));
        }
      }
    }
  }
}
