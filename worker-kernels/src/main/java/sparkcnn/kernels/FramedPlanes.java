package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies between dense planes and zero-padded frames, a vector at a time.
 *
 * <p>The depthwise kernels on flattened planes copy every plane into a frame with zeros around it, and copy the
 * result back out of a frame. The planes of the efficient nets' later stages are 7 to 28 floats wide, so a copy
 * made of one {@code System.arraycopy} and one {@code Arrays.fill} per row cost more than the convolution itself
 * (half of the forward pass on 14x14 planes, measured). Here a frame row is built from whole-vector loads of the
 * plane, the lanes outside the row blended to zero, and a row is copied out with whole-vector stores. The last
 * vector of a row may reach into the next row only where the next row is written afterwards.
 */
final class FramedPlanes {
  private FramedPlanes() {}

  /**
   * A rows x cols plane (dense, at srcOff) into dst as an hp x wp frame: top rows and left columns of zeros
   * before it, zeros after it, and up to {@link Simd#LANES} zeros past the frame (the kernels read whole
   * vectors), as far as dst reaches. dst must hold the frame and a vector past it: a narrow row's vector store
   * reaches that far.
   */
  static void pad(float[] src, int srcOff, int rows, int cols, int top, int left, int hp, int wp, float[] dst) {
    pad(src, srcOff, rows, cols, top, left, hp, wp, dst, 0);
  }

  /** {@link #pad} into the frame at dst[dstOff]: its vector of zeros past the frame lands in what follows. */
  static void pad(float[] src, int srcOff, int rows, int cols, int top, int left, int hp, int wp, float[] dst,
      int dstOff) {
    int from = 0;
    int to = 0;
    if (Simd.AVAILABLE) {
      // Rows whose vectors would read outside src (at the ends of the array) take the scalar path below.
      int span = Math.max(wp, Simd.LANES);
      from = Math.min(rows, Math.max(0, Math.floorDiv(left - srcOff + cols - 1, cols)));
      to = Math.max(from, Math.min(rows, Math.floorDiv(src.length - srcOff + left - span, cols) + 1));
      Vec.pad(src, srcOff, from, to, cols, top, left, wp, dst, dstOff);
    }
    for (int i = 0; i < rows; i++) {
      if (i >= from && i < to) {
        continue;
      }
      int d = dstOff + (top + i) * wp;
      java.util.Arrays.fill(dst, d, d + left, 0f);
      System.arraycopy(src, srcOff + i * cols, dst, d + left, cols);
      java.util.Arrays.fill(dst, d + left + cols, d + wp, 0f);
    }
    // Last: a narrow row's vector reaches into the row below, and the last one into the bottom padding.
    zero(dst, dstOff, dstOff + top * wp);
    zero(dst, dstOff + (top + rows) * wp, Math.min(dst.length, dstOff + hp * wp + Simd.LANES));
  }

  /** dst[from, to) = 0: a few vector stores where Arrays.fill's call cost as much as a small plane's rows. */
  private static void zero(float[] dst, int from, int to) {
    int i = Simd.AVAILABLE ? Vec.zero(dst, from, to) : from;
    for (; i < to; i++) {
      dst[i] = 0f;
    }
  }

  /**
   * A rows x cols plane into dst as the stride phases of its zero-padded frame, for a column stride of 2 and a
   * row stride of sh: padded row u, column k (the plane's row u - top, column k - left, or zero outside it)
   * lands in phase (u % sh, k % 2) at row u / sh, column k / 2, phase (a, b) being the frameRows x width block at
   * dstOff + (a * 2 + b) * frameRows * width. Then up to {@link Simd#LANES} zeros past the phases, as far as dst
   * reaches. Plane rows of a whole number of vector pairs are split a pair at a time into a vector of each phase
   * ({@link Vec#splitWholeRows}); other phases a vector wide or more a vector of the plane row at a time into half
   * a vector of each ({@link Vec#splitRows}); narrower phases a pair of vector loads per vector of one phase's row.
   * The frame must hold the plane (width at least (left + cols + 1) / 2, sh frameRows at least top + rows): the
   * whole-pair path writes every column of every plane row.
   */
  static void padStride2(float[] src, int srcOff, int rows, int cols, int top, int left, int sh, int frameRows,
      int width, float[] dst, int dstOff) {
    int phaseSize = frameRows * width;
    if (width >= Simd.LANES) {
      // Row by row in memory order, both column phases from each vector of the row: the plane streams once. The
      // rows whose loads stay inside src go through the vector loop, which builds its edge masks once.
      int vFrom = 0;
      int vTo = 0;
      if (Simd.AVAILABLE && cols % (2 * Simd.LANES) == 0) {
        // The frame's zeros a vector at a time, then the plane's rows over them (one by one, the padding rows and
        // columns cost a 32x32 plane as much as its data).
        int end = dstOff + 2 * sh * phaseSize;
        zero(dst, dstOff, Math.min(dst.length, end + Simd.LANES));
        Vec.splitWholeRows(src, srcOff, rows, cols, left, width, top, sh, phaseSize, dst, dstOff);
        return;
      }
      if (Simd.AVAILABLE) {
        vFrom = Math.min(rows, Math.max(0, Math.floorDiv(left - srcOff + cols - 1, cols)));
        vTo = Math.max(vFrom, Math.min(rows, Math.floorDiv(src.length - srcOff + left - 2 * width, cols) + 1));
        Vec.splitRows(src, srcOff, cols, left, width, vFrom, vTo, top, sh, phaseSize, dst, dstOff);
      }
      for (int u = 0; u < sh * frameRows; u++) {
        int even = dstOff + (u % sh) * 2 * phaseSize + (u / sh) * width;
        int ih = u - top;
        if (ih >= vFrom && ih < vTo) {
          continue;
        }
        if (ih >= 0 && ih < rows) {
          splitRow(src, srcOff + ih * cols, cols, left, width, dst, even, even + phaseSize);
        } else {
          java.util.Arrays.fill(dst, even, even + width, 0f);
          java.util.Arrays.fill(dst, even + phaseSize, even + phaseSize + width, 0f);
        }
      }
    } else {
      // Narrow rows: a vector reaches past its row, so each phase is written in order, row by row.
      for (int a = 0; a < sh; a++) {
        for (int b = 0; b < 2; b++) {
          int phase = dstOff + (a * 2 + b) * phaseSize;
          // Phase rows m holding plane rows (m * sh + a - top in [0, rows)): [mLo, mHi).
          int mLo = Math.min(frameRows, Math.max(0, Math.floorDiv(top - a + sh - 1, sh)));
          int mHi = Math.max(mLo, Math.min(frameRows, Math.floorDiv(rows + top - a + sh - 1, sh)));
          java.util.Arrays.fill(dst, phase, phase + mLo * width, 0f);
          int done = Simd.AVAILABLE ? Vec.evenOdd(src, srcOff, cols, top, left, sh, a, b, mLo, mHi, dst, phase,
              width) : mLo;
          for (int m = done; m < mHi; m++) {
            int d = phase + m * width;
            int row = srcOff + (m * sh + a - top) * cols;
            for (int n = 0; n < width; n++) {
              int k = 2 * n + b - left;
              dst[d + n] = k >= 0 && k < cols ? src[row + k] : 0f;
            }
          }
          // After the data rows: the last one's vector may reach into these.
          java.util.Arrays.fill(dst, phase + mHi * width, phase + frameRows * width, 0f);
        }
      }
    }
    int end = dstOff + 2 * sh * phaseSize;
    java.util.Arrays.fill(dst, end, Math.min(dst.length, end + Simd.LANES), 0f);
  }

  /**
   * One row of cols floats at src[row], zero-padded by left zeros before it and zeros after it, split into its
   * even and odd columns: dst[even + m] = padded[2m], dst[odd + m] = padded[2m + 1] for m < n.
   */
  static void splitRow(float[] src, int row, int cols, int left, int n, float[] dst, int even, int odd) {
    if (Simd.AVAILABLE && n >= Simd.LANES && row - left >= 0 && row - left + 2 * n <= src.length) {
      Vec.splitRow(src, row, cols, left, n, dst, even, odd);
      return;
    }
    for (int m = 0; m < n; m++) {
      int k = 2 * m - left;
      dst[even + m] = k >= 0 && k < cols ? src[row + k] : 0f;
      dst[odd + m] = k + 1 >= 0 && k + 1 < cols ? src[row + k + 1] : 0f;
    }
  }

  /**
   * The inverse of {@link #splitRow}, without the padding: dst[dstOff + c] = src[even + k / 2] for even k and
   * src[odd + k / 2] for odd k, where k = c + left, for c < cols. Only those indexes of src are read, except by
   * rows of one to two vectors, whose vector steps read up to half a vector past each phase's run (inside src).
   */
  static void mergeRow(float[] src, int even, int odd, int left, int cols, float[] dst, int dstOff) {
    int c = 0;
    if (Simd.AVAILABLE) {
      c = Vec.mergeRow(src, even, odd, left, cols, dst, dstOff);
    }
    // The rest (all of a row narrower than two vectors) as two strided loops, one per column parity: a select per
    // element on k % 2 ran stride-2 backward-data on 16x16 and 32x32 planes at 2-3 GFLOP/s.
    int evenStart = c + ((c + left) & 1);
    for (int e = evenStart; e < cols; e += 2) {
      dst[dstOff + e] = src[even + (e + left) / 2];
    }
    for (int o = evenStart == c ? c + 1 : c; o < cols; o += 2) {
      dst[dstOff + o] = src[odd + (o + left) / 2];
    }
  }

  /**
   * dst[dstOff + i * cols + j] = src[srcOff + i * srcStride + j] for i < rows, j < cols: rows spaced srcStride
   * apart into a dense plane. src must be readable a vector past each row.
   */
  static void unpad(float[] src, int srcOff, int srcStride, int rows, int cols, float[] dst, int dstOff) {
    int done = Simd.AVAILABLE ? Vec.unpad(src, srcOff, srcStride, rows, cols, dst, dstOff) : 0;
    for (int i = done; i < rows; i++) {
      System.arraycopy(src, srcOff + i * srcStride, dst, dstOff + i * cols, cols);
    }
  }

  /** Loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
    static final IntVector IOTA = IntVector.zero(I).addIndex(1);

    /** Zeros from dst[from] a vector at a time while the vectors end by to; returns where they stopped. */
    static int zero(float[] dst, int from, int to) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      int i = from;
      for (; i + l <= to; i += l) {
        zero.intoArray(dst, i);
      }
      return i;
    }

    /** The lanes i whose column first + i lies in [left, left + cols): a row's values, not its padding. */
    static VectorMask<Float> inside(int first, int left, int cols) {
      IntVector k = IOTA.add(first);
      return k.compare(VectorOperators.GE, left).and(k.compare(VectorOperators.LT, left + cols)).cast(S);
    }

    /**
     * Frame rows top + from .. top + to - 1. With wp of a vector or more, a row is covered by vectors at 0, L,
     * 2L, ... and a last one ending at wp (overlapping, never past the row). A narrower row is one vector
     * reaching into the next row, which is written after it (by the caller if it is past to).
     */
    static void pad(float[] src, int srcOff, int from, int to, int cols, int top, int left, int wp, float[] dst,
        int dstOff) {
      int l = S.length();
      // The masks are inverted and the zero built once per call, not per row: per row they made the pad of a
      // 14x14 plane 2.5x slower (53 against 28 ns on one AMD EPYC thread), more than the sweep after it.
      FloatVector zero = FloatVector.zero(S);
      if (wp <= l) {
        // One vector a row, a narrow one reaching into the next row (written after it).
        VectorMask<Float> outside = inside(0, left, cols).not();
        for (int i = from; i < to; i++) {
          FloatVector.fromArray(S, src, srcOff + i * cols - left).blend(zero, outside)
              .intoArray(dst, dstOff + (top + i) * wp);
        }
        return;
      }
      // Row by row, so the plane is read as one stream (column by column, each plane was read at a quarter of the
      // copy bandwidth). Only the first and last vectors of a row hold padding, unless the row is narrow.
      int last = wp - l;
      VectorMask<Float> firstOut = inside(0, left, cols).not();
      VectorMask<Float> lastOut = inside(last, left, cols).not();
      for (int i = from; i < to; i++) {
        int s = srcOff + i * cols - left;
        int d = dstOff + (top + i) * wp;
        FloatVector.fromArray(S, src, s).blend(zero, firstOut).intoArray(dst, d);
        for (int c0 = l; c0 < last; c0 += l) {
          FloatVector v = FloatVector.fromArray(S, src, s + c0);
          if (c0 < left || c0 + l > left + cols) {
            v = v.blend(zero, inside(c0, left, cols).not());
          }
          v.intoArray(dst, d + c0);
        }
        FloatVector.fromArray(S, src, s + last).blend(zero, lastOut).intoArray(dst, d + last);
      }
    }

    /**
     * Phase (a, b) rows mLo .. mHi - 1 of {@link #padStride2} for a width under a vector: one vector per row, from
     * mLo on while the row's two loads stay inside src; returns the first row left to the caller (which writes it
     * after these, as each row's vector reaches into the next).
     */
    static int evenOdd(float[] src, int srcOff, int cols, int top, int left, int sh, int a, int b, int mLo,
        int mHi, float[] dst, int phase, int width) {
      int l = S.length();
      // Load starts grow with the row: only the first row can start before src, only the last ones end past it.
      if (srcOff + (mLo * sh + a - top) * cols + b - left < 0) {
        return mLo;
      }
      int end = mHi;
      while (end > mLo && srcOff + ((end - 1) * sh + a - top) * cols + b - left + 2 * l > src.length) {
        end--;
      }
      FloatVector zero = FloatVector.zero(S);
      // Padded columns b + i of the two loads: inside the plane when in [left, left + cols).
      VectorMask<Float> in0 = inside(b, left, cols);
      VectorMask<Float> in1 = inside(b + l, left, cols);
      for (int r = mLo; r < end; r++) {
        int at = srcOff + (r * sh + a - top) * cols + b - left;
        FloatVector v0 = zero.blend(FloatVector.fromArray(S, src, at), in0);
        FloatVector v1 = zero.blend(FloatVector.fromArray(S, src, at + l), in1);
        LanePairs.evens(v0, v1).intoArray(dst, phase + r * width);
      }
      return end;
    }

    /** {@link FramedPlanes#splitRow} for n of a vector or more, its loads inside src: vectors at 0, L, ... n - L. */
    static void splitRow(float[] src, int row, int cols, int left, int n, float[] dst, int even, int odd) {
      int l = S.length();
      FloatVector zero = FloatVector.zero(S);
      for (int c = 0; ; c += l) {
        int n0 = Math.min(c, n - l);
        int at = row + 2 * n0 - left;
        FloatVector v0 = FloatVector.fromArray(S, src, at);
        FloatVector v1 = FloatVector.fromArray(S, src, at + l);
        // Only the row's ends have padding in them; the masks cost more than the loads, so test first.
        if (2 * n0 < left || 2 * n0 + 2 * l > left + cols) {
          v0 = zero.blend(v0, inside(2 * n0, left, cols));
          v1 = zero.blend(v1, inside(2 * n0 + l, left, cols));
        }
        LanePairs.evens(v0, v1).intoArray(dst, even + n0);
        LanePairs.odds(v0, v1).intoArray(dst, odd + n0);
        if (n0 == n - l) {
          return;
        }
      }
    }

    /**
     * {@link #splitRow} for plane rows [from, to) of {@link #padStride2} (their loads inside src). Each step loads
     * one vector of the row and narrows its 64-bit pairs to their low and high floats ({@link LanePairs#evensLow},
     * {@link LanePairs#oddsLow}): half a vector of each phase, stored as a whole vector whose upper half (zeros)
     * lands past the step and is overwritten by the next step, or by the phase's next row, which is written after
     * this one (by this loop, or by the caller: a row past to, or a padding row it zero-fills). Only a phase's last
     * row would spill into another phase, written before it: its last step is a pair of loads split by rearranges,
     * ending at the row's end. Rearranges everywhere (each checks its shuffle's indexes on Java 17: half the loop's
     * instructions) split a 56x56 plane in 857-867 ns in L1 and 1088-1105 ns from memory, a 32x32 plane 450 ns
     * from memory; the narrowing 709-758, 864-1060 and 363-386 (one AMD EPYC thread).
     */
    static void splitRows(float[] src, int srcOff, int cols, int left, int n, int from, int to, int top, int sh,
        int phaseSize, float[] dst, int dstOff) {
      int l = S.length();
      int h = l / 2;
      int lastHalf = n - h;
      int lastFull = n - l;
      int phaseRows = phaseSize / n;
      FloatVector zero = FloatVector.zero(S);
      VectorMask<Float> firstIn = inside(0, left, cols);
      VectorMask<Float> lastIn = inside(2 * lastHalf, left, cols);
      VectorMask<Float> last0 = inside(2 * lastFull, left, cols);
      VectorMask<Float> last1 = inside(2 * lastFull + l, left, cols);
      for (int ih = from; ih < to; ih++) {
        int u = ih + top;
        int m = sh == 2 ? u >> 1 : u / sh;
        int even = dstOff + (u - m * sh) * 2 * phaseSize + m * n;
        int odd = even + phaseSize;
        int row = srcOff + ih * cols - left;
        boolean endsPhase = m == phaseRows - 1;
        // One call site per narrowing: a second one (for the last step) was not inlined, and boxed its vectors.
        int end = endsPhase ? lastFull : lastHalf;
        for (int c = 0; ; c += h) {
          int c0 = Math.min(c, end);
          FloatVector v = FloatVector.fromArray(S, src, row + 2 * c0);
          if (c0 == 0) {
            v = zero.blend(v, firstIn);
          } else if (c0 == lastHalf) {
            v = zero.blend(v, lastIn);
          } else if (2 * c0 < left || 2 * c0 + l > left + cols) {
            v = zero.blend(v, inside(2 * c0, left, cols));
          }
          LanePairs.evensLow(v).intoArray(dst, even + c0);
          LanePairs.oddsLow(v).intoArray(dst, odd + c0);
          if (c0 == end) {
            break;
          }
        }
        if (endsPhase) {
          FloatVector v0 = zero.blend(FloatVector.fromArray(S, src, row + 2 * lastFull), last0);
          FloatVector v1 = zero.blend(FloatVector.fromArray(S, src, row + 2 * lastFull + l), last1);
          LanePairs.evens(v0, v1).intoArray(dst, even + lastFull);
          LanePairs.odds(v0, v1).intoArray(dst, odd + lastFull);
        }
      }
    }

    /**
     * {@link #padStride2}'s plane rows when a row is a whole number of vector pairs, over the frame's zeros (the
     * caller writes them first): each pair, loaded from the row itself (no edge to mask, nothing outside src),
     * gives a vector of each column phase ({@link LanePairs#evens} and {@link LanePairs#odds}). The image's even
     * columns go to the phase of left's parity from phase column floor(left / 2) or ceil(left / 2), its odd
     * columns to the other. Why: stepping along the padded row instead ({@link #splitRows}) took two masked steps
     * for a 17-column phase row, 3x3 stride 2's on 32x32. One thread of an AMD EPYC, ns a plane in L1, this way
     * against that: 32x32 with padding 1 218 against 348-480, unpadded 180-194 against 277; 64x64 935-1041
     * against 1621; 128x128 3616 against 10886; 224x224 with padding 3 11099-11801 against 28991.
     */
    static void splitWholeRows(float[] src, int srcOff, int rows, int cols, int left, int n, int top, int sh,
        int phaseSize, float[] dst, int dstOff) {
      int l = S.length();
      // Phase b's image columns start at phase column lo[b].
      int lo0 = (left + 1) >> 1;
      int lo1 = left >> 1;
      boolean evenToOdd = (left & 1) == 1;
      // One loop over every step of every row: with a loop per row, C2 rebuilt the shuffles' constants for each
      // row (a 32-column row is one step).
      int steps = cols / (2 * l);
      for (int t = 0; t < rows * steps; t++) {
        int ih = t / steps;
        int c = (t - ih * steps) * 2 * l;
        int u = ih + top;
        int m = sh == 2 ? u >> 1 : u / sh;
        int phase0 = dstOff + (u - m * sh) * 2 * phaseSize + m * n;
        int evens = evenToOdd ? phase0 + phaseSize + lo1 : phase0 + lo0;
        int odds = evenToOdd ? phase0 + lo0 : phase0 + phaseSize + lo1;
        int at = srcOff + ih * cols + c;
        FloatVector v0 = FloatVector.fromArray(S, src, at);
        FloatVector v1 = FloatVector.fromArray(S, src, at + l);
        LanePairs.evens(v0, v1).intoArray(dst, evens + c / 2);
        LanePairs.odds(v0, v1).intoArray(dst, odds + c / 2);
      }
    }

    /** Lane i takes lane i / 2 (ZIP_HIGH: L / 2 + i / 2): with a blend on the odd lanes, two vectors zipped. */
    static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromOp(S, i -> i / 2);
    static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromOp(S, i -> S.length() / 2 + i / 2);
    static final VectorMask<Float> ODD_LANES = IOTA.and(1).compare(VectorOperators.EQ, 1).cast(S);

    /**
     * {@link FramedPlanes#mergeRow} by pairs of vectors: 2L columns of dst per step from column 0 (the last step
     * overlapping the one before it, at an even column), zipped from one vector of each phase. dst's even columns
     * come from the phase of left's parity, at phase index c / 2 + floor(left / 2), its odd columns from the other,
     * at c / 2 + ceil(left / 2): both vectors start at the same dst step whatever left is. (Stepping from the first
     * even padded column instead left 32-column rows with odd padding, 3x3 stride 2's, to the scalar loop.)
     * Rows of one to two vectors take steps of one vector, zipped from the two vectors' low halves (while those
     * loads stay inside src). Returns the first column left to the caller (0 when the row is too short for a step).
     */
    static int mergeRow(float[] src, int even, int odd, int left, int cols, float[] dst, int dstOff) {
      int l = S.length();
      int lo = ((left & 1) == 0 ? even : odd) + (left >> 1);
      int hi = ((left & 1) == 0 ? odd : even) + ((left + 1) >> 1);
      if (cols < l || lo < 0 || hi < 0) {
        return 0;
      }
      if (cols < 2 * l) {
        int last = (cols - l) & ~1;
        if (Math.max(lo, hi) + last / 2 + l > src.length) {
          return 0;
        }
        for (int c = 0; ; c += l) {
          int c0 = Math.min(c, last);
          FloatVector e = FloatVector.fromArray(S, src, lo + c0 / 2);
          FloatVector o = FloatVector.fromArray(S, src, hi + c0 / 2);
          e.rearrange(ZIP_LOW).blend(o.rearrange(ZIP_LOW), ODD_LANES).intoArray(dst, dstOff + c0);
          if (c0 == last) {
            return last + l;
          }
        }
      }
      int last = (cols - 2 * l) & ~1;
      for (int c = 0; ; c += 2 * l) {
        int c0 = Math.min(c, last);
        FloatVector e = FloatVector.fromArray(S, src, lo + c0 / 2);
        FloatVector o = FloatVector.fromArray(S, src, hi + c0 / 2);
        e.rearrange(ZIP_LOW).blend(o.rearrange(ZIP_LOW), ODD_LANES).intoArray(dst, dstOff + c0);
        e.rearrange(ZIP_HIGH).blend(o.rearrange(ZIP_HIGH), ODD_LANES).intoArray(dst, dstOff + c0 + l);
        if (c0 == last) {
          return last + 2 * l;
        }
      }
    }

    /**
     * Rows of at least a vector: vectors at 0, L, ... and one ending at cols. Narrower rows: one vector each,
     * reaching into the next rows, which are written after it; the rows whose vector would end past the plane
     * are left to the caller. Returns
     * the number of rows copied.
     */
    static int unpad(float[] src, int srcOff, int srcStride, int rows, int cols, float[] dst, int dstOff) {
      int l = S.length();
      if (cols >= l) {
        for (int i = 0; i < rows; i++) {
          int s = srcOff + i * srcStride;
          int d = dstOff + i * cols;
          for (int c = 0; ; c += l) {
            int c0 = Math.min(c, cols - l);
            FloatVector.fromArray(S, src, s + c0).intoArray(dst, d + c0);
            if (c0 == cols - l) {
              break;
            }
          }
        }
        return rows;
      }
      int i = 0;
      // A vector may reach several rows ahead; it must end inside the plane.
      for (; i * cols + l <= rows * cols; i++) {
        FloatVector.fromArray(S, src, srcOff + i * srcStride).intoArray(dst, dstOff + i * cols);
      }
      return i;
    }
  }
}
