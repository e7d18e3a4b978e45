package sparkcnn.kernels;

import java.util.Arrays;

/**
 * Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, with op(A) m x k and op(B) k x n.
 * Without transpose A(i, p) = a[aOff + i * lda + p]; with transpose A(i, p) = a[aOff + p * lda + i] (same for B).
 *
 * <p>Goto/BLIS blocking: a KC x NC block of B and an MC x KC block of A are packed into panels of
 * {@link #NR} columns and {@link #MR} rows (alpha folded into A, edges zero-padded), and an MR x NR
 * register tile walks them ({@link GemmVectorKernel}, or {@link GemmScalarKernel} without the Vector
 * API). The block sizes come from this machine's caches ({@link CacheSizes}): a B micro-panel (KC x NR) the size
 * of L1, the MC x KC block of A in an eighth of L2, the KC x NC block of B in a sixteenth of the last-level cache;
 * B rows are packed with vector moves. Large products are
 * split over the kernel pool, by rows of C when there are enough; each thread packs its own panels.
 */
public final class Gemm {
  /**
   * Rows of the register tile: 8 (sixteen accumulators) with 16-lane vectors, whose AVX-512 has 32 vector
   * registers, else 6 (twelve accumulators, for AVX2's 16). Measured on a 2-core AMD EPYC with AVX-512, eight rows
   * ran SGEMM and the implicit-GEMM convolutions faster than six, and they split 16, 32, 64... output channels
   * without a short edge panel. -Dsparkcnn.gemm.mr=6|8 overrides (experiments).
   */
  public static final int MR = registerRows();
  /**
   * Rows of the narrow tile (one vector wide, {@link GemmVectorKernel#tileRowsANarrow}) that products with A's
   * rows at offsets use for B panels no wider than a vector: 16 with AVX-512's 32 registers, else 0 (not used).
   */
  static final int NARROW_ROWS = Simd.AVAILABLE && Simd.LANES >= 16 ? 16 : 0;
  /** Columns of the register tile: two vectors. */
  public static final int NR = 2 * Simd.LANES;
  /**
   * Depth of a packed block: a KC x NR micro-panel of B the size of L1, 128 to 384. Deeper blocks amortize each
   * tile's load and store of C over more FMAs; measured on a 32 KB-L1 AMD EPYC with 16-lane vectors, KC = 128
   * (half of L1) ran 10-15% slower than 256 at 1024-2048, 384 about as fast as 256.
   */
  static final int KC = blocking("kc", roundDown(CacheSizes.l1() / (4L * NR), 16, 128, 384));
  /** Rows of A per packed block: MC x KC in an eighth of L2 (there 60 to 240 rows ran alike, 480 slower). */
  static final int MC = blocking("mc", roundDown(CacheSizes.l2() / 8 / (4L * KC), MR, 4 * MR, 80 * MR));
  /** Columns of B per packed block: KC x NC in a sixteenth of the last-level cache (there 2048 beat 4096). */
  static final int NC = blocking("nc", roundDown(CacheSizes.lastLevel() / 16 / (4L * KC), NR, 8 * NR, 256 * NR));
  /** Below this many multiply-adds, splitting across threads costs more than it gains. */
  private static final long PARALLEL_MACS = 1L << 20;

  private Gemm() {}

  private static int registerRows() {
    String v = System.getProperty("sparkcnn.gemm.mr");
    if (v != null && (v.trim().equals("6") || v.trim().equals("8"))) {
      return Integer.parseInt(v.trim());
    }
    return Simd.AVAILABLE && Simd.LANES >= 16 ? 8 : 6;
  }

  /** v rounded down to a multiple of unit, within [lo, hi]. */
  static int roundDown(long v, int unit, int lo, int hi) {
    return (int) Math.max(lo, Math.min(hi, v / unit * unit));
  }

  /** A blocking size: -Dsparkcnn.gemm.NAME=N when given (experiments; rounded as the derived ones), else derived. */
  private static int blocking(String name, int derived) {
    String v = System.getProperty("sparkcnn.gemm." + name);
    if (v == null) {
      return derived;
    }
    int unit = name.equals("mc") ? MR : name.equals("nc") ? NR : 16;
    return roundDown(Integer.parseInt(v.trim()), unit, unit, 1 << 16);
  }

  /** The blocking in use, for bench reports: {kc, mc, nc, mr, nr}. */
  public static int[] blocking() {
    return new int[] {KC, MC, NC, MR, NR};
  }

  /** C = alpha * op(A) op(B) + beta * C. Multithreaded on the kernel pool when large enough. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    parallel(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  }

  /**
   * The product split across the kernel pool when large enough; ldb < 0 means B is pre-packed, lda < 0 that A is
   * (by {@link #packPanels}, alpha 1).
   */
  private static void parallel(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    int chunks = chunks(m, n, k);
    if (chunks == 1) {
      serial(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } else if (m < chunks * MC / 2) {
      // Too few rows to share out: split columns (whole panels), and each thread packs all of A.
      split(chunks, n, NR, (j0, j1) -> serial(transA, transB, m, j1 - j0, k, alpha, a, aOff, lda,
          b, bOff + (ldb < 0 ? j0 / NR * k * NR : transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0, ldc));
    } else {
      // Split rows: each thread packs its own rows of A and all of B, whose packing is the cheap vector copy.
      split(chunks, m, MR, (i0, i1) -> serial(transA, transB, i1 - i0, n, k, alpha, a,
          aOff + (lda < 0 ? i0 * k : transA ? i0 : i0 * lda), lda, b, bOff, ldb, beta, c, cOff + i0 * ldc, ldc));
    }
  }

  /** Threads for an m x n x k product: one below PARALLEL_MACS or inside a parallel region. */
  private static int chunks(int m, int n, int k) {
    return (long) m * n * k < PARALLEL_MACS ? 1 : Parallel.chunks(Integer.MAX_VALUE);
  }

  /** A product over the sub-range [lo, hi) of one output dimension. */
  @FunctionalInterface
  private interface Part {
    void run(int lo, int hi);
  }

  /** Cuts [0, size) into chunks of whole units (register-tile rows or columns) and runs them in parallel. */
  private static void split(int chunks, int size, int unit, Part part) {
    int units = (size + unit - 1) / unit;
    Parallel.forEach(chunks, t -> {
      int lo = Math.min(size, units * t / chunks * unit);
      int hi = Math.min(size, units * (t + 1) / chunks * unit);
      if (hi > lo) {
        part.run(lo, hi);
      }
    });
  }

  private static void check(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    Check.nonNegative("gemm m", m);
    Check.nonNegative("gemm n", n);
    Check.nonNegative("gemm k", k);
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    operand("A", a, aOff, lda, aRows, aCols, m, n, k);
    operand("B", b, bOff, ldb, bRows, bCols, m, n, k);
    operand("C", c, cOff, ldc, m, n, m, n, k);
  }

  private static void operand(String name, float[] x, int off, int ld, int rows, int cols, int m, int n, int k) {
    String what = "gemm " + name + " (" + rows + " x " + cols + ", ld " + ld + ") for m=" + m + " n=" + n + " k=" + k;
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException(what + ": leading dimension must be at least " + Math.max(1, cols));
    }
    if (rows > 0 && cols > 0) {
      Check.span(what, x, off, (long) (rows - 1) * ld + cols);
    }
  }

  /**
   * C = alpha * op(A) * B + beta * C where B (k x n) is already in packed-panel form: panel j (columns
   * [j NR, j NR + NR)) starts at pbOff + j * k * NR and holds row p at + p * NR. Convolutions write their
   * im2col columns straight into this form, saving GEMM one copy of B; inference graphs keep fixed weights in it
   * ({@link #packedB}). Split across the kernel pool as {@link #gemm} is (not inside a parallel region).
   */
  public static void gemmPackedB(boolean transA, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
      float[] packedB, int pbOff, float beta, float[] c, int cOff, int ldc) {
    Check.nonNegative("gemm m", m);
    Check.nonNegative("gemm n", n);
    Check.nonNegative("gemm k", k);
    operand("A", a, aOff, lda, transA ? k : m, transA ? m : k, m, n, k);
    Check.span("gemm packed B (" + k + " x " + n + ")", packedB, pbOff, (long) panels(n, NR) * k * NR);
    operand("C", c, cOff, ldc, m, n, m, n, k);
    if (m > 0 && n > 0) {
      parallel(transA, false, m, n, k, alpha, a, aOff, lda, packedB, pbOff, -1, beta, c, cOff, ldc);
    }
  }

  /**
   * op(B) (k x n) packed once in the panel form {@link #gemmPackedB} takes, for an operand that many products
   * share: an inference graph's linear weights, which every product would otherwise pack again. Into reuse when
   * it has exactly the packed size (a repack after new weights), else into a new array.
   */
  public static float[] packedB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] reuse) {
    Check.nonNegative("gemm k", k);
    Check.nonNegative("gemm n", n);
    operand("B", b, bOff, ldb, transB ? n : k, transB ? k : n, 0, n, k);
    long size = (long) panels(n, NR) * k * NR;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("gemm packed B (" + k + " x " + n + "): " + size + " floats, more than an "
          + "array holds");
    }
    float[] dst = reuse != null && reuse.length == size ? reuse : new float[(int) size];
    packB(transB, k, n, b, bOff, ldb, dst, 0);
    return dst;
  }

  /**
   * C = A op(B), C overwritten, with A (m x k) packed by {@link #packPanels} at paOff and B either in place (ldb
   * at least its row length; transB applies) or packed in panels ({@link #gemmPackedB}'s form, ldb &lt; 0; transB
   * must then be false). For products that share
   * A: a pointwise layer's weights over its runs of images, which GEMM would otherwise pack again for every run.
   * Split across the kernel pool as {@link #gemm} is.
   */
  public static void gemmPackedA(boolean transB, int m, int n, int k, float[] packedA, int paOff, float[] b,
      int bOff, int ldb, float[] c, int cOff, int ldc) {
    Check.nonNegative("gemm m", m);
    Check.nonNegative("gemm n", n);
    Check.nonNegative("gemm k", k);
    Check.span("gemm packed A (" + m + " x " + k + ")", packedA, paOff, packedSizeA(m, k));
    if (ldb < 0) {
      if (transB) {
        throw new IllegalArgumentException("gemm packed B (" + k + " x " + n + "): already packed, cannot transpose");
      }
      Check.span("gemm packed B (" + k + " x " + n + ")", b, bOff, (long) panels(n, NR) * k * NR);
    } else {
      operand("B", b, bOff, ldb, transB ? n : k, transB ? k : n, m, n, k);
    }
    operand("C", c, cOff, ldc, m, n, m, n, k);
    if (m > 0 && n > 0) {
      parallel(false, transB, m, n, k, 1f, packedA, paOff, -1, b, bOff, ldb, 0f, c, cOff, ldc);
    }
  }

  /** Panels of NR columns needed for n columns. */
  public static int packedPanels(int n) {
    return panels(n, NR);
  }

  /**
   * The blocked product on the calling thread. ldb < 0 means B is pre-packed (see {@link #gemmPackedB}), lda < 0
   * that A is (see {@link #gemmPackedA}).
   */
  private static void serial(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    serial(transA, transB, m, n, k, alpha, a, aOff, lda, null, 0, null, b, bOff, ldb, beta, c, cOff, ldc);
  }

  /**
   * As above; with aRows non-null, A(i, p) = a[aOff + aRows[rowBase + i] + kMap[p]] instead (lda unused; kMap at
   * least k long).
   */
  private static void serial(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, int[] aRows, int rowBase, int[] kMap, float[] b, int bOff, int ldb, float beta,
      float[] c, int cOff, int ldc) {
    boolean prepacked = ldb < 0;
    if (k == 0 || alpha == 0f) {
      scale(m, n, beta, c, cOff, ldc);
      return;
    }
    if (beta != 0f && beta != 1f) {
      scale(m, n, beta, c, cOff, ldc);
    }
    // Packed B from a cache-line boundary where one is known: packing is a copy made of whole-vector stores.
    float[] packedB = prepacked ? b : Scratch.lineAligned(Scratch.PACK_B, KC * NC);
    int packedAt = prepacked ? 0 : CacheLines.start(packedB);
    float[] packedA = Scratch.floats(Scratch.PACK_A, KC * MC);
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        int bBase;
        int panelStride;
        if (prepacked) {
          bBase = bOff + (jc / NR) * k * NR + pc * NR;
          panelStride = k * NR;
        } else {
          packB(transB, kc, nc, b, bOff + (transB ? jc * ldb + pc : pc * ldb + jc), ldb, packedB, packedAt);
          bBase = packedAt;
          panelStride = kc * NR;
        }
        // With beta = 0 the first k-block stores its tiles instead of adding: C is never read or cleared.
        boolean add = pc > 0 || beta != 0f;
        for (int ic = 0; ic < m; ic += MC) {
          int mc = Math.min(MC, m - ic);
          if (aRows != null) {
            macroRowsA(mc, nc, kc, a, aOff, aRows, rowBase + ic, kMap, pc, packedB, bBase, panelStride,
                c, cOff + ic * ldc + jc, ldc, add);
            continue;
          }
          if (lda < 0) { // packed by packPanels: panel i0 / MR at i0 k, depth p at p MR
            macro(mc, nc, kc, a, aOff + ic * k + pc * MR, k, packedB, bBase, panelStride, c, cOff + ic * ldc + jc,
                ldc, add);
            continue;
          }
          packA(transA, mc, kc, alpha, a, aOff + (transA ? pc * lda + ic : ic * lda + pc), lda, packedA, 0);
          macro(mc, nc, kc, packedA, 0, kc, packedB, bBase, panelStride, c, cOff + ic * ldc + jc, ldc, add);
        }
      }
    }
  }

  /** C *= beta, with beta = 0 clearing C (so NaN or garbage in C does not survive). */
  private static void scale(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      if (beta == 0f) {
        Arrays.fill(c, row, row + n, 0f);
      } else {
        for (int j = row; j < row + n; j++) {
          c[j] *= beta;
        }
      }
    }
  }

  /** Floats {@link #packPanels} writes for an m x k operand. */
  public static int packedSizeA(int m, int k) {
    return panels(m, MR) * MR * k;
  }

  private static int panels(int n, int width) {
    return (n + width - 1) / width;
  }

  /**
   * Packs all of op(A) (m x k) once, for operands reused across many products (a convolution's weights):
   * panel i holds (p, r) at dstOff + i * MR * k + p * MR + r, rows past m zero.
   */
  public static void packPanels(boolean transA, int m, int k, float[] a, int aOff, int lda, float[] dst, int dstOff) {
    packA(transA, m, k, 1f, a, aOff, lda, dst, dstOff);
  }

  /**
   * {@link #packPanels} for each of groups consecutive operands (a convolution's weights, group by group: group gi's
   * A at aOff + gi m k, its lda k, or m when transposed), group gi's panels at dstOff + gi {@link #packedSizeA}.
   */
  public static void packGroups(boolean transA, int groups, int m, int k, float[] a, int aOff, float[] dst,
      int dstOff) {
    int size = packedSizeA(m, k);
    for (int gi = 0; gi < groups; gi++) {
      packPanels(transA, m, k, a, aOff + gi * m * k, transA ? m : k, dst, dstOff + gi * size);
    }
  }

  /**
   * C (m x n) = A * B with A packed by {@link #packPanels} and B read in place: B(p, j) = b[bOff + rowOff[p] + j].
   * Every row of B is read up to NR - 1 floats past column n - 1, so b must extend that far. On the calling
   * thread; C is overwritten.
   */
  public static void gemmRowOffsets(int m, int n, int k, float[] packedA, int paOff, float[] b, int bOff,
      int[] rowOff, float[] c, int cOff, int ldc) {
    gemmRowOffsets(m, n, k, packedA, paOff, b, bOff, rowOff, 0, c, cOff, ldc);
  }

  /**
   * {@link #gemmRowOffsets} over runs of one vector ({@link Simd#LANES} columns) gap floats apart in B: column j
   * reads b[bOff + rowOff[p] + j + (j / LANES) gap]. A convolution's output rows of one vector, in a layout wider
   * than them: each register panel then takes two rows, where one row a panel left half of it idle. Every row of
   * B is read up to NR - 1 + gap floats past the last column's run.
   */
  public static void gemmRowOffsets(int m, int n, int k, float[] packedA, int paOff, float[] b, int bOff,
      int[] rowOff, int gap, float[] c, int cOff, int ldc) {
    float[] tile = null;
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      boolean add = pc > 0;
      for (int j0 = 0; j0 < n; j0 += NR) {
        int cols = Math.min(NR, n - j0);
        for (int i0 = 0; i0 < m; i0 += MR) {
          int rows = Math.min(MR, m - i0);
          int ao = paOff + i0 * k + pc * MR;
          int bo = bOff + j0 + j0 / Simd.LANES * gap;
          if (rows == MR && cols == NR) {
            tileRows(kc, packedA, ao, b, bo, rowOff, pc, gap, c, cOff + i0 * ldc + j0, ldc, add);
          } else {
            if (tile == null) {
              tile = Scratch.floats(Scratch.TILE, MR * NR);
            }
            tileRows(kc, packedA, ao, b, bo, rowOff, pc, gap, tile, 0, NR, false);
            storeEdge(tile, rows, cols, c, cOff + i0 * ldc + j0, ldc, add);
          }
        }
      }
    }
  }

  private static void tileRows(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, int gap,
      float[] c, int co, int ldc, boolean add) {
    if (Simd.AVAILABLE && MR == 8) {
      int deep = fourStepTurns(kc);
      if (deep > 0) {
        GemmVectorKernel.tileRows8Deep(deep, a, ao, b, bBase, rowOff, rOff, gap, c, co, ldc, add);
      }
      if (deep < kc) {
        GemmVectorKernel.tileRows8(kc - deep, a, ao + deep * MR, b, bBase, rowOff, rOff + deep, gap, c, co, ldc,
            add || deep > 0);
      }
    } else if (Simd.AVAILABLE) {
      GemmVectorKernel.tileRows(kc, a, ao, b, bBase, rowOff, rOff, gap, c, co, ldc, add);
    } else {
      GemmScalarKernel.tileRows(kc, a, ao, b, bBase, rowOff, rOff, gap, c, co, ldc, add);
    }
  }

  /**
   * Packs op(A)[0:mc, 0:kc] (times alpha) into MR-row panels: panel i holds (p, r) at dstOff + i*MR*kc + p*MR + r,
   * rows past mc zero.
   */
  static void packA(boolean trans, int mc, int kc, float alpha, float[] a, int aOff, int lda, float[] dst,
      int dstOff) {
    for (int i0 = 0, panel = dstOff; i0 < mc; i0 += MR, panel += MR * kc) {
      int rows = Math.min(MR, mc - i0);
      if (rows < MR) {
        Arrays.fill(dst, panel, panel + MR * kc, 0f);
      }
      if (trans) {
        for (int p = 0; p < kc; p++) {
          int src = aOff + p * lda + i0;
          int d = panel + p * MR;
          for (int r = 0; r < rows; r++) {
            dst[d + r] = alpha * a[src + r];
          }
        }
      } else if (rows == MR) {
        // Depth by depth, each of the panel's MR rows: the writes run in order (row by row they went MR floats
        // apart). SGEMM 1024 on one Xeon thread (perf): the packing 7.2% of the samples row by row, 4.8% so; one
        // loop for every panel and both layouts (the row count and the strides variables) 5.7-7.1%.
        int src = aOff + i0 * lda;
        for (int p = 0, d = panel; p < kc; p++, d += MR) {
          for (int r = 0, at = src + p; r < MR; r++, at += lda) {
            dst[d + r] = alpha * a[at];
          }
        }
      } else {
        for (int r = 0; r < rows; r++) {
          int src = aOff + (i0 + r) * lda;
          int d = panel + r;
          for (int p = 0; p < kc; p++) {
            dst[d + p * MR] = alpha * a[src + p];
          }
        }
      }
    }
  }

  /**
   * macro for A rows at offsets (alpha = 1): A(i, p) = a[aOff + rows[rowBase + i] + map[mo + p]], read in place.
   * Rows of an edge panel past mc repeat its last row and are dropped through the scratch tile. B panels no wider
   * than a vector go to the narrow tile where there is one (see macroRowsANarrow).
   */
  private static void macroRowsA(int mc, int nc, int kc, float[] a, int aOff, int[] rows, int rowBase, int[] map,
      int mo, float[] packedB, int bBase, int panelStride, float[] c, int cOff, int ldc, boolean add) {
    float[] tile = null;
    int[] offsets = new int[Math.max(MR, NARROW_ROWS)];
    for (int j0 = 0; j0 < nc; j0 += NR) {
      int cols = Math.min(NR, nc - j0);
      int bo = bBase + (j0 / NR) * panelStride;
      if (NARROW_ROWS > 0 && cols <= Simd.LANES) {
        macroRowsANarrow(mc, cols, kc, a, aOff, rows, rowBase, map, mo, packedB, bo, c, cOff + j0, ldc, add,
            offsets);
        continue;
      }
      for (int i0 = 0; i0 < mc; i0 += MR) {
        int n = Math.min(MR, mc - i0);
        clampedOffsets(offsets, MR, aOff, rows, rowBase + i0, n);
        if (n == MR && cols == NR) {
          tileRowsA(kc, a, offsets, map, mo, packedB, bo, c, cOff + i0 * ldc + j0, ldc, add);
        } else {
          if (tile == null) {
            tile = Scratch.floats(Scratch.TILE, MR * NR);
          }
          tileRowsA(kc, a, offsets, map, mo, packedB, bo, tile, 0, NR, false);
          storeEdge(tile, n, cols, c, cOff + i0 * ldc + j0, ldc, add);
        }
      }
    }
  }

  /**
   * One B panel no more than a vector wide, in the narrow tile's {@link #NARROW_ROWS} rows at a time (a last
   * partial block repeats its last row and goes through the scratch tile, as in macroRowsA).
   */
  private static void macroRowsANarrow(int mc, int cols, int kc, float[] a, int aOff, int[] rows, int rowBase,
      int[] map, int mo, float[] packedB, int bo, float[] c, int cOff, int ldc, boolean add, int[] offsets) {
    for (int i0 = 0; i0 < mc; i0 += NARROW_ROWS) {
      int n = Math.min(NARROW_ROWS, mc - i0);
      clampedOffsets(offsets, NARROW_ROWS, aOff, rows, rowBase + i0, n);
      if (n == NARROW_ROWS && cols == Simd.LANES) {
        GemmVectorKernel.tileRowsANarrow(kc, a, offsets, map, mo, packedB, bo, c, cOff + i0 * ldc, ldc, add);
      } else {
        float[] tile = Scratch.floats(Scratch.TILE, NARROW_ROWS * NR);
        GemmVectorKernel.tileRowsANarrow(kc, a, offsets, map, mo, packedB, bo, tile, 0, NR, false);
        storeEdge(tile, n, cols, c, cOff + i0 * ldc, ldc, add);
      }
    }
  }

  /** offsets[r] = aOff + rows[base + r] for the tile's first n rows; rows past n repeat row n - 1 (dropped later). */
  private static void clampedOffsets(int[] offsets, int tileRows, int aOff, int[] rows, int base, int n) {
    for (int r = 0; r < tileRows; r++) {
      offsets[r] = aOff + rows[base + Math.min(r, n - 1)];
    }
  }

  private static void tileRowsA(int kc, float[] a, int[] rows, int[] map, int mo, float[] b, int bo, float[] c,
      int co, int ldc, boolean add) {
    if (Simd.AVAILABLE && MR == 8) {
      GemmVectorKernel.tileRowsA8(kc, a, rows, map, mo, b, bo, c, co, ldc, add);
    } else if (Simd.AVAILABLE) {
      GemmVectorKernel.tileRowsA(kc, a, rows, map, mo, b, bo, c, co, ldc, add);
    } else {
      GemmScalarKernel.tileRowsA(kc, a, rows, map, mo, b, bo, c, co, ldc, add);
    }
  }

  /**
   * C (m x n) = A op(B) + beta C with A's rows at offsets and its columns mapped: A(i, p) = a[aOff + aRows[i] +
   * kMap[p]]. A convolution's weight gradient reads its im2col matrix straight from the padded image this way: the
   * rows are the taps' offsets, kMap[p] output p's offset from output 0's, so a stride or a row's padding is
   * skipped, not computed. Split over rows of C across the kernel pool when large, so threads never share output.
   */
  public static void gemmRowOffsetsA(int m, int n, int k, float[] a, int aOff, int[] aRows, int[] kMap,
      boolean transB, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    Check.nonNegative("gemm m", m);
    Check.nonNegative("gemm n", n);
    Check.nonNegative("gemm k", k);
    if (aRows.length < m) {
      throw new IllegalArgumentException("gemm A row offsets: " + aRows.length + " for m=" + m);
    }
    operand("B", b, bOff, ldb, transB ? n : k, transB ? k : n, m, n, k);
    operand("C", c, cOff, ldc, m, n, m, n, k);
    if (kMap.length < k) {
      throw new IllegalArgumentException("gemm A column map: " + kMap.length + " for k=" + k);
    }
    split(chunks(m, n, k), m, MR, (i0, i1) -> serial(false, transB, i1 - i0, n, k, 1f, a, aOff, 0, aRows, i0,
        kMap, b, bOff, ldb, beta, c, cOff + i0 * ldc, ldc));
  }

  /** Packs op(B)[0:kc, 0:nc] into NR-column panels: panel j holds (p, col) at dstOff + j*NR*kc + p*NR + col. */
  static void packB(boolean trans, int kc, int nc, float[] b, int bOff, int ldb, float[] dst, int dstOff) {
    for (int j0 = 0, panel = dstOff; j0 < nc; j0 += NR, panel += NR * kc) {
      int cols = Math.min(NR, nc - j0);
      if (cols < NR) {
        Arrays.fill(dst, panel, panel + NR * kc, 0f);
      }
      if (trans) {
        // Row by row of the panel: the writes run in order and the reads stay on the cols source rows' current
        // cache lines. Column by column, every write of a panel larger than L1 went to another line (6.8% of
        // tf_convnet's forward pass, in its 3136 -> 1024 linear layer).
        int src = bOff + j0 * ldb;
        for (int p = 0; p < kc; p++) {
          int d = panel + p * NR;
          for (int col = 0; col < cols; col++) {
            dst[d + col] = b[src + col * ldb + p];
          }
        }
      } else if (cols == NR && Simd.AVAILABLE) {
        // Row segments of NR floats: two vector moves each, far cheaper than an arraycopy call apiece.
        GemmVectorKernel.copyRows(kc, b, bOff + j0, ldb, dst, panel);
      } else {
        for (int p = 0; p < kc; p++) {
          System.arraycopy(b, bOff + p * ldb + j0, dst, panel + p * NR, cols);
        }
      }
    }
  }

  /**
   * C[0:mc, 0:nc] (+)= packedA * packedB, one register tile at a time; B panel j starts at bBase + j * panelStride.
   * Edge tiles go through a scratch tile.
   *
   * <p>Tiles go row by row across a band of B's panels that fills half of L2 ({@link #halfL2Columns}), so that C is
   * written in runs of a band's width along each of a tile's MR rows, not one tile width down all mc rows at a
   * time. Where k is short, writing C is much of the work: a 1x1 convolution's 144 x 3136 x 24 GEMM into fresh
   * output (eight images in turn, one AMD EPYC thread, both orders in one JVM alternating) ran 88-92 GFLOP/s
   * against 59-76 panel by panel, 96 x 12544 x 16 80-82 against 42-43, 144 x 3136 x 64 93-96 against 82-83; and no
   * shape lost: 512 level, 1024 and 2048 square 1.04-1.1x, 96 x 3136 x 576 1.04x, 24 x 3136 x 144 1.03-1.1x.
   */
  private static void macro(int mc, int nc, int kc, float[] packedA, int aBase, int aDepth, float[] packedB,
      int bBase, int panelStride, float[] c, int cOff, int ldc, boolean add) {
    float[] tile = null;
    int band = halfL2Columns(kc);
    for (int jb = 0; jb < nc; jb += band) {
      int bandEnd = Math.min(nc, jb + band);
      for (int i0 = 0; i0 < mc; i0 += MR) {
        int rows = Math.min(MR, mc - i0);
        int ao = aBase + i0 * aDepth;
        for (int j0 = jb; j0 < bandEnd; j0 += NR) {
          int cols = Math.min(NR, nc - j0);
          int bo = bBase + (j0 / NR) * panelStride;
          if (rows == MR && cols == NR) {
            tile(kc, packedA, ao, packedB, bo, c, cOff + i0 * ldc + j0, ldc, add);
          } else {
            if (tile == null) {
              tile = Scratch.floats(Scratch.TILE, MR * NR);
            }
            tile(kc, packedA, ao, packedB, bo, tile, 0, NR, false);
            storeEdge(tile, rows, cols, c, cOff + i0 * ldc + j0, ldc, add);
          }
        }
      }
    }
  }

  /**
   * Columns of a block of depth rows of floats that fills half of L2, a whole number of panels (NR) and at least
   * one: a band of B's panels here; in {@link PointwiseBatched}, a band of output rows, or of the packed input.
   */
  static int halfL2Columns(int depth) {
    return (int) Math.max(NR, CacheSizes.l2() / 2 / (4L * Math.max(1, depth)) / NR * NR);
  }

  /** Writes (add: adds) the valid rows x cols of an edge tile computed into scratch to C. */
  private static void storeEdge(float[] tile, int rows, int cols, float[] c, int cOff, int ldc, boolean add) {
    if (cols == NR && Simd.AVAILABLE) {
      // Rows short of a panel (a layer's last few output channels): whole rows, a vector at a time.
      GemmVectorKernel.storeRows(tile, rows, c, cOff, ldc, add);
      return;
    }
    for (int r = 0; r < rows; r++) {
      int dst = cOff + r * ldc;
      for (int col = 0; col < cols; col++) {
        c[dst + col] = add ? c[dst + col] + tile[r * NR + col] : tile[r * NR + col];
      }
    }
  }

  /**
   * Steps of a depth kc that the eight-row tiles take four a turn ({@link GemmVectorKernel#tile8Deep}); the tile
   * with one step a turn then adds the rest on, a second pass over the tile's C that short depths do not repay (a
   * 96 x 784 x 27 stem convolution ran 0.96-0.99x split).
   */
  private static int fourStepTurns(int kc) {
    return kc % 4 == 0 || kc >= 64 ? kc & ~3 : 0;
  }

  private static void tile(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
    if (Simd.AVAILABLE && MR == 8) {
      int deep = fourStepTurns(kc);
      if (deep > 0) {
        GemmVectorKernel.tile8Deep(deep, a, ao, b, bo, c, co, ldc, add);
      }
      if (deep < kc) {
        GemmVectorKernel.tile8(kc - deep, a, ao + deep * MR, b, bo + deep * NR, c, co, ldc, add || deep > 0);
      }
    } else if (Simd.AVAILABLE) {
      GemmVectorKernel.tile(kc, a, ao, b, bo, c, co, ldc, add);
    } else {
      GemmScalarKernel.tile(kc, a, ao, b, bo, c, co, ldc, add);
    }
  }
}
