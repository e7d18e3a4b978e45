package sparkcnn.kernels;

import java.util.Arrays;

/**
 * C += A B^T where both operands are read along the reduction dimension, in place: A(i, p) = a[aRows[i] + p] and
 * B(j, p) = b[bRows[j] + p]. A convolution's weight gradient is such a product: dW (K x C) sums dy's rows against
 * x's rows over the pixels, both contiguous in memory.
 *
 * <p>Why not {@link Gemm}: GEMM's panels hold the reduction index p in their slow dimension, so feeding it these
 * operands means transposing both, one float at a time. With the small M and N of weight gradients (24 x 144 for a
 * MobileNet expansion) that packing costs about as much as the multiply-adds. Here a 4 x 4 register tile instead
 * takes dot products a vector of p at a time: four vector loads from A's rows and four from B's feed sixteen FMAs,
 * into sixteen accumulators that keep one partial sum per lane. Those lane-wise sums live in an accumulator array
 * (see {@link #accumulatorSize}) across calls, so a caller can add image after image and fold the lanes into C once
 * at the end ({@link #reduceInto}). The reduction is cut into chunks whose rows fit in half of L2, each tile
 * sweeping its chunk; threads take disjoint rows of tiles.
 */
final class GemmNT {
  /** Rows and columns of the register tile. */
  static final int T = 4;
  /**
   * Sweeps at least this long start their vector loads on a cache-line boundary ({@link #alignedHead}); shorter
   * ones do not, as the head and the tail it leaves take up to 30 scalar steps (each sixteen read-modify-writes of
   * the accumulator) against 128 vector steps here: Winograd's weight gradient sweeps about 416 indices whose rows
   * all share a place in their lines, and its head would have cost more than the loads it aligned (not measured).
   */
  private static final int ALIGNED_SWEEP = 2048;
  /** Below this many multiply-adds a product stays on the calling thread. */
  private static final long PARALLEL_MACS = 1L << 20;

  private GemmNT() {}

  /**
   * Whether 16-lane vectors are there and an m x n product's lane-wise accumulator fits in the given bytes. Callers
   * pass the budget below which this beat {@link Gemm} for them: past a share of L2 the accumulator's loads and
   * stores go to L3 and cost more than GEMM's packing.
   */
  static boolean fits(int m, int n, long bytes) {
    // The tile keeps 21 vectors live: that needs AVX-512's 32 registers (AVX2's 16 would spill; not measured).
    return Simd.AVAILABLE && Simd.LANES >= 16 && 4L * tiles(m) * tiles(n) * T * T * Simd.LANES <= bytes;
  }

  /** Floats of the lane-wise accumulator of an m x n product (zero it before the first {@link #accumulate}). */
  static int accumulatorSize(int m, int n) {
    return tiles(m) * tiles(n) * T * T * Simd.LANES;
  }

  /** rows[r] = base + r * stride: the row offsets of a row-major matrix. */
  static int[] evenRows(int[] rows, int base, int stride) {
    for (int r = 0; r < rows.length; r++) {
      rows[r] = base + r * stride;
    }
    return rows;
  }

  /** acc += lane-wise partial sums of A B^T over p in [0, k); see the class comment for A and B. */
  static void accumulate(int m, int n, int k, float[] a, int[] aRows, float[] b, int[] bRows, float[] acc) {
    accumulate(m, n, k, a, aRows, b, bRows, acc, 0);
  }

  /** {@link #accumulate} into the accumulator starting at acc[accOff]. */
  static void accumulate(int m, int n, int k, float[] a, int[] aRows, float[] b, int[] bRows, float[] acc,
      int accOff) {
    accumulate(m, n, k, a, aRows, b, bRows, acc, accOff, (long) m * n * k >= PARALLEL_MACS, m + n);
  }

  /**
   * {@link #accumulate}, its tile rows across the pool if parallel (and the pool has threads for them). distinct:
   * the floats of A and B a reduction index p reads (m + n when the rows are apart; fewer where they overlap).
   */
  private static void accumulate(int m, int n, int k, float[] a, int[] aRows, float[] b, int[] bRows, float[] acc,
      int accOff, boolean parallel, long distinct) {
    int tm = tiles(m);
    int tn = tiles(n);
    int lanes = Simd.LANES;
    // Chunks of p whose rows fit in half of L2, in whole vectors, after a head that puts the vector loads on cache
    // line boundaries where that is known.
    int chunk = (int) Math.max(lanes, Math.min(k, CacheSizes.l2() / 2 / (4L * distinct)) / lanes * lanes);
    int head = k >= ALIGNED_SWEEP ? alignedHead(a, aRows, m, b, bRows, n) : 0;
    Parallel.RangeBody body = (lo, hi, unused) -> {
      for (int p0 = 0; p0 < k; p0 = p0 < head ? head : p0 + chunk) {
        int p1 = Math.min(k, p0 < head ? head : p0 + chunk);
        for (int ti = lo; ti < hi; ti++) {
          int i = ti * T;
          int a0 = aRows[i];
          int a1 = aRows[Math.min(i + 1, m - 1)];
          int a2 = aRows[Math.min(i + 2, m - 1)];
          int a3 = aRows[Math.min(i + 3, m - 1)];
          for (int tj = 0; tj < tn; tj++) {
            int j = tj * T;
            int o = accOff + (ti * tn + tj) * T * T * lanes;
            int b0 = bRows[j];
            int b1 = bRows[Math.min(j + 1, n - 1)];
            int b2 = bRows[Math.min(j + 2, n - 1)];
            int b3 = bRows[Math.min(j + 3, n - 1)];
            if (Simd.AVAILABLE) {
              GemmVectorKernel.dotTile(p0, p1, a, a0, a1, a2, a3, b, b0, b1, b2, b3, acc, o);
            } else {
              scalarTile(p0, p1, a, new int[] {a0, a1, a2, a3}, b, new int[] {b0, b1, b2, b3}, acc, o);
            }
          }
        }
      }
    };
    if (parallel && Parallel.chunks(tm) > 1) {
      Parallel.forRange(tm, body);
    } else {
      body.run(0, tm, 0);
    }
  }

  /**
   * The reduction indices to take before the vector loads so that they start on cache-line boundaries: where the
   * line boundaries of a (else b) are known ({@link CacheLines#offset}) and all its rows sit at the same place in
   * their lines, the floats from there to the next boundary; else 0. A 64-byte load that straddles two lines costs
   * an Intel core two loads: the 4 x 4 tile over rows on line boundaries ran 98.6 GFLOP/s against 68.4 a float off
   * them (one Xeon thread, k = 1024, rows in L2), and the 1x1 weight gradients on 56x56 planes, x and dy read in
   * place, 68-70 against 58-61 (256 -> 64), 74-76 against 62-63 (24 -> 144), 71-73 against 61-63 (144 -> 24), in
   * alternating JVMs. (Not measured on the AMD EPYC, whose Zen 4 cores load 64 bytes as two 32-byte halves.) The
   * rows of a 1x1 convolution's planes (H x W a multiple of 16) sit alike in their lines; an implicit GEMM's taps
   * do not, and where neither operand's do, nothing changes. Whether an array's line starts are known depends on
   * the collector and its region size, so the order of the sums, and the last bits of the result, can too.
   */
  static int alignedHead(float[] a, int[] aRows, int m, float[] b, int[] bRows, int n) {
    int at = commonOffset(a, aRows, m);
    if (at < 0) {
      at = commonOffset(b, bRows, n);
    }
    return at <= 0 ? 0 : CacheLines.FLOATS - at;
  }

  /** The place in its cache line shared by the first rows of x, or -1 where it is not known or not shared. */
  private static int commonOffset(float[] x, int[] rows, int count) {
    int at = CacheLines.offset(x, rows[0]);
    for (int r = 1; r < count && at >= 0; r++) {
      if (CacheLines.offset(x, rows[r]) != at) {
        return -1;
      }
    }
    return at;
  }

  /** C (m x n, row stride ldc) += the sums of the accumulator's lanes. */
  static void reduceInto(float[] acc, int m, int n, float[] c, int cOff, int ldc) {
    reduceInto(acc, 0, m, n, c, cOff, ldc);
  }

  /** {@link #reduceInto} from the accumulator starting at acc[accOff]. */
  static void reduceInto(float[] acc, int accOff, int m, int n, float[] c, int cOff, int ldc) {
    int tn = tiles(n);
    int lanes = Simd.LANES;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int o = accOff + ((i / T * tn + j / T) * T * T + (i % T) * T + j % T) * lanes;
        float s = 0f;
        for (int l = 0; l < lanes; l++) {
          s += acc[o + l];
        }
        c[cOff + i * ldc + j] += s;
      }
    }
  }

  /**
   * An m x n product's accumulator cut into blocks of whole register tiles along its longer side, each block's
   * lane-wise accumulator a sixteenth of L2 (two rows or columns of tiles at least), side by side: each {@link
   * #accumulate} sweeps one block, whose accumulator stays in L2 with the chunks of A and B it meets, and the
   * shorter side's operand is read once per block. Why: over a whole 256 x 64 product (a ResNet bottleneck's 1x1
   * weight gradient, a 1 MB accumulator) the accumulator filled L2 and pushed the chunks out of it. Measured on
   * one AMD EPYC thread, 1x1 256->64 56x56 b8: 62-64 GFLOP/s in one block, 68-70 in blocks of a quarter of L2, 73
   * of an eighth, 74-76 of a sixteenth; 144->24 1.06x, the other MobileNet shapes unchanged.
   */
  static final class Blocks {
    private final int m;
    private final int n;
    /** Cut along A's rows (m) rather than B's (n). */
    private final boolean byRows;
    /** Rows or columns per block (the last may be shorter). */
    private final int width;
    /** Rows or columns cut into blocks, and how many blocks. */
    private final int cut;
    private final int count;
    /** Floats of a full block's accumulator: block blk's starts at blk * full. */
    private final int full;
    /** Floats of all the blocks' accumulators together. */
    final int accumulatorSize;
    /** Distinct floats of A and B per reduction index, or 0 where the rows are apart (a block's rows + n). */
    private final long distinct;

    Blocks(int m, int n) {
      this(m, n, 0);
    }

    /**
     * With distinct, the floats of A and B that one reduction index reads when their rows overlap: an implicit
     * GEMM's rows are the image's channels at every tap's offset, so C R S rows read about C floats a column. The
     * reduction's chunks are sized by it (half of L2), not by the row count: ResNet-20's 16-channel weight gradient
     * ran one chunk an image instead of two, 1.02-1.05x (one AMD EPYC thread).
     */
    Blocks(int m, int n, long distinct) {
      this.m = m;
      this.n = n;
      this.distinct = distinct;
      byRows = m > n;
      cut = byRows ? m : n;
      long tileLine = accumulatorSize(byRows ? n : m, T) * 4L;
      width = (int) Math.min(cut, Math.max(2, CacheSizes.l2() / 16 / tileLine) * T);
      count = (cut + width - 1) / width;
      full = blockAccumulator(width);
      accumulatorSize = (count - 1) * full + blockAccumulator(cut - (count - 1) * width);
    }

    /** Floats of the accumulator of a block this many rows or columns wide. */
    private int blockAccumulator(int size) {
      return byRows ? accumulatorSize(size, n) : accumulatorSize(m, size);
    }

    /** This thread's accumulator for all the blocks (Scratch slot PARTIAL), zeroed. */
    float[] zeroedAccumulator() {
      float[] acc = Scratch.floats(Scratch.PARTIAL, accumulatorSize);
      Arrays.fill(acc, 0, accumulatorSize, 0f);
      return acc;
    }

    /**
     * acc += the blocks' lane-wise partial sums of A B^T over p in [0, k); see {@link GemmNT#accumulate}. Whole
     * blocks go to the pool's threads when there are two a thread or more (each block's accumulator its own);
     * otherwise each block's tile rows do, as one product of m x n x k would (a block alone may be under the
     * threshold: found in review, 1x1 256->64 28x28 ran on one thread).
     */
    void accumulate(int k, float[] a, int[] aRows, float[] b, int[] bRows, float[] acc) {
      boolean parallel = (long) m * n * k >= PARALLEL_MACS;
      Parallel.RangeBody body = (lo, hi, unused) -> {
        for (int blk = lo; blk < hi; blk++) {
          int start = blk * width;
          int size = Math.min(width, cut - start);
          // Inside a pool thread, GemmNT's own split stays on this thread.
          if (byRows) {
            GemmNT.accumulate(size, n, k, a, Arrays.copyOfRange(aRows, start, start + size), b, bRows, acc,
                blk * full, parallel, distinct > 0 ? distinct : size + n);
          } else {
            GemmNT.accumulate(m, size, k, a, aRows, b, Arrays.copyOfRange(bRows, start, start + size), acc,
                blk * full, parallel, distinct > 0 ? distinct : m + size);
          }
        }
      };
      if (parallel && count >= 2 * Parallel.chunks(count)) {
        Parallel.forRange(count, body);
      } else {
        body.run(0, count, 0);
      }
    }

    /** C (m x n, row stride ldc, at cOff) += the sums of the blocks' accumulators. */
    void reduceInto(float[] acc, float[] c, int cOff, int ldc) {
      for (int blk = 0; blk < count; blk++) {
        int start = blk * width;
        int size = Math.min(width, cut - start);
        if (byRows) {
          GemmNT.reduceInto(acc, blk * full, size, n, c, cOff + start * ldc, ldc);
        } else {
          GemmNT.reduceInto(acc, blk * full, m, size, c, cOff + start, ldc);
        }
      }
    }
  }

  private static int tiles(int size) {
    return (size + T - 1) / T;
  }

  /** The tile without the Vector API: each dot product into lane 0 of its accumulator. */
  private static void scalarTile(int p0, int p1, float[] a, int[] aRows, float[] b, int[] bRows, float[] acc,
      int o) {
    for (int r = 0; r < T; r++) {
      for (int s = 0; s < T; s++) {
        float sum = 0f;
        for (int p = p0; p < p1; p++) {
          sum += a[aRows[r] + p] * b[bRows[s] + p];
        }
        acc[o + (r * T + s) * Simd.LANES] += sum;
      }
    }
  }
}
