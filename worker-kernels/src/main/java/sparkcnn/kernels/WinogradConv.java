package sparkcnn.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 convolution by Winograd's minimal filtering F(m x m, r x r) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016): each m x m block of outputs comes from an alpha x alpha tile of input
 * (alpha = m + r - 1), transformed, as alpha^2 products per (input, output) channel pair instead of m^2 r^2. Those
 * products are alpha^2 GEMMs, one per position e of the transformed tile: M_e (K x tiles) = U_e (K x C) * V_e (C x
 * tiles), with U = G g G^T the transformed weights, V = B^T d B the transformed input tiles, and the outputs
 * Y = A^T M A ({@link WinogradMatrices}). F(2x2, 3x3) does 2.25 times fewer multiply-adds than the convolution,
 * F(4x4, 3x3) 4 times and F(4x4, 5x5) 6.25 times (less the tiles cut off at a plane's edge); the larger tiles'
 * transforms cost more a tile and round a little more.
 *
 * <p>Blocked so the transformed tiles stay in L2 where they fit: a block is a run of tile rows (across images when
 * the images are small), its V and M sized to half of L2; blocks run in parallel. Input tiles are read from a frame
 * of the channel's rows split into their m x m (row, column) phases modulo m (gathered, a vector at a time, from a
 * zero-padded copy of the rows), so the alpha^2 values of the tiles of a run sit at alpha^2 fixed offsets from
 * consecutive positions: the transforms load whole vectors over a vector of tiles, even when a plane row holds
 * fewer tiles than a vector (see {@link #inputTiles}). The 1-D transforms are written out per F (the scalar path
 * applies B^T and A^T as sparse rows). Outputs come back as m x m phases, gathered back into the planes.
 *
 * <p>Backward-data of a stride-1 convolution is the convolution of dy with the flipped, transposed weights
 * ({@link ImplicitConv#flippedGeometry}), so it runs here too. The weight gradient is the forward's adjoint in the
 * weights: the same input tiles against the output gradient's tiles taken through A ({@link #backwardWeights}).
 * The results differ from the direct convolution's by rounding: the transforms reorder the sums (relative to the
 * largest output, 3e-7 to 6e-7 for F(2x2, 3x3) and 3e-6 to 1.6e-5 for F(4x4, .), about the last 8 bits).
 */
final class WinogradConv {
  private final WinogradMatrices f;

  private WinogradConv(WinogradMatrices f) {
    // The written-out transforms exist for alpha 4, 6 and 8, and the padded window needs r - 1 <= m.
    if (f.alpha != 4 && f.alpha != 6 && f.alpha != 8 || f.r - 1 > f.m) {
      throw new IllegalArgumentException("Winograd F(" + f.m + ", " + f.r + ") has no transforms here");
    }
    this.f = f;
  }

  /** F(2x2, 3x3). */
  static final WinogradConv F2 = new WinogradConv(WinogradMatrices.of(2, 3));
  /** F(4x4, 3x3) and F(4x4, 5x5), by the filter. */
  static final WinogradConv F4 = new WinogradConv(WinogradMatrices.of(4, 3));

  /**
   * F(2x2, 3x3) takes 3x3 filters, F(4x4, ...) 3x3 and 5x5; stride 1, undilated, one group, padding of at most
   * r - 1 (so backward-data's flipped padding exists).
   */
  boolean supports(ConvGeom g) {
    boolean filter = g.r() == g.s() && (g.r() == 3 || f.m == 4 && g.r() == 5);
    int p = g.r() - 1;
    return filter && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
        && g.groups() == 1 && g.padTop() <= p && g.padLeft() <= p && g.padBottom() <= p && g.padRight() <= p;
  }

  /** The F(m x m, r x r) of this family for g's filter. */
  private WinogradMatrices matrices(ConvGeom g) {
    return f.m == 4 && g.r() == 5 ? WinogradMatrices.of(4, 5) : f;
  }

  /** y = conv(x, w), no bias, y overwritten; needs {@link #supports}. */
  void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    WinogradMatrices t = matrices(g);
    int sizeA = Gemm.packedSizeA(g.k(), g.c());
    int positions = t.alpha * t.alpha;
    float[] u = Scratch.floats(Scratch.PACKED_W, positions * sizeA);
    transformWeights(t, w, wOff, g.k(), g.c(), u, sizeA);
    Tiling tiling = Tiling.of(g, t);
    int[] outMap = outputMap(g, t.m, tiling);
    int blocks = (tiling.rows + tiling.rowsPerBlock - 1) / tiling.rowsPerBlock;
    Parallel.forRange(blocks, (lo, hi, chunk) -> {
      for (int b = lo; b < hi; b++) {
        int row0 = b * tiling.rowsPerBlock;
        block(t, x, xOff, u, sizeA, y, yOff, g, tiling, outMap, row0,
            Math.min(tiling.rows, row0 + tiling.rowsPerBlock));
      }
    });
  }

  /** dx = the adjoint of forward applied to dy, dx overwritten: forward on dy with the flipped weights. */
  void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    forward(dy, dyOff, ImplicitConv.flippedWeights(w, wOff, g), 0, dx, dxOff, ImplicitConv.flippedGeometry(g));
  }

  /**
   * Whether the weight gradient runs here for g: {@link #supports}, and a chunk's lane-wise accumulators (alpha^2
   * of {@link GemmNT}'s, each K x C rounded up to its tile) at most 4 MB with 16 lanes: K x C up to 64 x 64
   * channels under F(2x2, 3x3) (or 32 x 128), 40 x 40 under F(4x4, 3x3), 32 x 32 under F(4x4, 5x5). Past that
   * they would stream from memory at every block.
   */
  boolean supportsWeights(ConvGeom g) {
    if (!supports(g)) {
      return false;
    }
    WinogradMatrices t = matrices(g);
    long products = (long) t.alpha * t.alpha * roundUp(g.k(), GemmNT.T) * roundUp(g.c(), GemmNT.T);
    return products <= 1 << 16;
  }

  private static int roundUp(int n, int multiple) {
    return (n + multiple - 1) / multiple * multiple;
  }

  /**
   * dw += dL/dw, the adjoint of {@link #forward} in the weights. Each tile's outputs are A^T (U . V) A with
   * U = G g G^T, so over the tiles dL/dU_e = sum Z_e V_e, with Z = A dY A^T the output gradient's m x m block taken
   * to alpha x alpha, and dL/dg = G^T (dL/dU) G. The weight gradient is then alpha^2 products Z_e (K x tiles) times
   * V_e^T (tiles x C) and one transform back per (k, c): F(2x2, 3x3) does 2.25 times fewer multiply-adds than
   * the direct weight gradient, F(4x4, 3x3) 4 times. The products reduce over the tiles, which both operands hold
   * along their rows: {@link GemmNT}'s dot products, into lane-wise accumulators per chunk of blocks and position,
   * folded once at the end. Blocks and the input's transform are the forward's; needs {@link #supportsWeights}.
   */
  void backwardWeights(float[] x, int xOff, float[] dy, int dyOff, float[] dw, int dwOff, ConvGeom g) {
    WinogradMatrices t = matrices(g);
    int positions = t.alpha * t.alpha;
    int k = g.k();
    int c = g.c();
    int accSize = GemmNT.accumulatorSize(k, c);
    // Blocks of V and Z four times L2: the products' reductions run over a block's tiles, and each block loads and
    // stores every accumulator once. Measured on 32 channels of 16x16 (one thread, AMD EPYC): 47 GFLOP/s at half
    // of L2 as the forward's, 61 at L2, 72 at 2x, 71 at 4x and 8x; 64 channels of 56x56: 54, 68, 92, 101, 100.
    Tiling tiling = Tiling.of(g, t, 4L * CacheSizes.l2());
    int blocks = (tiling.rows + tiling.rowsPerBlock - 1) / tiling.rowsPerBlock;
    // The chunks' accumulators side by side in the calling thread's scratch, not each in its runner's: a pool
    // thread may run two chunks of one call (work stealing), or start another call's before this one reads them.
    int chunks = Parallel.chunks(blocks);
    int perChunk = positions * accSize;
    float[] accs = Scratch.floats(Scratch.PACKED_W, chunks * perChunk);
    Arrays.fill(accs, 0, chunks * perChunk, 0f);
    Parallel.forRange(blocks, (lo, hi, chunk) -> {
      // The frames' gather maps by the length of a run of tile rows (at most two lengths occur).
      int[][] inMaps = new int[tiling.tilesH + 1][];
      int[][] outMaps = new int[tiling.tilesH + 1][];
      for (int b = lo; b < hi; b++) {
        int row0 = b * tiling.rowsPerBlock;
        weightBlock(t, x, xOff, dy, dyOff, g, tiling, row0, Math.min(tiling.rows, row0 + tiling.rowsPerBlock), accs,
            chunk * perChunk, accSize, inMaps, outMaps);
      }
    });
    float[] grad = new float[positions * k * c];
    for (int chunk = 0; chunk < chunks; chunk++) {
      for (int e = 0; e < positions; e++) {
        GemmNT.reduceInto(accs, chunk * perChunk + e * accSize, k, c, grad, e * k * c, c);
      }
    }
    // dw (k, c) += G^T (dL/dU) G: the transpose of the filter transform U = (G x G) g.
    int taps = t.r * t.r;
    for (int j = 0; j < k * c; j++) {
      for (int tap = 0; tap < taps; tap++) {
        double sum = 0;
        for (int e = 0; e < positions; e++) {
          sum += (double) t.filter[e * taps + tap] * grad[e * k * c + j];
        }
        dw[dwOff + j * taps + tap] += (float) sum;
      }
    }
  }

  /**
   * Tile rows [row0, row1) of the batch into the weight gradient's accumulators at acc[accOff]: both transforms,
   * alpha^2 products.
   */
  private static void weightBlock(WinogradMatrices t, float[] x, int xOff, float[] dy, int dyOff, ConvGeom g,
      Tiling tiling, int row0, int row1, float[] acc, int accOff, int accSize, int[][] inMaps, int[][] outMaps) {
    int m = t.m;
    int width = tiling.width;
    int positions = t.alpha * t.alpha;
    // From a line boundary, as the forward's (see block): the dot products' loads of Z and V straddle no line (64
    // ch 56x56 b8, one Xeon thread: 113-122 GFLOP/s against 100-106).
    float[] v = Scratch.lineAligned(Scratch.TRANSFORMED_IN, positions * tiling.vStride);
    float[] z = Scratch.lineAligned(Scratch.TRANSFORMED_OUT, positions * tiling.mStride);
    int vb = CacheLines.start(v);
    int zb = CacheLines.start(z);
    for (int r = row0; r < row1; ) {
      int ty0 = r % tiling.tilesH;
      int run = Math.min(row1 - r, tiling.tilesH - ty0);
      if (inMaps[run] == null) {
        int phaseRows = run + tiling.reach;
        inMaps[run] = frameMap(m, width, phaseRows);
        outMaps[run] = frameMap(m, width, gradientRows(run, width));
      }
      // With the Vector API each run's transforms reach the next whole vector of the block: the products then run
      // in whole vectors, over tiles past the last where Z is zero (see gradientTiles) and V finite.
      int from = (r - row0) * width;
      int count = Simd.AVAILABLE ? roundUp(from + run * width, Simd.LANES) - from : run * width;
      inputTiles(t, x, xOff, r / tiling.tilesH, ty0, run, vb + from, count, g, tiling, inMaps[run], v);
      gradientTiles(t, dy, dyOff, r / tiling.tilesH, ty0, run, zb + from, count, g, tiling, outMaps[run], z);
      r += run;
    }
    int n = (row1 - row0) * width;
    if (Simd.AVAILABLE) {
      n = roundUp(n, Simd.LANES);
    }
    int[] zRows = new int[g.k()];
    int[] vRows = new int[g.c()];
    for (int e = 0; e < positions; e++) {
      GemmNT.accumulate(g.k(), g.c(), n, z, GemmNT.evenRows(zRows, zb + e * tiling.mStride, tiling.ld), v,
          GemmNT.evenRows(vRows, vb + e * tiling.vStride, tiling.ld), acc, accOff + e * accSize);
    }
  }

  /**
   * Z_e = (A dY A^T)_e for tile rows [ty0, ty0 + run) of image i, every output channel, into z[e * mStride + k * ld
   * + zOff + ...]: the output gradient's rows m ty0 ... split into their m x m phases as the input's are (see
   * {@link #inputTiles}), zero past the plane, so the tiles a row carries past its end and the parts of tiles past
   * the plane's last row add nothing. Each phase has {@link #gradientRows} rows, zero past the run's, so the n
   * tiles transformed (run * width, or up to a vector more) are zero past those.
   */
  private static void gradientTiles(WinogradMatrices t, float[] dy, int dyOff, int i, int ty0, int run, int zOff,
      int n, ConvGeom g, Tiling tiling, int[] map, float[] z) {
    int m = t.m;
    int width = tiling.width;
    int phaseRows = gradientRows(run, width);
    int phase = phaseRows * width;
    float[] frame = Scratch.floats(Scratch.PADDED, m * m * phase + 2 * Simd.LANES);
    float[] window = m == 2 ? null : Scratch.floats(Scratch.COLUMNS, m * phaseRows * m * width);
    // The plane's rows past the run's count as outside it: zeros.
    int rowsTo = Math.min(g.p(), m * (ty0 + run));
    int[] rowAt = new int[m];
    int[] colAt = new int[m];
    for (int a = 0; a < m; a++) {
      rowAt[a] = a * m * phase;
      colAt[a] = a * phase;
    }
    float[] tmp = Simd.AVAILABLE ? Scratch.floats(Scratch.PARTIAL, Vec.tmpSize(t)) : null;
    int pq = g.p() * g.q();
    for (int kk = 0; kk < g.k(); kk++) {
      frame(dy, dyOff + (i * g.k() + kk) * pq, rowsTo, g.q(), 0, m * ty0, m, phaseRows, width, window, map, frame);
      if (Simd.AVAILABLE) {
        Vec.gradientTiles(t, frame, rowAt, colAt, n, z, kk * tiling.ld + zOff, tiling.mStride, tmp);
      } else {
        sandwichScalar(t.aCols, t.aVals, m, frame, 0, rowAt, colAt, n, z, kk * tiling.ld + zOff, tiling.mStride);
      }
    }
  }

  /**
   * Rows of a phase of the output gradient's frame: the run's, then rows of zeros for at least two vectors, which
   * the transforms' last vector, starting less than a vector past the run's tiles, reads (see weightBlock).
   */
  private static int gradientRows(int run, int width) {
    return run + (2 * Simd.LANES + width - 1) / width;
  }

  /**
   * How the output's tiles are cut into blocks. Tile rows are numbered across the batch (image i's row ty is
   * i * tilesH + ty); a block is rowsPerBlock consecutive ones. Within a block, tile (row j, column tx) is column
   * j * width + tx of the GEMMs, width = tilesW + reach: each tile row carries reach tiles past its end (reach =
   * the phase columns a tile spans beyond its own, 1 for all the F here), computed and dropped, so that the tiles
   * of consecutive rows sit at consecutive offsets of the frame too (see {@link #inputTiles}) and narrow planes
   * still fill whole vectors. Transformed tiles are stored with stride ld per (e, channel): a multiple of GEMM's
   * panel width, plus a vector of slack for whole-vector stores. Position e's matrices start e * vStride (V) and
   * e * mStride (M) apart, strides an odd number of 64-byte lines: the transforms touch all alpha^2 positions of a
   * tile at once, and with strides a multiple of 4 KB every one of them fell into the same L1 set (F(4x4, 5x5)
   * spent 64% of its time in the transforms, at a tenth of their arithmetic's speed).
   */
  private record Tiling(int tilesH, int width, int reach, int rows, int rowsPerBlock, int ld, int vStride,
      int mStride) {
    /** The forward's blocks: V and M in half of L2. */
    static Tiling of(ConvGeom g, WinogradMatrices t) {
      return of(g, t, CacheSizes.l2() / 2);
    }

    /** Blocks whose V and M (or Z) take up to the given bytes. */
    static Tiling of(ConvGeom g, WinogradMatrices t, long bytes) {
      int m = t.m;
      int reach = (t.alpha - 1) / m;
      int tilesH = (g.p() + m - 1) / m;
      int width = (g.q() + m - 1) / m + reach;
      int rows = g.n() * tilesH;
      // V (alpha^2 C floats a tile) and M (alpha^2 K) in the bytes given, and at least two GEMM panels of tiles.
      long fit = bytes / (4L * t.alpha * t.alpha * (g.c() + g.k()));
      int tiles = (int) Math.max(2 * Gemm.NR, Math.min(fit, 1 << 14));
      int perBlock = Math.max(1, tiles / width);
      // Whole images, or an image in equal parts.
      perBlock = perBlock >= tilesH ? perBlock / tilesH * tilesH : (tilesH + (tilesH + perBlock - 1) / perBlock - 1)
          / ((tilesH + perBlock - 1) / perBlock);
      // Every thread gets a block (one, inside a region already parallel).
      int threads = Parallel.chunks(rows);
      perBlock = Math.min(perBlock, (rows + threads - 1) / threads);
      int ld = (perBlock * width + Gemm.NR - 1) / Gemm.NR * Gemm.NR + Simd.LANES;
      return new Tiling(tilesH, width, reach, rows, perBlock, ld, oddLines(g.c() * ld), oddLines(g.k() * ld));
    }

    /** The smallest stride of at least n floats that is an odd number of 64-byte lines. */
    private static int oddLines(int n) {
      int lines = (n + 15) / 16;
      return 16 * (lines | 1);
    }
  }

  /**
   * U_e = (G g G^T)_e for every (k, c), written straight into GEMM's packed A layout: alpha^2 matrices K x C, e's
   * at u[e * sizeA], panel of rows k / MR holding (c, k % MR) at c * MR + k % MR; rows past K zero. The filters
   * are first put in that packed order (zero filters past K), so that one GEMM, the alpha^2 x r^2 transform times
   * the filters, writes every e's packed matrix as one row of u: a filter at a time in double had taken half of a
   * 512-channel layer's time.
   */
  private static void transformWeights(WinogradMatrices t, float[] w, int wOff, int k, int c, float[] u,
      int sizeA) {
    int taps = t.r * t.r;
    float[] packed = Scratch.floats(Scratch.COLUMNS, sizeA * taps);
    for (int kk = 0; kk < sizeA / c; kk++) {
      for (int cc = 0; cc < c; cc++) {
        int dst = (kk / Gemm.MR * Gemm.MR * c + cc * Gemm.MR + kk % Gemm.MR) * taps;
        if (kk < k) {
          System.arraycopy(w, wOff + (kk * c + cc) * taps, packed, dst, taps);
        } else {
          Arrays.fill(packed, dst, dst + taps, 0f);
        }
      }
    }
    Gemm.gemm(false, true, t.alpha * t.alpha, sizeA, taps, 1f, t.filter, 0, taps, packed, 0, taps, 0f, u, 0,
        sizeA);
  }

  /** Tile rows [row0, row1) of the batch: transform in, alpha^2 GEMMs, transform out. */
  private static void block(WinogradMatrices t, float[] x, int xOff, float[] u, int sizeA, float[] y, int yOff,
      ConvGeom g, Tiling tiling, int[] outMap, int row0, int row1) {
    int c = g.c();
    int k = g.k();
    int ld = tiling.ld;
    int m = t.m;
    int positions = t.alpha * t.alpha;
    // V and M from their arrays' first line boundary where one is known (CacheLines): their rows are ld apart and
    // their positions vStride and mStride, whole lines with 16-lane vectors, so the GEMM's vectors (B's rows read in
    // place, C's stored) and the transforms of the block's first run each lie in one line instead of straddling two
    // (later runs start where the run before ended, in general off a line). One Xeon thread,
    // alternating JVMs, GFLOP/s: 64 ch 56x56 b8 forward 211-213 against 179-187, backward data 214-221 against
    // 185-195; 128 ch 28x28 251-253 against 231-232; 256 ch 14x14 170-172 against 154-157; 5x5 32 -> 64 14x14
    // b128 173-186 against 163-171.
    float[] v = Scratch.lineAligned(Scratch.TRANSFORMED_IN, positions * tiling.vStride);
    float[] out = Scratch.lineAligned(Scratch.TRANSFORMED_OUT, positions * tiling.mStride + m * m * ld);
    int vb = CacheLines.start(v);
    int ob = CacheLines.start(out);
    int[] rowOff = Scratch.ints(c);
    for (int cc = 0; cc < c; cc++) {
      rowOff[cc] = cc * ld;
    }
    // Runs of tile rows of one image: [r, r + run) of image r / tilesH.
    int[] frameMap = null;
    for (int r = row0; r < row1; ) {
      int ty0 = r % tiling.tilesH;
      int run = Math.min(row1 - r, tiling.tilesH - ty0);
      if (frameMap == null || frameMap.length != t.m * t.m * (run + tiling.reach) * tiling.width) {
        frameMap = frameMap(t.m, tiling.width, run + tiling.reach);
      }
      inputTiles(t, x, xOff, r / tiling.tilesH, ty0, run, vb + (r - row0) * tiling.width, run * tiling.width, g,
          tiling, frameMap, v);
      r += run;
    }
    // Whole panels of GEMM columns: the columns past the last tile (V's slack, never read back) cost less than
    // an edge panel does.
    int tiles = ((row1 - row0) * tiling.width + Gemm.NR - 1) / Gemm.NR * Gemm.NR;
    for (int e = 0; e < positions; e++) {
      Gemm.gemmRowOffsets(k, tiles, c, u, e * sizeA, v, vb + e * tiling.vStride, rowOff, out,
          ob + e * tiling.mStride, ld);
    }
    // The output tiles' m x m phases, phase (i, jj) a run of ld floats from buf.
    int buf = ob + positions * tiling.mStride;
    int p = g.p();
    int q = g.q();
    float[] tmp = Simd.AVAILABLE ? Scratch.floats(Scratch.PARTIAL, Vec.tmpSize(t)) : null;
    int[] mRows = new int[t.alpha];
    for (int a = 0; a < t.alpha; a++) {
      mRows[a] = a * t.alpha * tiling.mStride;
    }
    for (int r = row0; r < row1; ) {
      int ty0 = r % tiling.tilesH;
      int run = Math.min(row1 - r, tiling.tilesH - ty0);
      int i = r / tiling.tilesH;
      for (int kk = 0; kk < k; kk++) {
        outputTiles(t, out, ob + kk * ld + (r - row0) * tiling.width, mRows, tiling.mStride, run * tiling.width, out,
            buf, ld, tmp);
        // The run's output rows are one contiguous stretch of the plane.
        int from = m * ty0 * q;
        int to = Math.min(p, m * (ty0 + run)) * q;
        gatherPlane(out, buf - ty0 * tiling.width, outMap, from, to, y, yOff + (i * k + kk) * p * q);
      }
      r += run;
    }
  }

  /**
   * Where plane element (oh, ow) of the output comes from, relative to the phases of its run's first tile row:
   * phase (oh % m, ow % m), which starts at (oh % m * m + ow % m) * ld, tile row oh / m (width apart), column
   * ow / m. One table per call, so whole planes, or the stretch of a plane a run covers, come back by gathers.
   */
  private static int[] outputMap(ConvGeom g, int m, Tiling tiling) {
    int[] map = new int[g.p() * g.q()];
    for (int oh = 0, e = 0; oh < g.p(); oh++) {
      for (int ow = 0; ow < g.q(); ow++, e++) {
        map[e] = (oh % m * m + ow % m) * tiling.ld + oh / m * tiling.width + ow / m;
      }
    }
    return map;
  }

  /** dst[dstOff + e] = src[base + map[e]] for e in [from, to). */
  private static void gatherPlane(float[] src, int base, int[] map, int from, int to, float[] dst, int dstOff) {
    int e = Simd.AVAILABLE ? Vec.gather(src, base, map, from, to, dst, dstOff) : from;
    for (; e < to; e++) {
      dst[dstOff + e] = src[base + map[e]];
    }
  }

  /**
   * V_e for tile rows [ty0, ty0 + run) of image i, every channel, into v[e * vStride + c * ld + vOff + ...], n tiles
   * (run * width, or up to a vector more where the caller reads on to a whole vector). Each
   * channel's rows m ty0 - padTop ... are framed and split into their m x m phases modulo m, each phase
   * (run + reach) rows of width = tilesW + reach. Tile (j, tx) reads frame row m j + a, which is row j + a / m of
   * row phase a % m, at columns tx + b / m of column phase b % m: at offset j * width + tx plus a constant per (a,
   * b), so a run's tiles are consecutive offsets, j and tx together.
   */
  private static void inputTiles(WinogradMatrices t, float[] x, int xOff, int i, int ty0, int run, int vOff,
      int n, ConvGeom g, Tiling tiling, int[] map, float[] v) {
    int m = t.m;
    int width = tiling.width;
    int phaseRows = run + tiling.reach;
    int phase = phaseRows * width;
    // The transforms' last vector reads up to reach + 2 vectors into this slack (n up to a vector past the run's
    // tiles): zeros keep V finite past the last tile (weight gradients sum over it, against zeros).
    float[] frame = Scratch.floats(Scratch.PADDED, m * m * phase + 3 * Simd.LANES);
    Arrays.fill(frame, m * m * phase, m * m * phase + 3 * Simd.LANES, 0f);
    float[] window = m == 2 ? null : Scratch.floats(Scratch.COLUMNS, m * phaseRows * m * width);
    int ih0 = m * ty0 - g.padTop();
    int[] rowAt = new int[t.alpha];
    int[] colAt = new int[t.alpha];
    for (int a = 0; a < t.alpha; a++) {
      rowAt[a] = (a % m) * m * phase + (a / m) * width;
      colAt[a] = (a % m) * phase + a / m;
    }
    int eStride = tiling.vStride;
    float[] tmp = Simd.AVAILABLE ? Scratch.floats(Scratch.PARTIAL, Vec.tmpSize(t)) : null;
    for (int c = 0; c < g.c(); c++) {
      int plane = xOff + (i * g.c() + c) * g.h() * g.w();
      frame(x, plane, g.h(), g.w(), g.padLeft(), ih0, m, phaseRows, width, window, map, frame);
      if (Simd.AVAILABLE) {
        Vec.inputTiles(t, frame, rowAt, colAt, n, v, c * tiling.ld + vOff, eStride, tmp);
      } else {
        sandwichScalar(t.btCols, t.btVals, t.alpha, frame, 0, rowAt, colAt, n, v, c * tiling.ld + vOff, eStride);
      }
    }
  }

  /**
   * frame[(pr * m + pc) * phase + i * width + jj] = window[(m i + pr) * m width + m jj + pc]: the window's rows
   * split into their m x m phases, phase = phaseRows * width.
   */
  private static int[] frameMap(int m, int width, int phaseRows) {
    int phase = phaseRows * width;
    int[] map = new int[m * m * phase];
    for (int pr = 0; pr < m; pr++) {
      for (int pc = 0; pc < m; pc++) {
        for (int i = 0; i < phaseRows; i++) {
          for (int jj = 0; jj < width; jj++) {
            map[(pr * m + pc) * phase + i * width + jj] = (m * i + pr) * m * width + m * jj + pc;
          }
        }
      }
    }
    return map;
  }

  /**
   * Frame rows [0, m phaseRows) are rows ih0 + R of the h x w plane, zero outside it; row R's column m jj + pc - left
   * goes to frame[(R % m * m + pc) * phase + R / m * width + jj] (phase = phaseRows * width), zero outside the
   * plane. For m = 2 that is {@link FramedPlanes#padStride2}'s split, a pair of vector loads per vector of each
   * column phase. Otherwise the rows are first copied, zero-padded, into a window m width wide, which the frame
   * then gathers from ({@link #frameMap}): the column phases' stride-m reads one float at a time had cost as much
   * as the input transform.
   */
  private static void frame(float[] x, int plane, int h, int w, int left, int ih0, int m, int phaseRows, int width,
      float[] window, int[] map, float[] f) {
    int rows = m * phaseRows;
    if (m == 2) {
      int top = Math.max(0, -ih0);
      int first = Math.max(0, ih0);
      int inside = Math.max(0, Math.min(h - first, rows - top));
      FramedPlanes.padStride2(x, plane + first * w, inside, w, top, left, 2, phaseRows, width, f, 0);
      return;
    }
    int ww = m * width;
    for (int row = 0; row < rows; row++) {
      int ih = ih0 + row;
      int dst = row * ww;
      if (ih < 0 || ih >= h) {
        Arrays.fill(window, dst, dst + ww, 0f);
        continue;
      }
      for (int c = 0; c < left; c++) {
        window[dst + c] = 0f;
      }
      System.arraycopy(x, plane + ih * w, window, dst + left, w);
      for (int c = left + w; c < ww; c++) {
        window[dst + c] = 0f;
      }
    }
    int e = Simd.AVAILABLE ? Vec.gather(window, 0, map, 0, map.length, f, 0) : 0;
    for (; e < map.length; e++) {
      f[e] = window[map[e]];
    }
  }

  /**
   * The scalar transforms, both directions: T D T^T for tiles [0, n), T given by its sparse rows (B^T on the way in,
   * A^T on the way out) over alpha columns; tile element (a, b) at src[base + rowOff[a] + colOff[b] + tile], output
   * (i, j) to dst[dstBase + (i * rows + j) * dstStride + tile], rows = the rows of T.
   */
  private static void sandwichScalar(int[][] cols, float[][] vals, int alpha, float[] src, int base, int[] rowOff,
      int[] colOff, int n, float[] dst, int dstBase, int dstStride) {
    int rows = cols.length;
    float[] mid = new float[alpha];
    for (int tile = 0; tile < n; tile++) {
      for (int i = 0; i < rows; i++) {
        for (int b = 0; b < alpha; b++) {
          float s = 0;
          for (int p = 0; p < cols[i].length; p++) {
            s += vals[i][p] * src[base + rowOff[cols[i][p]] + colOff[b] + tile];
          }
          mid[b] = s;
        }
        for (int j = 0; j < rows; j++) {
          float s = 0;
          for (int p = 0; p < cols[j].length; p++) {
            s += vals[j][p] * mid[cols[j][p]];
          }
          dst[dstBase + (i * rows + j) * dstStride + tile] = s;
        }
      }
    }
  }

  /**
   * A^T M A for tiles [0, n), element e of tile t at m[e * eStride + mOff + t]: output (i, jj) of the tile to
   * buf[out + (i * m + jj) * stride + t]. mRows[a] = a * alpha * eStride.
   */
  private static void outputTiles(WinogradMatrices t, float[] mm, int mOff, int[] mRows, int eStride, int n,
      float[] buf, int out, int stride, float[] tmp) {
    if (Simd.AVAILABLE) {
      Vec.outputTiles(t, mm, mOff, mRows, eStride, n, buf, out, stride, tmp);
      return;
    }
    int[] mCols = new int[t.alpha];
    for (int b = 0; b < t.alpha; b++) {
      mCols[b] = b * eStride;
    }
    sandwichScalar(t.atCols, t.atVals, t.alpha, mm, mOff, mRows, mCols, n, buf, out, stride);
  }

  /**
   * The transforms a vector of tiles at a time, each 1-D transform written out for its F with the pairs of rows
   * that differ only in sign computed once (as in NNPACK and oneDNN): F(4x4, 5x5)'s B^T costs 26 vector operations
   * instead of 43 multiply-adds over its nonzeros, and no loads of coefficients or their columns. The tests check
   * them end to end against the naive convolution, and the matrices they follow against correlation. Every load
   * is written out: a helper returning a vector boxes its result whenever C2 leaves it uninlined, which depends on
   * the profile and the compile timing. Loaded only when the Vector API is present.
   */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Offsets k * lanes: the k-th vector of a pass's intermediate buffer. */
    private static final int[] LANES = java.util.stream.IntStream.range(0, 8).map(k -> k * S.length()).toArray();

    /** Floats of the per-thread buffer holding one pass's alpha^2 intermediate vectors. */
    static int tmpSize(WinogradMatrices t) {
      return t.alpha * t.alpha * S.length();
    }

    /** {@link #gatherPlane} for the whole vectors of [from, to); returns where the rest starts. */
    static int gather(float[] src, int base, int[] map, int from, int to, float[] dst, int dstOff) {
      int e = from;
      for (; e <= to - S.length(); e += S.length()) {
        FloatVector.fromArray(S, src, base, map, e).intoArray(dst, dstOff + e);
      }
      return e;
    }

    /**
     * {@link #sandwichScalar} with B^T, in whole vectors: B^T down each of the tile's columns into tmp (row j,
     * column b at (j alpha + b) lanes), then B^T along each row into v. The last vector reads and writes up to a
     * vector past n (the frame and v have that slack; what lands there is overwritten later or never read).
     */
    static void inputTiles(WinogradMatrices t, float[] f, int[] rowAt, int[] colAt, int n, float[] v, int vOff,
        int eStride, float[] tmp) {
      int alpha = t.alpha;
      int l = S.length();
      for (int tile = 0; tile < n; tile += l) {
        for (int b = 0; b < alpha; b++) {
          bt(alpha, f, colAt[b] + tile, rowAt, tmp, b * l, alpha * l);
        }
        for (int j = 0; j < alpha; j++) {
          bt(alpha, tmp, j * alpha * l, LANES, v, vOff + tile + j * alpha * eStride, eStride);
        }
      }
    }

    /**
     * {@link #outputTiles} in whole vectors (m and buf have a vector of slack past n): A^T down each column into
     * tmp, then along each of the m rows into buf; rowAt[a] = a * alpha * eStride.
     */
    static void outputTiles(WinogradMatrices t, float[] mm, int mOff, int[] rowAt, int eStride, int n, float[] buf,
        int out, int stride, float[] tmp) {
      int alpha = t.alpha;
      int m = t.m;
      int l = S.length();
      for (int tile = 0; tile < n; tile += l) {
        for (int b = 0; b < alpha; b++) {
          at(alpha, mm, mOff + tile + b * eStride, rowAt, tmp, b * l, alpha * l);
        }
        for (int i = 0; i < m; i++) {
          at(alpha, tmp, i * alpha * l, LANES, buf, out + i * m * stride + tile, stride);
        }
      }
    }

    /**
     * {@link #gradientTiles}' A D A^T in whole vectors (the frame and z have a vector of slack past n): A down
     * each of the m columns of D into tmp (row a, column j at (a m + j) lanes), then along each of the alpha rows
     * into z; D (i, j) at f[rowAt[i] + colAt[j] + tile].
     */
    static void gradientTiles(WinogradMatrices t, float[] f, int[] rowAt, int[] colAt, int n, float[] z, int zOff,
        int eStride, float[] tmp) {
      int alpha = t.alpha;
      int m = t.m;
      int l = S.length();
      for (int tile = 0; tile < n; tile += l) {
        for (int j = 0; j < m; j++) {
          a(alpha, f, colAt[j] + tile, rowAt, tmp, j * l, m * l);
        }
        for (int a = 0; a < alpha; a++) {
          a(alpha, tmp, a * m * l, LANES, z, zOff + tile + a * alpha * eStride, eStride);
        }
      }
    }

    /** out_a = (A d)_a, the transpose of A^T: d_i at s[at + off[i]], out_a to d[dAt + a * dStride]. */
    private static void a(int alpha, float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      switch (alpha) {
        case 4 -> a4(s, at, off, d, dAt, dStride);
        case 6 -> a6(s, at, off, d, dAt, dStride);
        default -> a8(s, at, off, d, dAt, dStride);
      }
    }

    /** F(2, 3): A = [1 0; 1 1; 1 -1; 0 1]. */
    private static void a4(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      d0.intoArray(d, dAt);
      d0.add(d1).intoArray(d, dAt + dStride);
      d0.sub(d1).intoArray(d, dAt + 2 * dStride);
      d1.intoArray(d, dAt + 3 * dStride);
    }

    /** F(4, 3): A rows 1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 0 0 0 1. */
    private static void a6(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      aAtPoints(s, at, off, d, dAt, dStride);
      FloatVector.fromArray(S, s, at + off[3]).intoArray(d, dAt + 5 * dStride);
    }

    /**
     * F(4, 5): A rows 1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 1 1/2 1/4 1/8; 1 -1/2 1/4 -1/8; 0 0 0 1.
     */
    private static void a8(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      aAtPoints(s, at, off, d, dAt, dStride);
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector d2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector d3 = FloatVector.fromArray(S, s, at + off[3]);
      FloatVector even = d2.mul(0.25f).add(d0);
      FloatVector odd = d3.mul(0.125f).add(d1.mul(0.5f));
      even.add(odd).intoArray(d, dAt + 5 * dStride);
      even.sub(odd).intoArray(d, dAt + 6 * dStride);
      d3.intoArray(d, dAt + 7 * dStride);
    }

    /** Rows 0-4 of F(4, .)'s A, the points 0, 1, -1, 2, -2: 1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8. */
    private static void aAtPoints(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector d2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector d3 = FloatVector.fromArray(S, s, at + off[3]);
      d0.intoArray(d, dAt);
      FloatVector even = d0.add(d2);
      FloatVector odd = d1.add(d3);
      even.add(odd).intoArray(d, dAt + dStride);
      even.sub(odd).intoArray(d, dAt + 2 * dStride);
      even = d2.mul(4f).add(d0);
      odd = d3.mul(8f).add(d1.mul(2f));
      even.add(odd).intoArray(d, dAt + 3 * dStride);
      even.sub(odd).intoArray(d, dAt + 4 * dStride);
    }

    /** out_j = (B^T d)_j, d_k at s[at + off[k]], out_j to d[dAt + j * dStride]. */
    private static void bt(int alpha, float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      switch (alpha) {
        case 4 -> bt4(s, at, off, d, dAt, dStride);
        case 6 -> bt6(s, at, off, d, dAt, dStride);
        default -> bt8(s, at, off, d, dAt, dStride);
      }
    }

    /** out_i = (A^T m)_i, m_k at s[at + off[k]], out_i to d[dAt + i * dStride]. */
    private static void at(int alpha, float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      switch (alpha) {
        case 4 -> at4(s, at, off, d, dAt, dStride);
        case 6 -> at6(s, at, off, d, dAt, dStride);
        default -> at8(s, at, off, d, dAt, dStride);
      }
    }

    /** F(2, 3): B^T = [-1 0 1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1]. */
    private static void bt4(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector d2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector d3 = FloatVector.fromArray(S, s, at + off[3]);
      d2.sub(d0).intoArray(d, dAt);
      d1.add(d2).intoArray(d, dAt + dStride);
      d2.sub(d1).intoArray(d, dAt + 2 * dStride);
      d3.sub(d1).intoArray(d, dAt + 3 * dStride);
    }

    /** F(2, 3): A^T = [1 1 1 0; 0 1 -1 1]. */
    private static void at4(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector m1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector m2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector.fromArray(S, s, at + off[0]).add(m1).add(m2).intoArray(d, dAt);
      m1.sub(m2).add(FloatVector.fromArray(S, s, at + off[3])).intoArray(d, dAt + dStride);
    }

    /**
     * F(4, 3), points 0, 1, -1, 2, -2: B^T rows 4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0;
     * 0 2 -1 -2 1 0; 0 4 0 -5 0 1.
     */
    private static void bt6(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector d2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector d3 = FloatVector.fromArray(S, s, at + off[3]);
      FloatVector d4 = FloatVector.fromArray(S, s, at + off[4]);
      FloatVector d5 = FloatVector.fromArray(S, s, at + off[5]);
      d0.mul(4f).add(d4).sub(d2.mul(5f)).intoArray(d, dAt);
      FloatVector a = d4.sub(d2.mul(4f));
      FloatVector b = d3.sub(d1.mul(4f));
      a.add(b).intoArray(d, dAt + dStride);
      a.sub(b).intoArray(d, dAt + 2 * dStride);
      a = d4.sub(d2);
      b = d3.sub(d1).mul(2f);
      a.add(b).intoArray(d, dAt + 3 * dStride);
      a.sub(b).intoArray(d, dAt + 4 * dStride);
      d1.mul(4f).add(d5).sub(d3.mul(5f)).intoArray(d, dAt + 5 * dStride);
    }

    /** F(4, 3): A^T rows 1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1. */
    private static void at6(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector m1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector m2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector m3 = FloatVector.fromArray(S, s, at + off[3]);
      FloatVector m4 = FloatVector.fromArray(S, s, at + off[4]);
      FloatVector s12 = m1.add(m2);
      FloatVector d12 = m1.sub(m2);
      FloatVector s34 = m3.add(m4);
      FloatVector d34 = m3.sub(m4);
      FloatVector.fromArray(S, s, at + off[0]).add(s12).add(s34).intoArray(d, dAt);
      d34.mul(2f).add(d12).intoArray(d, dAt + dStride);
      s34.mul(4f).add(s12).intoArray(d, dAt + 2 * dStride);
      d34.mul(8f).add(d12).add(FloatVector.fromArray(S, s, at + off[5])).intoArray(d, dAt + 3 * dStride);
    }

    /**
     * F(4, 5), points 0, 1, -1, 2, -2, 1/2, -1/2: B^T rows -1 0 21/4 0 -21/4 0 1 0; 0 1 1 -17/4 -17/4 1 1 0;
     * 0 -1 1 17/4 -17/4 -1 1 0; 0 1/2 1/4 -5/2 -5/4 2 1 0; 0 -1/2 1/4 5/2 -5/4 -2 1 0; 0 2 4 -5/2 -5 1/2 1 0;
     * 0 -2 4 5/2 -5 -1/2 1 0; 0 -1 0 21/4 0 -21/4 0 1.
     */
    private static void bt8(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector d0 = FloatVector.fromArray(S, s, at + off[0]);
      FloatVector d1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector d2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector d3 = FloatVector.fromArray(S, s, at + off[3]);
      FloatVector d4 = FloatVector.fromArray(S, s, at + off[4]);
      FloatVector d5 = FloatVector.fromArray(S, s, at + off[5]);
      FloatVector d6 = FloatVector.fromArray(S, s, at + off[6]);
      FloatVector d7 = FloatVector.fromArray(S, s, at + off[7]);
      d2.sub(d4).mul(5.25f).add(d6).sub(d0).intoArray(d, dAt);
      FloatVector a = d2.add(d6).sub(d4.mul(4.25f));
      FloatVector b = d1.add(d5).sub(d3.mul(4.25f));
      a.add(b).intoArray(d, dAt + dStride);
      a.sub(b).intoArray(d, dAt + 2 * dStride);
      a = d2.mul(0.25f).add(d6).sub(d4.mul(1.25f));
      b = d1.mul(0.5f).add(d5.mul(2f)).sub(d3.mul(2.5f));
      a.add(b).intoArray(d, dAt + 3 * dStride);
      a.sub(b).intoArray(d, dAt + 4 * dStride);
      a = d2.mul(4f).add(d6).sub(d4.mul(5f));
      b = d1.mul(2f).add(d5.mul(0.5f)).sub(d3.mul(2.5f));
      a.add(b).intoArray(d, dAt + 5 * dStride);
      a.sub(b).intoArray(d, dAt + 6 * dStride);
      d3.sub(d5).mul(5.25f).add(d7).sub(d1).intoArray(d, dAt + 7 * dStride);
    }

    /** F(4, 5): A^T rows 1 1 1 1 1 1 1 0; 0 1 -1 2 -2 1/2 -1/2 0; 0 1 1 4 4 1/4 1/4 0; 0 1 -1 8 -8 1/8 -1/8 1. */
    private static void at8(float[] s, int at, int[] off, float[] d, int dAt, int dStride) {
      FloatVector m1 = FloatVector.fromArray(S, s, at + off[1]);
      FloatVector m2 = FloatVector.fromArray(S, s, at + off[2]);
      FloatVector m3 = FloatVector.fromArray(S, s, at + off[3]);
      FloatVector m4 = FloatVector.fromArray(S, s, at + off[4]);
      FloatVector m5 = FloatVector.fromArray(S, s, at + off[5]);
      FloatVector m6 = FloatVector.fromArray(S, s, at + off[6]);
      FloatVector s12 = m1.add(m2);
      FloatVector d12 = m1.sub(m2);
      FloatVector s34 = m3.add(m4);
      FloatVector d34 = m3.sub(m4);
      FloatVector s56 = m5.add(m6);
      FloatVector d56 = m5.sub(m6);
      FloatVector.fromArray(S, s, at + off[0]).add(s12).add(s34).add(s56).intoArray(d, dAt);
      d34.mul(2f).add(d12).add(d56.mul(0.5f)).intoArray(d, dAt + dStride);
      s34.mul(4f).add(s12).add(s56.mul(0.25f)).intoArray(d, dAt + 2 * dStride);
      d34.mul(8f).add(d12).add(d56.mul(0.125f)).add(FloatVector.fromArray(S, s, at + off[7]))
          .intoArray(d, dAt + 3 * dStride);
    }
  }
}
