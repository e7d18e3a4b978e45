package sparkcnn.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
 * Convolutional Neural Networks", 2016): each 2x2 block of outputs comes from a 4x4 tile of input, transformed,
 * as 16 products per (input, output) channel pair instead of 36. Those products are 16 GEMMs, one per position
 * e of the transformed tile: M_e (K x tiles) = U_e (K x C) * V_e (C x tiles), with U = G g G^T the transformed
 * weights, V = B^T d B the transformed input tiles, and the outputs Y = A^T M A. The GEMMs do 2.25 times fewer
 * multiply-adds than the convolution; the transforms are additions only, a vector of 16 tiles at a time.
 *
 * <p>Blocked so the transformed tiles stay in L2: a block is a run of tile rows (across images when the images
 * are small), its V and M sized to half of L2; blocks run in parallel. Input tiles are read from a frame of the
 * channel's rows split into their four (row, column) parity phases ({@link FramedPlanes#padStride2}), so the
 * sixteen values of the tiles of a run sit at sixteen fixed offsets from consecutive positions: whole-vector loads
 * over 16 tiles, no gathers, even when a plane row holds fewer tiles than a vector (see {@link #inputTiles}).
 * Outputs come back as even and odd columns merged into rows ({@link FramedPlanes#mergeRow}).
 *
 * <p>Backward-data of a stride-1 3x3 convolution is the convolution of dy with the flipped, transposed weights
 * ({@link ImplicitConv#flippedGeometry}), so it runs here too. Weight gradients do not.
 * The results differ from the direct convolution's in the last bits (the transforms reorder the sums).
 */
final class WinogradConv {
  private WinogradConv() {}

  /** 3x3, stride 1, undilated, one group, padding of at most 2 (so backward-data's flipped padding exists). */
  static boolean supports(ConvGeom g) {
    return g.r() == 3 && g.s() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1
        && g.dilationW() == 1 && g.groups() == 1 && g.padTop() <= 2 && g.padLeft() <= 2 && g.padBottom() <= 2
        && g.padRight() <= 2;
  }

  /** y = conv(x, w), no bias, y overwritten; needs {@link #supports}. */
  static void forward(float[] x, int xOff, float[] w, int wOff, float[] y, int yOff, ConvGeom g) {
    int sizeA = Gemm.packedSizeA(g.k(), g.c());
    float[] u = Scratch.floats(Scratch.PACKED_W, 16 * sizeA);
    transformWeights(w, wOff, g.k(), g.c(), u, sizeA);
    Tiling t = Tiling.of(g);
    int blocks = (t.rows + t.rowsPerBlock - 1) / t.rowsPerBlock;
    Parallel.forRange(blocks, (lo, hi, chunk) -> {
      for (int b = lo; b < hi; b++) {
        int row0 = b * t.rowsPerBlock;
        block(x, xOff, u, sizeA, y, yOff, g, t, row0, Math.min(t.rows, row0 + t.rowsPerBlock));
      }
    });
  }

  /** dx = the adjoint of forward applied to dy, dx overwritten: forward on dy with the flipped weights. */
  static void backwardInput(float[] dy, int dyOff, float[] w, int wOff, float[] dx, int dxOff, ConvGeom g) {
    forward(dy, dyOff, ImplicitConv.flippedWeights(w, wOff, g), 0, dx, dxOff, ImplicitConv.flippedGeometry(g));
  }

  /**
   * How the output's tiles are cut into blocks. Tile rows are numbered across the batch (image i's row ty is
   * i * tilesH + ty); a block is rowsPerBlock consecutive ones. Within a block, tile (row j, column tx) is column
   * j * width + tx of the GEMMs, width = tilesW + 1: each tile row carries one tile past its end, computed and
   * dropped, so that the tiles of consecutive rows sit at consecutive offsets of the frame too (see
   * {@link #inputTiles}) and narrow planes still fill whole vectors. Transformed tiles are stored with stride ld
   * per (e, channel): a multiple of GEMM's panel width, plus a vector of slack for whole-vector stores.
   */
  private record Tiling(int tilesH, int width, int rows, int rowsPerBlock, int ld) {
    static Tiling of(ConvGeom g) {
      int tilesH = (g.p() + 1) / 2;
      int width = (g.q() + 1) / 2 + 1;
      int rows = g.n() * tilesH;
      // V (16 C floats a tile) and M (16 K) in half of L2, and at least two GEMM panels of tiles.
      long fit = CacheSizes.l2() / (2L * 16 * 4 * (g.c() + g.k()));
      int tiles = (int) Math.max(2 * Gemm.NR, Math.min(fit, 1 << 14));
      int perBlock = Math.max(1, tiles / width);
      // Whole images, or an image in equal parts: each run of tile rows frames two rows more than it tiles.
      perBlock = perBlock >= tilesH ? perBlock / tilesH * tilesH : (tilesH + (tilesH + perBlock - 1) / perBlock - 1)
          / ((tilesH + perBlock - 1) / perBlock);
      // Every thread gets a block.
      perBlock = Math.min(perBlock, (rows + Parallel.threads() - 1) / Parallel.threads());
      int ld = (perBlock * width + Gemm.NR - 1) / Gemm.NR * Gemm.NR + Simd.LANES;
      return new Tiling(tilesH, width, rows, perBlock, ld);
    }
  }

  /**
   * U_e = (G g G^T)_e for every (k, c), written straight into GEMM's packed A layout: 16 matrices K x C, e's at
   * u[e * sizeA], panel of rows k / MR holding (c, k % MR) at c * MR + k % MR; rows past K zero.
   * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
   */
  static void transformWeights(float[] w, int wOff, int k, int c, float[] u, int sizeA) {
    Arrays.fill(u, 0, 16 * sizeA, 0f);
    float[] gg = new float[12];
    for (int kk = 0; kk < k; kk++) {
      for (int cc = 0; cc < c; cc++) {
        int src = wOff + (kk * c + cc) * 9;
        for (int j = 0; j < 3; j++) {
          float g0 = w[src + j];
          float g1 = w[src + 3 + j];
          float g2 = w[src + 6 + j];
          gg[j] = g0;
          gg[3 + j] = 0.5f * (g0 + g1 + g2);
          gg[6 + j] = 0.5f * (g0 - g1 + g2);
          gg[9 + j] = g2;
        }
        int at = kk / Gemm.MR * Gemm.MR * c + cc * Gemm.MR + kk % Gemm.MR;
        for (int i = 0; i < 4; i++) {
          float a0 = gg[3 * i];
          float a1 = gg[3 * i + 1];
          float a2 = gg[3 * i + 2];
          u[(4 * i) * sizeA + at] = a0;
          u[(4 * i + 1) * sizeA + at] = 0.5f * (a0 + a1 + a2);
          u[(4 * i + 2) * sizeA + at] = 0.5f * (a0 - a1 + a2);
          u[(4 * i + 3) * sizeA + at] = a2;
        }
      }
    }
  }

  /** Tile rows [row0, row1) of the batch: transform in, 16 GEMMs, transform out. */
  private static void block(float[] x, int xOff, float[] u, int sizeA, float[] y, int yOff, ConvGeom g, Tiling t,
      int row0, int row1) {
    int c = g.c();
    int k = g.k();
    int ld = t.ld;
    float[] v = Scratch.floats(Scratch.TRANSFORMED_IN, 16 * c * ld + Gemm.NR);
    float[] m = Scratch.floats(Scratch.TRANSFORMED_OUT, 16 * k * ld + 4 * ld);
    int[] rowOff = Scratch.ints(c);
    for (int cc = 0; cc < c; cc++) {
      rowOff[cc] = cc * ld;
    }
    // Runs of tile rows of one image: [r, r + run) of image r / tilesH.
    for (int r = row0; r < row1; ) {
      int ty0 = r % t.tilesH;
      int run = Math.min(row1 - r, t.tilesH - ty0);
      inputTiles(x, xOff, r / t.tilesH, ty0, run, (r - row0) * t.width, g, t, v);
      r += run;
    }
    // Whole panels of GEMM columns: the columns past the last tile (V's slack, never read back) cost less than
    // an edge panel does.
    int tiles = ((row1 - row0) * t.width + Gemm.NR - 1) / Gemm.NR * Gemm.NR;
    for (int e = 0; e < 16; e++) {
      Gemm.gemmRowOffsets(k, tiles, c, u, e * sizeA, v, e * c * ld, rowOff, m, e * k * ld, ld);
    }
    // The output rows of a run, row 0's even and odd columns then row 1's, each a run of ld floats.
    int buf = 16 * k * ld;
    int p = g.p();
    int q = g.q();
    for (int r = row0; r < row1; ) {
      int ty0 = r % t.tilesH;
      int run = Math.min(row1 - r, t.tilesH - ty0);
      int i = r / t.tilesH;
      for (int kk = 0; kk < k; kk++) {
        outputTiles(m, kk * ld + (r - row0) * t.width, k * ld, run * t.width, m, buf, ld);
        for (int j = 0; j < run; j++) {
          int ty = ty0 + j;
          int yRow = yOff + ((i * k + kk) * p + 2 * ty) * q;
          int at = buf + j * t.width;
          FramedPlanes.mergeRow(m, at, at + ld, 0, q, y, yRow);
          if (2 * ty + 1 < p) {
            FramedPlanes.mergeRow(m, at + 2 * ld, at + 3 * ld, 0, q, y, yRow + q);
          }
        }
      }
      r += run;
    }
  }

  /**
   * V_e for tile rows [ty0, ty0 + run) of image i, every channel, into v[e * C * ld + c * ld + vOff + ...]. Each
   * channel's rows 2 ty0 - padTop ... are framed and split into their four phases of (row, column) parity
   * ({@link FramedPlanes#padStride2}), phase rows width = tilesW + 1 long. Tile (j, tx) reads row 2j + r of the
   * frame, which is row j + r / 2 of row phase r % 2, at columns tx and tx + 1 of both column phases: at offset
   * j * width + tx plus a constant per (r, column), so a run's tiles are consecutive offsets, j and tx together.
   */
  private static void inputTiles(float[] x, int xOff, int i, int ty0, int run, int vOff, ConvGeom g, Tiling t,
      float[] v) {
    int frameRows = run + 1;
    int phase = frameRows * t.width;
    float[] frame = Scratch.floats(Scratch.PADDED, 4 * phase + 2 * Simd.LANES);
    int ih0 = 2 * ty0 - g.padTop();
    int top = Math.max(0, -ih0);
    int first = Math.max(0, ih0);
    int rows = Math.max(0, Math.min(g.h() - first, 2 * frameRows - top));
    int eStride = g.c() * t.ld;
    for (int c = 0; c < g.c(); c++) {
      int plane = xOff + (i * g.c() + c) * g.h() * g.w();
      FramedPlanes.padStride2(x, plane + first * g.w(), rows, g.w(), top, g.padLeft(), 2, frameRows, t.width,
          frame, 0);
      if (Simd.AVAILABLE) {
        Vec.inputTiles(frame, phase, t.width, run * t.width, v, c * t.ld + vOff, eStride);
      } else {
        inputTilesScalar(frame, phase, t.width, run * t.width, v, c * t.ld + vOff, eStride);
      }
    }
  }

  /** Where row r of the tiles starts in the frame: row r / 2 of row phase r % 2, even columns. */
  private static int rowBase(int r, int phase, int width) {
    return (r & 1) * 2 * phase + (r >> 1) * width;
  }

  /**
   * B^T d B for tiles t in [0, n) of the frame f (phases phase floats apart, rows width apart; see
   * {@link #inputTiles}), tile t's columns being even t, odd t, even t + 1, odd t + 1 of rows rowBase(r) + t;
   * element e of tile t to v[e * eStride + vOff + t]. B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
   */
  static void inputTilesScalar(float[] f, int phase, int width, int n, float[] v, int vOff, int eStride) {
    float[] d = new float[16];
    for (int t = 0; t < n; t++) {
      for (int r = 0; r < 4; r++) {
        int at = rowBase(r, phase, width) + t;
        d[4 * r] = f[at];
        d[4 * r + 1] = f[phase + at];
        d[4 * r + 2] = f[at + 1];
        d[4 * r + 3] = f[phase + at + 1];
      }
      for (int col = 0; col < 4; col++) {
        float c0 = d[col];
        float c1 = d[4 + col];
        float c2 = d[8 + col];
        float c3 = d[12 + col];
        d[col] = c0 - c2;
        d[4 + col] = c1 + c2;
        d[8 + col] = c2 - c1;
        d[12 + col] = c1 - c3;
      }
      for (int row = 0; row < 4; row++) {
        float c0 = d[4 * row];
        float c1 = d[4 * row + 1];
        float c2 = d[4 * row + 2];
        float c3 = d[4 * row + 3];
        int e = vOff + t + 4 * row * eStride;
        v[e] = c0 - c2;
        v[e + eStride] = c1 + c2;
        v[e + 2 * eStride] = c2 - c1;
        v[e + 3 * eStride] = c1 - c3;
      }
    }
  }

  /**
   * A^T m A for tiles t in [0, n), element e of tile t at m[e * eStride + mOff + t]: output row 0's even and odd
   * columns to buf[out + t] and buf[out + stride + t], row 1's to out + 2 stride and out + 3 stride.
   * A^T = [1 1 1 0; 0 1 -1 -1].
   */
  private static void outputTiles(float[] m, int mOff, int eStride, int n, float[] buf, int out, int stride) {
    if (Simd.AVAILABLE) {
      Vec.outputTiles(m, mOff, eStride, n, buf, out, stride);
      return;
    }
    float[] s = new float[8];
    for (int t = 0; t < n; t++) {
      for (int col = 0; col < 4; col++) {
        int at = mOff + t + col * eStride;
        float m0 = m[at];
        float m1 = m[at + 4 * eStride];
        float m2 = m[at + 8 * eStride];
        float m3 = m[at + 12 * eStride];
        s[col] = m0 + m1 + m2;
        s[4 + col] = m1 - m2 - m3;
      }
      for (int row = 0; row < 2; row++) {
        buf[out + 2 * row * stride + t] = s[4 * row] + s[4 * row + 1] + s[4 * row + 2];
        buf[out + (2 * row + 1) * stride + t] = s[4 * row + 1] - s[4 * row + 2] - s[4 * row + 3];
      }
    }
  }

  /** The transforms a vector of tiles at a time; loaded only when the Vector API is present. */
  private static final class Vec {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * {@link #inputTilesScalar} in whole vectors: the last one reads and writes up to a vector past n (the frame
     * and v have that slack; what lands there is overwritten later or never read).
     */
    static void inputTiles(float[] f, int phase, int width, int n, float[] v, int vOff, int eStride) {
      int r0 = rowBase(0, phase, width);
      int r1 = rowBase(1, phase, width);
      int r2 = rowBase(2, phase, width);
      int r3 = rowBase(3, phase, width);
      for (int t = 0; t < n; t += S.length()) {
        // Row j of B^T d is d's rows 0 - 2, 1 + 2, 2 - 1, 1 - 3.
        int out = vOff + t;
        row(f, r0 + t, r2 + t, false, phase, v, out, eStride);
        row(f, r1 + t, r2 + t, true, phase, v, out + 4 * eStride, eStride);
        row(f, r2 + t, r1 + t, false, phase, v, out + 8 * eStride, eStride);
        row(f, r1 + t, r3 + t, false, phase, v, out + 12 * eStride, eStride);
      }
    }

    /**
     * One row of B^T d B: the frame rows at p and q combined (p + q, or p - q) in each of the tile's four columns
     * (even, odd, even + 1, odd + 1), then B^T along the row; four elements of V, eStride apart. A method of
     * offsets, not of vectors: a call C2 declines to inline would box vector arguments.
     */
    private static void row(float[] f, int p, int q, boolean plus, int phase, float[] v, int at, int eStride) {
      FloatVector c0 = combine(f, p, q, plus);
      FloatVector c1 = combine(f, p + phase, q + phase, plus);
      FloatVector c2 = combine(f, p + 1, q + 1, plus);
      FloatVector c3 = combine(f, p + phase + 1, q + phase + 1, plus);
      c0.sub(c2).intoArray(v, at);
      c1.add(c2).intoArray(v, at + eStride);
      c2.sub(c1).intoArray(v, at + 2 * eStride);
      c1.sub(c3).intoArray(v, at + 3 * eStride);
    }

    private static FloatVector combine(float[] f, int p, int q, boolean plus) {
      FloatVector a = FloatVector.fromArray(S, f, p);
      FloatVector b = FloatVector.fromArray(S, f, q);
      return plus ? a.add(b) : a.sub(b);
    }

    /** {@link #outputTiles} in whole vectors (m and buf have a vector of slack past n). */
    static void outputTiles(float[] m, int mOff, int eStride, int n, float[] buf, int out, int stride) {
      for (int tx = 0; tx < n; tx += S.length()) {
        int at = mOff + tx;
        // A^T m: down each column l, s0l = m0l + m1l + m2l (to output row 0) and s1l = m1l - m2l - m3l (row 1).
        outputRow(m, at, eStride, true, buf, out + tx, stride);
        outputRow(m, at, eStride, false, buf, out + 2 * stride + tx, stride);
      }
    }

    /** Output row 0 (top) or 1 of n tiles: A^T along (s0, s1, s2, s3), even columns to out, odd to out + stride. */
    private static void outputRow(float[] m, int at, int eStride, boolean top, float[] buf, int out, int stride) {
      int e4 = 4 * eStride;
      FloatVector s0 = top ? sum3(m, at, e4) : diff3(m, at, e4);
      FloatVector s1 = top ? sum3(m, at + eStride, e4) : diff3(m, at + eStride, e4);
      FloatVector s2 = top ? sum3(m, at + 2 * eStride, e4) : diff3(m, at + 2 * eStride, e4);
      FloatVector s3 = top ? sum3(m, at + 3 * eStride, e4) : diff3(m, at + 3 * eStride, e4);
      s0.add(s1).add(s2).intoArray(buf, out);
      s1.sub(s2).sub(s3).intoArray(buf, out + stride);
    }

    /** m[at] + m[at + step] + m[at + 2 step]. */
    private static FloatVector sum3(float[] m, int at, int step) {
      return FloatVector.fromArray(S, m, at).add(FloatVector.fromArray(S, m, at + step))
          .add(FloatVector.fromArray(S, m, at + 2 * step));
    }

    /** m[at + step] - m[at + 2 step] - m[at + 3 step]. */
    private static FloatVector diff3(float[] m, int at, int step) {
      return FloatVector.fromArray(S, m, at + step).sub(FloatVector.fromArray(S, m, at + 2 * step))
          .sub(FloatVector.fromArray(S, m, at + 3 * step));
    }
  }
}
