package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The stride-1 sweep of a 3x3 or 5x5 depthwise filter ({@link DepthwiseSweep} has stride 2 and the reasons for
 * sweeping), read straight from the unpadded plane, in bands of rows that stay in L1: no frame. A frame, where the
 * caller still makes one (the first and last planes of a tensor, whose loads would leave the array), is a plane
 * with no padding to it.
 *
 * <p>Why: filling the padded frame was a quarter to over a third of the stride-1 forward (JFR, one AMD EPYC thread:
 * 37% on 112x112 and 32x32 planes, 24% on 14x14). The frame's only job is the zeros around the plane, and those cost
 * nothing to skip: rows above and below the plane contribute nothing, so the sweep starts at the plane's first row
 * with its running sums at the bias and ends by storing the sums still open; columns left and right of it are lanes
 * cleared after the load, in the strips at the plane's edges only, and there only for the loads that take padding into
 * an output kept (an AND per such load, none inside: {@link Vec#inside}). The 5x5 weight gradient ({@link #dots5}) is
 * swept the same way, every load cleared; 3x3 at stride 1 with padding 1 has {@link DepthwiseMaskedDots}, the rest
 * {@link DepthwiseSweep#dots} over a frame.
 */
final class DepthwiseUnpaddedSweep {
  private DepthwiseUnpaddedSweep() {}

  /**
   * Whether {@link #combine} takes an r x r filter (3 or 5) at stride 1 over a rows x cols plane at x[plane] with
   * these paddings into p x q: every padding within the filter's reach, and every vector load inside x (the first
   * and last planes of a tensor may not be).
   */
  static boolean applies(float[] x, int plane, int rows, int cols, int padTop, int padLeft, int r, int p, int q) {
    int padBottom = p + r - 1 - padTop - rows;
    int padRight = q + r - 1 - padLeft - cols;
    if (!DepthwiseSweep.applies(r, r, 1) || padTop < 0 || padTop >= r || padLeft < 0 || padLeft >= r
        || padBottom < 0 || padBottom >= r || padRight < 0 || padRight >= r) {
      return false;
    }
    int l = Simd.LANES;
    long last = plane + (long) (rows - 1) * cols + (q - 1) / l * l - padLeft + r - 1 + l;
    return plane - padLeft >= 0 && last <= x.length;
  }

  /**
   * dst[dstOff + i * q + j] = bias + the sum over taps (a, b) of wts[a * r + b] * x(i + a - padTop, j + b - padLeft)
   * for i &lt; p, j &lt; q, x(u, v) being x[plane + u * cols + v] inside the rows x cols plane and zero outside it.
   * Stores whole vectors as {@link DepthwiseSweep#combine} does: up to a vector past the plane is overwritten. What
   * lands past q (in the rows below, written later, or past the plane) may come from outside the plane, NaN
   * included: only the lanes of kept outputs are cleared ({@link Vec#clears}).
   */
  static void combine(float[] x, int plane, int rows, int cols, int padTop, int padLeft, float[] wts, int r,
      float bias, float[] dst, int dstOff, int p, int q) {
    int band = bandRows(cols, q, r, p);
    // A plane that does not stay in L1 is read ahead a band at a time, in address order.
    boolean warm = 4L * ((long) rows * cols + (long) p * q) > CacheSizes.l1();
    for (int i0 = 0; i0 < p; i0 += band) {
      int i1 = Math.min(p, i0 + band);
      // Input rows i0 - padTop .. i1 + r - 2 - padTop, inside the plane: the rows above the first band and below
      // the last are its padding; between bands, the r - 1 rows both read.
      int u0 = Math.max(0, i0 - padTop);
      int u1 = Math.min(rows, i1 + r - 1 - padTop);
      int top = u0 - (i0 - padTop);
      if (warm) {
        warm(x, plane + u0 * cols, plane + u1 * cols);
      }
      if (r == 3) {
        Vec.sweep3(x, plane + u0 * cols, u1 - u0, cols, top, padLeft, wts, bias, dst, dstOff + i0 * q, i1 - i0, q);
      } else {
        Vec.sweep5(x, plane + u0 * cols, u1 - u0, cols, top, padLeft, wts, bias, dst, dstOff + i0 * q, i1 - i0, q);
      }
    }
  }

  /**
   * The weight gradient of a 5x5 filter at stride 1 over one plane, read in place as {@link #combine} reads it: for
   * every tap (a, b), acc[at + (a * 5 + b) * lanes + lane] += the sum over i &lt; p and j &lt; q, j in the lane's
   * residue class, of x(i + a - padTop, j + b - padLeft) * dy[dyOff + i * q + j], x zero outside the plane. dy must
   * be readable a vector past its last row (see {@link DepthwiseSweep#dots}); x as {@link #applies} asks.
   *
   * <p>Why: the swept weight gradient through a padded frame ({@link DepthwiseSweep#dots}) spent a quarter of its time
   * filling the frame (28x28 planes from memory, one AMD EPYC thread) and an eighth of its multiply-adds on the frame's
   * zero rows. Here the sweep runs over the plane's own rows. A load that reaches outside its row has those lanes
   * cleared, all of them, not only the kept outputs' as in the forward: dy's cleared lanes would otherwise multiply
   * another row's or plane's values, NaN from an infinite one. Every x load is cleared, with bits that clear nothing
   * inside the row: clearing only the loads that reach past the row (a branch on a flag per load, as the forward does)
   * ran up to 62 GFLOP/s on 28x28 planes, but in some JVMs compiled slow and stayed there (18 on 56x56 planes in one
   * probe run of four, 35 on 28x28 in one of two `bench` runs). An earlier in-place version of this sweep, every load
   * blended, ran 2.4x slower than the frame (30 against 72 GFLOP/s on a 32x32 plane in L1); why this one does not was
   * not found. Measured (then with blends) against the frame's sweep (commit 1cd2679), one AMD EPYC thread, separate
   * JVMs alternating, the best of four runs in each of three JVMs, GFLOP/s: 28x28 b16 54.9-57.2 against 43.3-48.2,
   * 56x56 b8 51.9-54.2 against 36.4-38.0, 14x14 b32 48.0-51.8 against 31.7-32.1.
   */
  static void dots5(float[] x, int plane, int rows, int cols, int padTop, int padLeft, float[] dy, int dyOff, int p,
      int q, float[] acc, int at) {
    int l = Simd.LANES;
    // Filter columns 0-2, then 3-4: all 25 accumulators at once are more than C2 keeps in registers. Two methods,
    // not one with the third column behind a flag (a fifth of the speed: 14 against 62 GFLOP/s), and the sums added
    // to acc written out, not through a shared helper (not inlined here: 27 against 57-62).
    Vec.dots5x3(x, plane, rows, cols, padTop, -padLeft, dy, dyOff, p, q, acc, at, at + l, at + 2 * l);
    Vec.dots5x2(x, plane, rows, cols, padTop, 3 - padLeft, dy, dyOff, p, q, acc, at + 3 * l, at + 4 * l);
  }

  /**
   * Reads one float of every cache line of x[from, to) in address order: the sweep then finds a band's rows in L1
   * instead of missing on every row as it walks down a column. Measured on one AMD EPYC thread, forward 3x3 on
   * 112x112 planes in bands of 8 rows: 39 GFLOP/s against 24 unwarmed (and 24 through the frame); at 96 channels,
   * past L3, 31-33 against 21-22. 56x56 planes, whose bands stay in L1 anyway, lost 8% to it.
   */
  private static void warm(float[] x, int from, int to) {
    float sum = 0f;
    for (int i = from; i < to; i += 16) {
      sum += x[i];
    }
    // Kept, so the reads are: a plain store, no fence.
    warmed = sum;
  }

  /** What {@link #warm} read last (its reads must not be optimized away). */
  private static float warmed;

  /**
   * Output rows per band of a p-row output: the fewest bands whose input and output rows stay within a quarter of
   * L1, evened out; the whole plane as one band where such bands would be under {@link #minBand} rows (the
   * evening out may leave them a little under it: 4 bands of 14 rows where 16 fit, for 5x5 on 56x56).
   */
  static int bandRows(int cols, int q, int r, int p) {
    long most = bandLimit(cols, q, r);
    if (most < minBand(r)) {
      return p;
    }
    long bands = (p + most - 1) / most;
    return (int) ((p + bands - 1) / bands);
  }

  /**
   * Why a quarter of L1: the sweep walks a band a vector-wide column at a time, and a load or store straddling two
   * columns' cache lines finds the line again only if it stayed in L1. Measured on one AMD EPYC thread (32 KB L1),
   * forward 3x3, three runs each, GFLOP/s: 56x56 planes 49-54 in bands of 8 KB (14 rows), 39-46 in 16 and 32 KB,
   * 20-24 through the frame; 112x112 19-21 in 8 KB bands (8 rows) before {@link #warm}, 11-21 in larger ones,
   * 18-20 through the frame.
   */
  private static long bandLimit(int cols, int q, int r) {
    long floats = CacheSizes.l1() / 16 - (long) (r - 1) * cols;
    return Math.max(0, floats / (cols + q));
  }

  /**
   * The fewest rows a band may have: four times the r - 1 rows two bands both read. Thinner bands lost to the
   * frame: 224x224 planes 3x3 in bands of 3 rows 24-25 GFLOP/s against 24 (13-16 before warming), 5x5 in bands of 3
   * 45 against 48-50, 112x112 5x5 in bands of 7 39-41 against 49-52.
   */
  private static int minBand(int r) {
    return 4 * (r - 1);
  }

  /**
   * Whether sweeping x in place pays: {@link #applies}, and the plane in bands of {@link #minBand} rows or more
   * (or one band). Otherwise the caller frames the plane (in L2) and sweeps the frame, no faster on wide rows.
   */
  static boolean inPlace(float[] x, int plane, int rows, int cols, int padTop, int padLeft, int r, int p, int q) {
    long most = bandLimit(cols, q, r);
    return (most >= minBand(r) || most >= p) && applies(x, plane, rows, cols, padTop, padLeft, r, p, q);
  }

  /**
   * Loaded only when the Vector API is present. {@link DepthwiseEvenColumns} shares its edge masks and loads,
   * {@link DepthwiseSweep} its dy lane bits ({@link #below}), {@link DepthwisePairs} its edge masks, clears and dy row
   * loads ({@link #dyRow}).
   */
  static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final FloatVector IOTA = FloatVector.zero(S).addIndex(1);
    static final IntVector IOTA_INT = IntVector.zero(S.withLanes(int.class)).addIndex(1);

    private static FloatVector w(float[] wts, int t) {
      return FloatVector.broadcast(S, wts[t]);
    }

    /**
     * All bits set in the lanes whose column first + lane lies inside [0, cols), clear in the padding's: the sweeps
     * clear a load's padding lanes by an AND with these bits ({@code v.reinterpretAsInts().and(bits)}, written out
     * at each load). Why not a blend through a {@link VectorMask}: C2 keeps a mask that does not fit the registers
     * as a vector and turns it back into a mask register every row, three instructions a load (a reload, a compare,
     * the blend) where the AND is one that takes its operand from memory. Measured on one Intel Xeon thread
     * (AVX-512), GFLOP/s, alternating JVMs: 5x5 forward on 28x28 planes in L2 83.0-83.6 against 56.7-73.2, from
     * memory (240 channels, batch 16) 69.8-73.7 against 64.8-66.4; the 5x5 weight gradient 59.3-61.0 against
     * 46.3-49.2; 3x3 on 14x14 planes forward 41.9-44.1 against 38.5-39.1. Through a shared helper the AND was not
     * inlined (C2 compiled it alone, too big to inline after): 10-15 GFLOP/s.
     */
    static IntVector inside(int first, int cols) {
      IntVector k = IOTA_INT.add(first);
      return (IntVector) k.compare(VectorOperators.GE, 0).and(k.compare(VectorOperators.LT, cols)).toVector();
    }

    /** All bits set in the lanes below {@code lanes}, clear in the others: dy's lanes kept ({@link #inside}). */
    static IntVector below(int lanes) {
      return (IntVector) IOTA_INT.compare(VectorOperators.LT, lanes).toVector();
    }

    /** The lanes whose column first + lane lies outside [0, cols): padding, cleared after the load. */
    static VectorMask<Float> outside(int first, int cols) {
      FloatVector k = IOTA.add((float) first);
      return k.compare(VectorOperators.LT, 0f).or(k.compare(VectorOperators.GE, (float) cols));
    }

    /**
     * The vector at a[at], the lanes in out cleared if clear (a load that reaches outside its row), for {@link
     * DepthwiseEvenColumns}. The sweeps here clear with an AND instead ({@link #inside}), written out at each load.
     */
    static FloatVector load(float[] a, int at, boolean clear, VectorMask<Float> out, FloatVector zero) {
      FloatVector v = FloatVector.fromArray(S, a, at);
      return clear ? v.blend(zero, out) : v;
    }

    /**
     * Whether the load at column first takes padding into an output that is kept: a column before 0 or past the
     * row's end among its first kept lanes. Only such loads are cleared (an AND each row); the lanes past the
     * kept ones are outputs past q, overwritten later, so what they read does not matter.
     */
    static boolean clears(int first, int cols, int kept) {
      return first < 0 || first + kept > cols;
    }

    /**
     * The vector at dy[at] with its lanes from {@code lanes} on cleared: past a row's end (the next row's values)
     * or, with none kept, a row past the plane (read at the last row's place, inside the array).
     */
    static FloatVector dyRow(float[] dy, int at, int lanes) {
      return FloatVector.fromArray(S, dy, at).blend(0f, IOTA.compare(VectorOperators.GE, (float) lanes));
    }

    /**
     * {@link #dots5} for filter columns shift + padLeft .. + 2: input row v (padded row u = v + padTop) meets dy
     * rows u - a (filter row a), a = 0 to 4; column b's taps accumulate at atB, atB + 5 lanes, ... (filter rows).
     * The padding rows above the plane only bring their dy rows into the registers; those below add nothing.
     */
    static void dots5x3(float[] x, int plane, int rows, int cols, int padTop, int shift, float[] dy, int dyOff, int p,
        int q, float[] acc, int at0, int at1, int at2) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      for (int j = 0; j < q; j += l) {
        FloatVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero, a20 = zero, a21 = zero;
        FloatVector a22 = zero, a30 = zero, a31 = zero, a32 = zero, a40 = zero, a41 = zero, a42 = zero;
        int first = j + shift;
        IntVector in0 = inside(first, cols);
        IntVector in1 = inside(first + 1, cols);
        IntVector in2 = inside(first + 2, cols);
        FloatVector d1 = zero, d2 = zero, d3 = zero, d4 = zero;
        IntVector keptBits = below(Math.min(l, q - j));
        int last = dyOff + (p - 1) * q + j;
        for (int u = 0, e = dyOff + j; u < padTop; u++, e += q) {
          d4 = d3;
          d3 = d2;
          d2 = d1;
          d1 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(u < p ? -1 : 0)).reinterpretAsFloats();
        }
        for (int v = 0, o = plane + first, e = dyOff + padTop * q + j; v < rows; v++, o += cols, e += q) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(v + padTop < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x0 = FloatVector.fromArray(S, x, o);
          x0 = x0.reinterpretAsInts().and(in0).reinterpretAsFloats();
          a00 = x0.fma(d0, a00);
          a10 = x0.fma(d1, a10);
          a20 = x0.fma(d2, a20);
          a30 = x0.fma(d3, a30);
          a40 = x0.fma(d4, a40);
          FloatVector x1 = FloatVector.fromArray(S, x, o + 1);
          x1 = x1.reinterpretAsInts().and(in1).reinterpretAsFloats();
          a01 = x1.fma(d0, a01);
          a11 = x1.fma(d1, a11);
          a21 = x1.fma(d2, a21);
          a31 = x1.fma(d3, a31);
          a41 = x1.fma(d4, a41);
          FloatVector x2 = FloatVector.fromArray(S, x, o + 2);
          x2 = x2.reinterpretAsInts().and(in2).reinterpretAsFloats();
          a02 = x2.fma(d0, a02);
          a12 = x2.fma(d1, a12);
          a22 = x2.fma(d2, a22);
          a32 = x2.fma(d3, a32);
          a42 = x2.fma(d4, a42);
          d4 = d3;
          d3 = d2;
          d2 = d1;
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at0)).intoArray(acc, at0);
        a01.add(FloatVector.fromArray(S, acc, at1)).intoArray(acc, at1);
        a02.add(FloatVector.fromArray(S, acc, at2)).intoArray(acc, at2);
        a10.add(FloatVector.fromArray(S, acc, at0 + 5 * l)).intoArray(acc, at0 + 5 * l);
        a11.add(FloatVector.fromArray(S, acc, at1 + 5 * l)).intoArray(acc, at1 + 5 * l);
        a12.add(FloatVector.fromArray(S, acc, at2 + 5 * l)).intoArray(acc, at2 + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at0 + 10 * l)).intoArray(acc, at0 + 10 * l);
        a21.add(FloatVector.fromArray(S, acc, at1 + 10 * l)).intoArray(acc, at1 + 10 * l);
        a22.add(FloatVector.fromArray(S, acc, at2 + 10 * l)).intoArray(acc, at2 + 10 * l);
        a30.add(FloatVector.fromArray(S, acc, at0 + 15 * l)).intoArray(acc, at0 + 15 * l);
        a31.add(FloatVector.fromArray(S, acc, at1 + 15 * l)).intoArray(acc, at1 + 15 * l);
        a32.add(FloatVector.fromArray(S, acc, at2 + 15 * l)).intoArray(acc, at2 + 15 * l);
        a40.add(FloatVector.fromArray(S, acc, at0 + 20 * l)).intoArray(acc, at0 + 20 * l);
        a41.add(FloatVector.fromArray(S, acc, at1 + 20 * l)).intoArray(acc, at1 + 20 * l);
        a42.add(FloatVector.fromArray(S, acc, at2 + 20 * l)).intoArray(acc, at2 + 20 * l);
      }
    }

    /** {@link #dots5x3} for two filter columns. */
    static void dots5x2(float[] x, int plane, int rows, int cols, int padTop, int shift, float[] dy, int dyOff, int p,
        int q, float[] acc, int at0, int at1) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      for (int j = 0; j < q; j += l) {
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        FloatVector a40 = zero, a41 = zero;
        int first = j + shift;
        IntVector in0 = inside(first, cols);
        IntVector in1 = inside(first + 1, cols);
        FloatVector d1 = zero, d2 = zero, d3 = zero, d4 = zero;
        IntVector keptBits = below(Math.min(l, q - j));
        int last = dyOff + (p - 1) * q + j;
        for (int u = 0, e = dyOff + j; u < padTop; u++, e += q) {
          d4 = d3;
          d3 = d2;
          d2 = d1;
          d1 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(u < p ? -1 : 0)).reinterpretAsFloats();
        }
        for (int v = 0, o = plane + first, e = dyOff + padTop * q + j; v < rows; v++, o += cols, e += q) {
          FloatVector d0 = FloatVector.fromArray(S, dy, Math.min(e, last)).reinterpretAsInts()
              .and(keptBits.and(v + padTop < p ? -1 : 0)).reinterpretAsFloats();
          FloatVector x0 = FloatVector.fromArray(S, x, o);
          x0 = x0.reinterpretAsInts().and(in0).reinterpretAsFloats();
          a00 = x0.fma(d0, a00);
          a10 = x0.fma(d1, a10);
          a20 = x0.fma(d2, a20);
          a30 = x0.fma(d3, a30);
          a40 = x0.fma(d4, a40);
          FloatVector x1 = FloatVector.fromArray(S, x, o + 1);
          x1 = x1.reinterpretAsInts().and(in1).reinterpretAsFloats();
          a01 = x1.fma(d0, a01);
          a11 = x1.fma(d1, a11);
          a21 = x1.fma(d2, a21);
          a31 = x1.fma(d3, a31);
          a41 = x1.fma(d4, a41);
          d4 = d3;
          d3 = d2;
          d2 = d1;
          d1 = d0;
        }
        a00.add(FloatVector.fromArray(S, acc, at0)).intoArray(acc, at0);
        a01.add(FloatVector.fromArray(S, acc, at1)).intoArray(acc, at1);
        a10.add(FloatVector.fromArray(S, acc, at0 + 5 * l)).intoArray(acc, at0 + 5 * l);
        a11.add(FloatVector.fromArray(S, acc, at1 + 5 * l)).intoArray(acc, at1 + 5 * l);
        a20.add(FloatVector.fromArray(S, acc, at0 + 10 * l)).intoArray(acc, at0 + 10 * l);
        a21.add(FloatVector.fromArray(S, acc, at1 + 10 * l)).intoArray(acc, at1 + 10 * l);
        a30.add(FloatVector.fromArray(S, acc, at0 + 15 * l)).intoArray(acc, at0 + 15 * l);
        a31.add(FloatVector.fromArray(S, acc, at1 + 15 * l)).intoArray(acc, at1 + 15 * l);
        a40.add(FloatVector.fromArray(S, acc, at0 + 20 * l)).intoArray(acc, at0 + 20 * l);
        a41.add(FloatVector.fromArray(S, acc, at1 + 20 * l)).intoArray(acc, at1 + 20 * l);
      }
    }

    /**
     * 3x3: input row v (padded row u = v + padTop) completes output row u - 2, continues u - 1 and starts u, as in
     * {@link DepthwiseSweep}; the padded rows above the plane would only have added zeros to sums at the bias,
     * and those below complete the sums still open, stored after the plane's last row.
     */
    static void sweep3(float[] x, int plane, int rows, int cols, int padTop, int padLeft, float[] wts, float bias,
        float[] dst, int dstOff, int p, int q) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2);
      FloatVector w10 = w(wts, 3), w11 = w(wts, 4), w12 = w(wts, 5);
      FloatVector w20 = w(wts, 6), w21 = w(wts, 7), w22 = w(wts, 8);
      int l = S.length();
      FloatVector b0 = FloatVector.broadcast(S, bias);
      int padBottom = p + 2 - padTop - rows;
      // The last, partial column of vectors first: its stores reach into the next rows, written after them.
      for (int j = (q - 1) / l * l; j >= 0; j -= l) {
        int first = j - padLeft;
        // The lanes of this column's outputs that are kept: those past q land in the rows below (written later)
        // or past the plane.
        int kept = Math.min(l, q - j);
        IntVector in0 = inside(first, cols);
        IntVector in1 = inside(first + 1, cols);
        IntVector in2 = inside(first + 2, cols);
        boolean c0 = clears(first, cols, kept);
        boolean c1 = clears(first + 1, cols, kept);
        boolean c2 = clears(first + 2, cols, kept);
        FloatVector two = b0;
        FloatVector one = b0;
        int d = dstOff + j + (padTop - 2) * q;
        for (int v = 0, o = plane + first; v < rows; v++, o += cols, d += q) {
          FloatVector x0 = FloatVector.fromArray(S, x, o);
          FloatVector x1 = FloatVector.fromArray(S, x, o + 1);
          FloatVector x2 = FloatVector.fromArray(S, x, o + 2);
          if (c0) {
            x0 = x0.reinterpretAsInts().and(in0).reinterpretAsFloats();
          }
          if (c1) {
            x1 = x1.reinterpretAsInts().and(in1).reinterpretAsFloats();
          }
          if (c2) {
            x2 = x2.reinterpretAsInts().and(in2).reinterpretAsFloats();
          }
          // One FMA per tap, the open sum its addend: the filter row's own sum (a multiply, FMAs) and then an add
          // took one instruction more a row (measured in the README's "The open sum as the addend").
          FloatVector done = x2.fma(w22, x1.fma(w21, x0.fma(w20, two)));
          two = x2.fma(w12, x1.fma(w11, x0.fma(w10, one)));
          one = x2.fma(w02, x1.fma(w01, x0.fma(w00, b0)));
          if (v + padTop >= 2) {
            done.intoArray(dst, d);
          }
        }
        // The rows below the plane add nothing: each completes the oldest open sum, output rows below, below + 1
        // (if the plane is shorter than the filter, the first may lie above the output).
        int below = padTop + rows - 2;
        if (padBottom >= 1 && below >= 0) {
          two.intoArray(dst, d);
        }
        if (padBottom >= 2 && below + 1 >= 0) {
          one.intoArray(dst, d + q);
        }
      }
    }

    /** 5x5: as {@link #sweep3}, input row v (padded row u) completing output row u - 4 and opening row u. */
    static void sweep5(float[] x, int plane, int rows, int cols, int padTop, int padLeft, float[] wts, float bias,
        float[] dst, int dstOff, int p, int q) {
      FloatVector w00 = w(wts, 0), w01 = w(wts, 1), w02 = w(wts, 2), w03 = w(wts, 3), w04 = w(wts, 4);
      FloatVector w10 = w(wts, 5), w11 = w(wts, 6), w12 = w(wts, 7), w13 = w(wts, 8), w14 = w(wts, 9);
      FloatVector w20 = w(wts, 10), w21 = w(wts, 11), w22 = w(wts, 12), w23 = w(wts, 13), w24 = w(wts, 14);
      FloatVector w30 = w(wts, 15), w31 = w(wts, 16), w32 = w(wts, 17), w33 = w(wts, 18), w34 = w(wts, 19);
      FloatVector w40 = w(wts, 20), w41 = w(wts, 21), w42 = w(wts, 22), w43 = w(wts, 23), w44 = w(wts, 24);
      int l = S.length();
      FloatVector b0 = FloatVector.broadcast(S, bias);
      int padBottom = p + 4 - padTop - rows;
      for (int j = (q - 1) / l * l; j >= 0; j -= l) {
        int first = j - padLeft;
        // The lanes of this column's outputs that are kept: those past q land in the rows below (written later)
        // or past the plane.
        int kept = Math.min(l, q - j);
        IntVector in0 = inside(first, cols);
        IntVector in1 = inside(first + 1, cols);
        IntVector in2 = inside(first + 2, cols);
        IntVector in3 = inside(first + 3, cols);
        IntVector in4 = inside(first + 4, cols);
        boolean c0 = clears(first, cols, kept);
        boolean c1 = clears(first + 1, cols, kept);
        boolean c2 = clears(first + 2, cols, kept);
        boolean c3 = clears(first + 3, cols, kept);
        boolean c4 = clears(first + 4, cols, kept);
        FloatVector four = b0;
        FloatVector three = b0;
        FloatVector two = b0;
        FloatVector one = b0;
        int d = dstOff + j + (padTop - 4) * q;
        for (int v = 0, o = plane + first; v < rows; v++, o += cols, d += q) {
          FloatVector x0 = FloatVector.fromArray(S, x, o);
          FloatVector x1 = FloatVector.fromArray(S, x, o + 1);
          FloatVector x2 = FloatVector.fromArray(S, x, o + 2);
          FloatVector x3 = FloatVector.fromArray(S, x, o + 3);
          FloatVector x4 = FloatVector.fromArray(S, x, o + 4);
          if (c0) {
            x0 = x0.reinterpretAsInts().and(in0).reinterpretAsFloats();
          }
          if (c1) {
            x1 = x1.reinterpretAsInts().and(in1).reinterpretAsFloats();
          }
          if (c2) {
            x2 = x2.reinterpretAsInts().and(in2).reinterpretAsFloats();
          }
          if (c3) {
            x3 = x3.reinterpretAsInts().and(in3).reinterpretAsFloats();
          }
          if (c4) {
            x4 = x4.reinterpretAsInts().and(in4).reinterpretAsFloats();
          }
          FloatVector done = x4.fma(w44, x3.fma(w43, x2.fma(w42, x1.fma(w41, x0.fma(w40, four)))));
          four = x4.fma(w34, x3.fma(w33, x2.fma(w32, x1.fma(w31, x0.fma(w30, three)))));
          three = x4.fma(w24, x3.fma(w23, x2.fma(w22, x1.fma(w21, x0.fma(w20, two)))));
          two = x4.fma(w14, x3.fma(w13, x2.fma(w12, x1.fma(w11, x0.fma(w10, one)))));
          one = x4.fma(w04, x3.fma(w03, x2.fma(w02, x1.fma(w01, x0.fma(w00, b0)))));
          if (v + padTop >= 4) {
            done.intoArray(dst, d);
          }
        }
        int below = padTop + rows - 4;
        if (padBottom >= 1 && below >= 0) {
          four.intoArray(dst, d);
        }
        if (padBottom >= 2 && below + 1 >= 0) {
          three.intoArray(dst, d + q);
        }
        if (padBottom >= 3 && below + 2 >= 0) {
          two.intoArray(dst, d + 2 * q);
        }
        if (padBottom >= 4 && below + 3 >= 0) {
          one.intoArray(dst, d + 3 * q);
        }
      }
    }
  }
}
