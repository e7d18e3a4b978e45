package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM's register tiles on the Vector API: C[MR x 2L] += A-panel * B-panel over kc, with the accumulators held
 * in vector registers. Each step loads two B vectors, broadcasts MR A values and issues 2 MR independent FMAs.
 * Six rows (twelve accumulators) suit 16-register AVX2; with AVX-512's 32 registers eight rows (sixteen
 * accumulators) fit as well, load less per FMA, and divide the channel counts of CNN layers (16, 32, 64...)
 * without a short edge panel. {@link Gemm#MR} picks one; the methods named ...8 are the eight-row tiles. Only
 * loaded when {@link Simd#AVAILABLE}.
 */
final class GemmVectorKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private GemmVectorKernel() {}

  /** C tile (+)= A panel * B panel; add = false stores without reading C. */
  static void tile(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    for (int p = 0; p < kc; p++, ao += 6, bo += 2 * L) {
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ao + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ao + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ao + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ao + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ao + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    store(c00, c01, c, co, add);
    store(c10, c11, c, co + ldc, add);
    store(c20, c21, c, co + 2 * ldc, add);
    store(c30, c31, c, co + 3 * ldc, add);
    store(c40, c41, c, co + 4 * ldc, add);
    store(c50, c51, c, co + 5 * ldc, add);
  }

  /**
   * The same tile with B read in place: B(p, j) = b[bBase + rowOff[rOff + p] + j], and for the second vector's
   * columns (j &gt;= L) gap floats further (two output rows of a vector each, a layout's extra columns between them;
   * otherwise 0). An implicit-GEMM convolution passes the padded image and one offset per (channel, tap), so B is
   * never copied.
   */
  static void tileRows(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, int gap, float[] c,
      int co, int ldc, boolean add) {
    int second = L + gap;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    for (int p = 0; p < kc; p++, ao += 6) {
      int bo = bBase + rowOff[rOff + p];
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ao + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ao + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ao + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ao + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ao + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    store(c00, c01, c, co, add);
    store(c10, c11, c, co + ldc, add);
    store(c20, c21, c, co + 2 * ldc, add);
    store(c30, c31, c, co + 3 * ldc, add);
    store(c40, c41, c, co + 4 * ldc, add);
    store(c50, c51, c, co + 5 * ldc, add);
  }

  /**
   * The tile with A read in place from six rows: A(r, p) = a[rows[r] + map[mo + p]]. A convolution's weight
   * gradient reads the im2col rows straight from the padded image this way, so A is never packed: rows[r] is tap
   * r's offset, map[mo + p] output p's pixel (mo the k-block's start). B is packed as usual.
   */
  static void tileRowsA(int kc, float[] a, int[] rows, int[] map, int mo, float[] b, int bo, float[] c, int co,
      int ldc, boolean add) {
    int o0 = rows[0];
    int o1 = rows[1];
    int o2 = rows[2];
    int o3 = rows[3];
    int o4 = rows[4];
    int o5 = rows[5];
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    for (int p = 0; p < kc; p++, bo += 2 * L) {
      int m = map[mo + p];
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[o0 + m]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[o1 + m]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[o2 + m]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[o3 + m]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[o4 + m]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[o5 + m]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
    }
    store(c00, c01, c, co, add);
    store(c10, c11, c, co + ldc, add);
    store(c20, c21, c, co + 2 * ldc, add);
    store(c30, c31, c, co + 3 * ldc, add);
    store(c40, c41, c, co + 4 * ldc, add);
    store(c50, c51, c, co + 5 * ldc, add);
  }

  /** {@link #tile} with eight rows. */
  static void tile8(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0; p < kc; p++, ao += 8, bo += 2 * L) {
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ao + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ao + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ao + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ao + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ao + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[ao + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[ao + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    // Written out, not through store(): past C2's node-count cutoff a call taking vectors is not inlined and
    // boxes them (measured: four times slower).
    // Stored in two branches, not added in one and stored after: a merge of vectors from two branches is a
    // phi that C2 may box, and then every multiply-add of the loop above ran through the Java fallback.
    if (add) {
      c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
      c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
      c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
      c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
      c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
      c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
      c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
      c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    } else {
      c00.intoArray(c, co);
      c01.intoArray(c, co + L);
      c10.intoArray(c, co + ldc);
      c11.intoArray(c, co + ldc + L);
      c20.intoArray(c, co + 2 * ldc);
      c21.intoArray(c, co + 2 * ldc + L);
      c30.intoArray(c, co + 3 * ldc);
      c31.intoArray(c, co + 3 * ldc + L);
      c40.intoArray(c, co + 4 * ldc);
      c41.intoArray(c, co + 4 * ldc + L);
      c50.intoArray(c, co + 5 * ldc);
      c51.intoArray(c, co + 5 * ldc + L);
      c60.intoArray(c, co + 6 * ldc);
      c61.intoArray(c, co + 6 * ldc + L);
      c70.intoArray(c, co + 7 * ldc);
      c71.intoArray(c, co + 7 * ldc + L);
    }
  }

  /**
   * {@link #tile8} four depth steps a turn, kc a multiple of four ({@link Gemm} adds the rest on with tile8). Why:
   * C2 spends about a dozen scalar instructions a turn on indices, range checks and the loop itself, which on
   * Intel's cores share ports with the two FMA pipes; four steps share them. On the AVX-512 Xeon, one thread,
   * GFLOP/s, two runs each, JVMs alternating with the one-step tile: SGEMM 512 / 1024 / 2048 163 / 158-162 /
   * 156-158 against 150-154 / 142-147 / 145-146; a 144 x 3136 x 24 pointwise product 143-148 against 119-134.
   * Why no remainder loop here: with one the method outgrows C1 (tier 3 bails out, "out of virtual registers"),
   * and a method that C1 compiled at tier 2 and then fails at tier 3 is never compiled by C2: the tile ran the
   * Vector API's Java fallback for good (a 64 x 3136 x 16 GEMM at 0.5 GFLOP/s after four seconds).
   * {@code FourStepTilesCompileTest} checks that C1 still compiles it.
   */
  static void tile8Deep(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0; p < kc; p += 4) {
      int ai = ao + 8 * p;
      int bi = bo + 2 * L * p;
      {
        FloatVector b0 = FloatVector.fromArray(S, b, bi);
        FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
        FloatVector x = FloatVector.broadcast(S, a[ai]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 1]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 2]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 3]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 4]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 5]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 6]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 7]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        FloatVector b0 = FloatVector.fromArray(S, b, bi + 2 * L);
        FloatVector b1 = FloatVector.fromArray(S, b, bi + 2 * L + L);
        FloatVector x = FloatVector.broadcast(S, a[ai + 8]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 8 + 1]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 8 + 2]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 8 + 3]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 8 + 4]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 8 + 5]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 8 + 6]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 8 + 7]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        FloatVector b0 = FloatVector.fromArray(S, b, bi + 4 * L);
        FloatVector b1 = FloatVector.fromArray(S, b, bi + 4 * L + L);
        FloatVector x = FloatVector.broadcast(S, a[ai + 16]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 16 + 1]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 16 + 2]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 16 + 3]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 16 + 4]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 16 + 5]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 16 + 6]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 16 + 7]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        FloatVector b0 = FloatVector.fromArray(S, b, bi + 6 * L);
        FloatVector b1 = FloatVector.fromArray(S, b, bi + 6 * L + L);
        FloatVector x = FloatVector.broadcast(S, a[ai + 24]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 24 + 1]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 24 + 2]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 24 + 3]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 24 + 4]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 24 + 5]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 24 + 6]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 24 + 7]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
    }
    // Written out, not through store(): past C2's node-count cutoff a call taking vectors is not inlined and
    // boxes them (measured: four times slower).
    // Stored in two branches, not added in one and stored after: a merge of vectors from two branches is a
    // phi that C2 may box, and then every multiply-add of the loop above ran through the Java fallback.
    if (add) {
      c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
      c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
      c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
      c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
      c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
      c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
      c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
      c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    } else {
      c00.intoArray(c, co);
      c01.intoArray(c, co + L);
      c10.intoArray(c, co + ldc);
      c11.intoArray(c, co + ldc + L);
      c20.intoArray(c, co + 2 * ldc);
      c21.intoArray(c, co + 2 * ldc + L);
      c30.intoArray(c, co + 3 * ldc);
      c31.intoArray(c, co + 3 * ldc + L);
      c40.intoArray(c, co + 4 * ldc);
      c41.intoArray(c, co + 4 * ldc + L);
      c50.intoArray(c, co + 5 * ldc);
      c51.intoArray(c, co + 5 * ldc + L);
      c60.intoArray(c, co + 6 * ldc);
      c61.intoArray(c, co + 6 * ldc + L);
      c70.intoArray(c, co + 7 * ldc);
      c71.intoArray(c, co + 7 * ldc + L);
    }
  }

  /** {@link #tileRows} with eight rows. */
  static void tileRows8(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, int gap, float[] c,
      int co, int ldc, boolean add) {
    int second = L + gap;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0; p < kc; p++, ao += 8) {
      int bo = bBase + rowOff[rOff + p];
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
      FloatVector x = FloatVector.broadcast(S, a[ao]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[ao + 1]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[ao + 2]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[ao + 3]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[ao + 4]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[ao + 5]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[ao + 6]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[ao + 7]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    // Written out, not through store(): past C2's node-count cutoff a call taking vectors is not inlined and
    // boxes them (measured: four times slower).
    // Stored in two branches, not added in one and stored after: a merge of vectors from two branches is a
    // phi that C2 may box, and then every multiply-add of the loop above ran through the Java fallback.
    if (add) {
      c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
      c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
      c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
      c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
      c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
      c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
      c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
      c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    } else {
      c00.intoArray(c, co);
      c01.intoArray(c, co + L);
      c10.intoArray(c, co + ldc);
      c11.intoArray(c, co + ldc + L);
      c20.intoArray(c, co + 2 * ldc);
      c21.intoArray(c, co + 2 * ldc + L);
      c30.intoArray(c, co + 3 * ldc);
      c31.intoArray(c, co + 3 * ldc + L);
      c40.intoArray(c, co + 4 * ldc);
      c41.intoArray(c, co + 4 * ldc + L);
      c50.intoArray(c, co + 5 * ldc);
      c51.intoArray(c, co + 5 * ldc + L);
      c60.intoArray(c, co + 6 * ldc);
      c61.intoArray(c, co + 6 * ldc + L);
      c70.intoArray(c, co + 7 * ldc);
      c71.intoArray(c, co + 7 * ldc + L);
    }
  }

  /**
   * {@link #tileRows8} four depth steps a turn ({@link #tile8Deep}: why, and kc a multiple of four). The Winograd
   * convolutions' products go through it: forward of 256 channels at 14x14, batch 8, one thread, 157-181 GFLOP/s
   * against 142 (two runs each, JVMs alternating), 64 channels at 56x56 229-242 against 219-220.
   */
  static void tileRows8Deep(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, int gap,
      float[] c, int co, int ldc, boolean add) {
    int second = L + gap;
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0; p < kc; p += 4) {
      int ai = ao + 8 * p;
      {
        int bo = bBase + rowOff[rOff + p];
        FloatVector b0 = FloatVector.fromArray(S, b, bo);
        FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
        FloatVector x = FloatVector.broadcast(S, a[ai]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 1]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 2]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 3]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 4]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 5]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 6]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 7]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        int bo = bBase + rowOff[rOff + p + 1];
        FloatVector b0 = FloatVector.fromArray(S, b, bo);
        FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
        FloatVector x = FloatVector.broadcast(S, a[ai + 8]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 9]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 10]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 11]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 12]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 13]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 14]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 15]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        int bo = bBase + rowOff[rOff + p + 2];
        FloatVector b0 = FloatVector.fromArray(S, b, bo);
        FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
        FloatVector x = FloatVector.broadcast(S, a[ai + 16]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 17]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 18]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 19]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 20]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 21]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 22]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 23]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
      {
        int bo = bBase + rowOff[rOff + p + 3];
        FloatVector b0 = FloatVector.fromArray(S, b, bo);
        FloatVector b1 = FloatVector.fromArray(S, b, bo + second);
        FloatVector x = FloatVector.broadcast(S, a[ai + 24]);
        c00 = x.fma(b0, c00);
        c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(S, a[ai + 25]);
        c10 = x.fma(b0, c10);
        c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(S, a[ai + 26]);
        c20 = x.fma(b0, c20);
        c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(S, a[ai + 27]);
        c30 = x.fma(b0, c30);
        c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(S, a[ai + 28]);
        c40 = x.fma(b0, c40);
        c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(S, a[ai + 29]);
        c50 = x.fma(b0, c50);
        c51 = x.fma(b1, c51);
        x = FloatVector.broadcast(S, a[ai + 30]);
        c60 = x.fma(b0, c60);
        c61 = x.fma(b1, c61);
        x = FloatVector.broadcast(S, a[ai + 31]);
        c70 = x.fma(b0, c70);
        c71 = x.fma(b1, c71);
      }
    }
    if (add) {
      c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
      c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
      c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
      c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
      c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
      c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
      c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
      c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    } else {
      c00.intoArray(c, co);
      c01.intoArray(c, co + L);
      c10.intoArray(c, co + ldc);
      c11.intoArray(c, co + ldc + L);
      c20.intoArray(c, co + 2 * ldc);
      c21.intoArray(c, co + 2 * ldc + L);
      c30.intoArray(c, co + 3 * ldc);
      c31.intoArray(c, co + 3 * ldc + L);
      c40.intoArray(c, co + 4 * ldc);
      c41.intoArray(c, co + 4 * ldc + L);
      c50.intoArray(c, co + 5 * ldc);
      c51.intoArray(c, co + 5 * ldc + L);
      c60.intoArray(c, co + 6 * ldc);
      c61.intoArray(c, co + 6 * ldc + L);
      c70.intoArray(c, co + 7 * ldc);
      c71.intoArray(c, co + 7 * ldc + L);
    }
  }

  /** {@link #tileRowsA} with eight rows. */
  static void tileRowsA8(int kc, float[] a, int[] rows, int[] map, int mo, float[] b, int bo, float[] c, int co,
      int ldc, boolean add) {
    int o0 = rows[0];
    int o1 = rows[1];
    int o2 = rows[2];
    int o3 = rows[3];
    int o4 = rows[4];
    int o5 = rows[5];
    int o6 = rows[6];
    int o7 = rows[7];
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int p = 0; p < kc; p++, bo += 2 * L) {
      int m = map[mo + p];
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[o0 + m]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[o1 + m]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[o2 + m]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[o3 + m]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[o4 + m]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[o5 + m]);
      c50 = x.fma(b0, c50);
      c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(S, a[o6 + m]);
      c60 = x.fma(b0, c60);
      c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(S, a[o7 + m]);
      c70 = x.fma(b0, c70);
      c71 = x.fma(b1, c71);
    }
    // Written out, not through store(): past C2's node-count cutoff a call taking vectors is not inlined and
    // boxes them (measured: four times slower).
    // Stored in two branches, not added in one and stored after: a merge of vectors from two branches is a
    // phi that C2 may box, and then every multiply-add of the loop above ran through the Java fallback.
    if (add) {
      c00.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c01.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
      c10.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c11.add(FloatVector.fromArray(S, c, co + ldc + L)).intoArray(c, co + ldc + L);
      c20.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c21.add(FloatVector.fromArray(S, c, co + 2 * ldc + L)).intoArray(c, co + 2 * ldc + L);
      c30.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c31.add(FloatVector.fromArray(S, c, co + 3 * ldc + L)).intoArray(c, co + 3 * ldc + L);
      c40.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c41.add(FloatVector.fromArray(S, c, co + 4 * ldc + L)).intoArray(c, co + 4 * ldc + L);
      c50.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c51.add(FloatVector.fromArray(S, c, co + 5 * ldc + L)).intoArray(c, co + 5 * ldc + L);
      c60.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c61.add(FloatVector.fromArray(S, c, co + 6 * ldc + L)).intoArray(c, co + 6 * ldc + L);
      c70.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c71.add(FloatVector.fromArray(S, c, co + 7 * ldc + L)).intoArray(c, co + 7 * ldc + L);
    } else {
      c00.intoArray(c, co);
      c01.intoArray(c, co + L);
      c10.intoArray(c, co + ldc);
      c11.intoArray(c, co + ldc + L);
      c20.intoArray(c, co + 2 * ldc);
      c21.intoArray(c, co + 2 * ldc + L);
      c30.intoArray(c, co + 3 * ldc);
      c31.intoArray(c, co + 3 * ldc + L);
      c40.intoArray(c, co + 4 * ldc);
      c41.intoArray(c, co + 4 * ldc + L);
      c50.intoArray(c, co + 5 * ldc);
      c51.intoArray(c, co + 5 * ldc + L);
      c60.intoArray(c, co + 6 * ldc);
      c61.intoArray(c, co + 6 * ldc + L);
      c70.intoArray(c, co + 7 * ldc);
      c71.intoArray(c, co + 7 * ldc + L);
    }
  }

  /**
   * A narrow tile for products only one vector wide (a weight gradient of a layer with 16 output channels): C[16 x
   * L] += A * B, A read in place from sixteen rows as in {@link #tileRowsA}, B from the first vector of each
   * packed 2L-wide row (the second holds padding). The two-vector tiles would spend half their FMAs on that
   * padding; sixteen accumulators in one column spend none.
   */
  static void tileRowsANarrow(int kc, float[] a, int[] rows, int[] map, int mo, float[] b, int bo, float[] c, int co,
      int ldc, boolean add) {
    int o0 = rows[0];
    int o1 = rows[1];
    int o2 = rows[2];
    int o3 = rows[3];
    int o4 = rows[4];
    int o5 = rows[5];
    int o6 = rows[6];
    int o7 = rows[7];
    int o8 = rows[8];
    int o9 = rows[9];
    int o10 = rows[10];
    int o11 = rows[11];
    int o12 = rows[12];
    int o13 = rows[13];
    int o14 = rows[14];
    int o15 = rows[15];
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    FloatVector c4 = c0;
    FloatVector c5 = c0;
    FloatVector c6 = c0;
    FloatVector c7 = c0;
    FloatVector c8 = c0;
    FloatVector c9 = c0;
    FloatVector c10 = c0;
    FloatVector c11 = c0;
    FloatVector c12 = c0;
    FloatVector c13 = c0;
    FloatVector c14 = c0;
    FloatVector c15 = c0;
    for (int p = 0; p < kc; p++, bo += 2 * L) {
      int m = map[mo + p];
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      c0 = FloatVector.broadcast(S, a[o0 + m]).fma(b0, c0);
      c1 = FloatVector.broadcast(S, a[o1 + m]).fma(b0, c1);
      c2 = FloatVector.broadcast(S, a[o2 + m]).fma(b0, c2);
      c3 = FloatVector.broadcast(S, a[o3 + m]).fma(b0, c3);
      c4 = FloatVector.broadcast(S, a[o4 + m]).fma(b0, c4);
      c5 = FloatVector.broadcast(S, a[o5 + m]).fma(b0, c5);
      c6 = FloatVector.broadcast(S, a[o6 + m]).fma(b0, c6);
      c7 = FloatVector.broadcast(S, a[o7 + m]).fma(b0, c7);
      c8 = FloatVector.broadcast(S, a[o8 + m]).fma(b0, c8);
      c9 = FloatVector.broadcast(S, a[o9 + m]).fma(b0, c9);
      c10 = FloatVector.broadcast(S, a[o10 + m]).fma(b0, c10);
      c11 = FloatVector.broadcast(S, a[o11 + m]).fma(b0, c11);
      c12 = FloatVector.broadcast(S, a[o12 + m]).fma(b0, c12);
      c13 = FloatVector.broadcast(S, a[o13 + m]).fma(b0, c13);
      c14 = FloatVector.broadcast(S, a[o14 + m]).fma(b0, c14);
      c15 = FloatVector.broadcast(S, a[o15 + m]).fma(b0, c15);
    }
    // Stored in two branches, not added in one and stored after: a merge of vectors from two branches is a
    // phi that C2 may box, and then every multiply-add of the loop above ran through the Java fallback.
    if (add) {
      c0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      c1.add(FloatVector.fromArray(S, c, co + ldc)).intoArray(c, co + ldc);
      c2.add(FloatVector.fromArray(S, c, co + 2 * ldc)).intoArray(c, co + 2 * ldc);
      c3.add(FloatVector.fromArray(S, c, co + 3 * ldc)).intoArray(c, co + 3 * ldc);
      c4.add(FloatVector.fromArray(S, c, co + 4 * ldc)).intoArray(c, co + 4 * ldc);
      c5.add(FloatVector.fromArray(S, c, co + 5 * ldc)).intoArray(c, co + 5 * ldc);
      c6.add(FloatVector.fromArray(S, c, co + 6 * ldc)).intoArray(c, co + 6 * ldc);
      c7.add(FloatVector.fromArray(S, c, co + 7 * ldc)).intoArray(c, co + 7 * ldc);
      c8.add(FloatVector.fromArray(S, c, co + 8 * ldc)).intoArray(c, co + 8 * ldc);
      c9.add(FloatVector.fromArray(S, c, co + 9 * ldc)).intoArray(c, co + 9 * ldc);
      c10.add(FloatVector.fromArray(S, c, co + 10 * ldc)).intoArray(c, co + 10 * ldc);
      c11.add(FloatVector.fromArray(S, c, co + 11 * ldc)).intoArray(c, co + 11 * ldc);
      c12.add(FloatVector.fromArray(S, c, co + 12 * ldc)).intoArray(c, co + 12 * ldc);
      c13.add(FloatVector.fromArray(S, c, co + 13 * ldc)).intoArray(c, co + 13 * ldc);
      c14.add(FloatVector.fromArray(S, c, co + 14 * ldc)).intoArray(c, co + 14 * ldc);
      c15.add(FloatVector.fromArray(S, c, co + 15 * ldc)).intoArray(c, co + 15 * ldc);
    } else {
      c0.intoArray(c, co);
      c1.intoArray(c, co + ldc);
      c2.intoArray(c, co + 2 * ldc);
      c3.intoArray(c, co + 3 * ldc);
      c4.intoArray(c, co + 4 * ldc);
      c5.intoArray(c, co + 5 * ldc);
      c6.intoArray(c, co + 6 * ldc);
      c7.intoArray(c, co + 7 * ldc);
      c8.intoArray(c, co + 8 * ldc);
      c9.intoArray(c, co + 9 * ldc);
      c10.intoArray(c, co + 10 * ldc);
      c11.intoArray(c, co + 11 * ldc);
      c12.intoArray(c, co + 12 * ldc);
      c13.intoArray(c, co + 13 * ldc);
      c14.intoArray(c, co + 14 * ldc);
      c15.intoArray(c, co + 15 * ldc);
    }
  }

  /**
   * {@link GemmNT}'s 4 x 4 tile: the sixteen dot products of A rows a0..a3 with B rows b0..b3 over p in [p0, p1),
   * added lane-wise to the accumulator vectors at acc[o + (4 r + s) L]. A tail shorter than a vector goes into lane
   * 0. The accumulators stay in registers for the whole sweep and are written out inline (see tile8).
   *
   * <p>The sweep takes two vectors of p a turn (then one, if the count is odd). Why: C2 keeps the eight row bases
   * on the stack and re-adds each to p every turn, seventeen scalar instructions beside eight loads and sixteen
   * FMAs; two vectors a turn share them. One Xeon thread (AVX-512), rows in L1 / L2: 161.6 / 127.4 GFLOP/s against
   * 144.1 / 113.4 over 1024 floats; in the weight gradients 1.07-1.18x on 1x1 256 -> 64 and 24 -> 144 56x56 b8, the
   * Winograd 64 -> 64 56x56 1.07-1.12x, the rest level (alternating JVMs).
   */
  static void dotTile(int p0, int p1, float[] a, int a0, int a1, int a2, int a3, float[] b, int b0, int b1, int b2,
      int b3, float[] acc, int o) {
    FloatVector c00 = FloatVector.fromArray(S, acc, o);
    FloatVector c01 = FloatVector.fromArray(S, acc, o + 1 * L);
    FloatVector c02 = FloatVector.fromArray(S, acc, o + 2 * L);
    FloatVector c03 = FloatVector.fromArray(S, acc, o + 3 * L);
    FloatVector c10 = FloatVector.fromArray(S, acc, o + 4 * L);
    FloatVector c11 = FloatVector.fromArray(S, acc, o + 5 * L);
    FloatVector c12 = FloatVector.fromArray(S, acc, o + 6 * L);
    FloatVector c13 = FloatVector.fromArray(S, acc, o + 7 * L);
    FloatVector c20 = FloatVector.fromArray(S, acc, o + 8 * L);
    FloatVector c21 = FloatVector.fromArray(S, acc, o + 9 * L);
    FloatVector c22 = FloatVector.fromArray(S, acc, o + 10 * L);
    FloatVector c23 = FloatVector.fromArray(S, acc, o + 11 * L);
    FloatVector c30 = FloatVector.fromArray(S, acc, o + 12 * L);
    FloatVector c31 = FloatVector.fromArray(S, acc, o + 13 * L);
    FloatVector c32 = FloatVector.fromArray(S, acc, o + 14 * L);
    FloatVector c33 = FloatVector.fromArray(S, acc, o + 15 * L);
    int p = p0;
    for (; p <= p1 - 2 * L; p += 2 * L) {
      FloatVector y0 = FloatVector.fromArray(S, b, b0 + p);
      FloatVector y1 = FloatVector.fromArray(S, b, b1 + p);
      FloatVector y2 = FloatVector.fromArray(S, b, b2 + p);
      FloatVector y3 = FloatVector.fromArray(S, b, b3 + p);
      FloatVector x = FloatVector.fromArray(S, a, a0 + p);
      c00 = x.fma(y0, c00);
      c01 = x.fma(y1, c01);
      c02 = x.fma(y2, c02);
      c03 = x.fma(y3, c03);
      x = FloatVector.fromArray(S, a, a1 + p);
      c10 = x.fma(y0, c10);
      c11 = x.fma(y1, c11);
      c12 = x.fma(y2, c12);
      c13 = x.fma(y3, c13);
      x = FloatVector.fromArray(S, a, a2 + p);
      c20 = x.fma(y0, c20);
      c21 = x.fma(y1, c21);
      c22 = x.fma(y2, c22);
      c23 = x.fma(y3, c23);
      x = FloatVector.fromArray(S, a, a3 + p);
      c30 = x.fma(y0, c30);
      c31 = x.fma(y1, c31);
      c32 = x.fma(y2, c32);
      c33 = x.fma(y3, c33);
      y0 = FloatVector.fromArray(S, b, b0 + p + L);
      y1 = FloatVector.fromArray(S, b, b1 + p + L);
      y2 = FloatVector.fromArray(S, b, b2 + p + L);
      y3 = FloatVector.fromArray(S, b, b3 + p + L);
      x = FloatVector.fromArray(S, a, a0 + p + L);
      c00 = x.fma(y0, c00);
      c01 = x.fma(y1, c01);
      c02 = x.fma(y2, c02);
      c03 = x.fma(y3, c03);
      x = FloatVector.fromArray(S, a, a1 + p + L);
      c10 = x.fma(y0, c10);
      c11 = x.fma(y1, c11);
      c12 = x.fma(y2, c12);
      c13 = x.fma(y3, c13);
      x = FloatVector.fromArray(S, a, a2 + p + L);
      c20 = x.fma(y0, c20);
      c21 = x.fma(y1, c21);
      c22 = x.fma(y2, c22);
      c23 = x.fma(y3, c23);
      x = FloatVector.fromArray(S, a, a3 + p + L);
      c30 = x.fma(y0, c30);
      c31 = x.fma(y1, c31);
      c32 = x.fma(y2, c32);
      c33 = x.fma(y3, c33);
    }
    if (p <= p1 - L) {
      FloatVector y0 = FloatVector.fromArray(S, b, b0 + p);
      FloatVector y1 = FloatVector.fromArray(S, b, b1 + p);
      FloatVector y2 = FloatVector.fromArray(S, b, b2 + p);
      FloatVector y3 = FloatVector.fromArray(S, b, b3 + p);
      FloatVector x = FloatVector.fromArray(S, a, a0 + p);
      c00 = x.fma(y0, c00);
      c01 = x.fma(y1, c01);
      c02 = x.fma(y2, c02);
      c03 = x.fma(y3, c03);
      x = FloatVector.fromArray(S, a, a1 + p);
      c10 = x.fma(y0, c10);
      c11 = x.fma(y1, c11);
      c12 = x.fma(y2, c12);
      c13 = x.fma(y3, c13);
      x = FloatVector.fromArray(S, a, a2 + p);
      c20 = x.fma(y0, c20);
      c21 = x.fma(y1, c21);
      c22 = x.fma(y2, c22);
      c23 = x.fma(y3, c23);
      x = FloatVector.fromArray(S, a, a3 + p);
      c30 = x.fma(y0, c30);
      c31 = x.fma(y1, c31);
      c32 = x.fma(y2, c32);
      c33 = x.fma(y3, c33);
      p += L;
    }
    c00.intoArray(acc, o);
    c01.intoArray(acc, o + 1 * L);
    c02.intoArray(acc, o + 2 * L);
    c03.intoArray(acc, o + 3 * L);
    c10.intoArray(acc, o + 4 * L);
    c11.intoArray(acc, o + 5 * L);
    c12.intoArray(acc, o + 6 * L);
    c13.intoArray(acc, o + 7 * L);
    c20.intoArray(acc, o + 8 * L);
    c21.intoArray(acc, o + 9 * L);
    c22.intoArray(acc, o + 10 * L);
    c23.intoArray(acc, o + 11 * L);
    c30.intoArray(acc, o + 12 * L);
    c31.intoArray(acc, o + 13 * L);
    c32.intoArray(acc, o + 14 * L);
    c33.intoArray(acc, o + 15 * L);
    for (; p < p1; p++) {
      float x0 = a[a0 + p];
      float x1 = a[a1 + p];
      float x2 = a[a2 + p];
      float x3 = a[a3 + p];
      float y0 = b[b0 + p];
      float y1 = b[b1 + p];
      float y2 = b[b2 + p];
      float y3 = b[b3 + p];
      acc[o] += x0 * y0;
      acc[o + 1 * L] += x0 * y1;
      acc[o + 2 * L] += x0 * y2;
      acc[o + 3 * L] += x0 * y3;
      acc[o + 4 * L] += x1 * y0;
      acc[o + 5 * L] += x1 * y1;
      acc[o + 6 * L] += x1 * y2;
      acc[o + 7 * L] += x1 * y3;
      acc[o + 8 * L] += x2 * y0;
      acc[o + 9 * L] += x2 * y1;
      acc[o + 10 * L] += x2 * y2;
      acc[o + 11 * L] += x2 * y3;
      acc[o + 12 * L] += x3 * y0;
      acc[o + 13 * L] += x3 * y1;
      acc[o + 14 * L] += x3 * y2;
      acc[o + 15 * L] += x3 * y3;
    }
  }

  /** dst[d + p * 2L, + 2L) = b[src + p * ldb, + 2L) for p in [0, kc): packing one B panel. */
  static void copyRows(int kc, float[] b, int src, int ldb, float[] dst, int d) {
    for (int p = 0; p < kc; p++, src += ldb, d += 2 * L) {
      FloatVector.fromArray(S, b, src).intoArray(dst, d);
      FloatVector.fromArray(S, b, src + L).intoArray(dst, d + L);
    }
  }

  /** dst[d + q * stride, + 2L) = b[src + q * 2L, + 2L) for q in [0, panels): one row of B into its panels. */
  static void copyPanels(int panels, float[] b, int src, float[] dst, int d, int stride) {
    for (int q = 0; q < panels; q++, src += 2 * L, d += stride) {
      FloatVector.fromArray(S, b, src).intoArray(dst, d);
      FloatVector.fromArray(S, b, src + L).intoArray(dst, d + L);
    }
  }

  /** {@link #copyPanels} with every float times scale. */
  static void scalePanels(int panels, float[] b, int src, float scale, float[] dst, int d, int stride) {
    for (int q = 0; q < panels; q++, src += 2 * L, d += stride) {
      FloatVector.fromArray(S, b, src).mul(scale).intoArray(dst, d);
      FloatVector.fromArray(S, b, src + L).mul(scale).intoArray(dst, d + L);
    }
  }

  /**
   * dst[to, to + n) = src[from, from + n) times scale for n of a vector or more, by whole vectors, the last one
   * ending at n (over the one before: src and dst must not overlap); returns n.
   */
  static int scaleShort(float[] src, int from, float scale, float[] dst, int to, int n) {
    for (int j = 0; ; j += L) {
      int j0 = Math.min(j, n - L);
      FloatVector.fromArray(S, src, from + j0).mul(scale).intoArray(dst, to + j0);
      if (j0 == n - L) {
        return n;
      }
    }
  }

  /**
   * dst[to, to + n) = src[from, from + n) for n of a vector or more: whole vectors, the last one ending at n
   * (overlapping the one before it). For short runs, where an arraycopy call or a scalar loop costs more.
   */
  static void copyShort(float[] src, int from, float[] dst, int to, int n) {
    for (int j = 0; ; j += L) {
      int j0 = Math.min(j, n - L);
      FloatVector.fromArray(S, src, from + j0).intoArray(dst, to + j0);
      if (j0 == n - L) {
        return;
      }
    }
  }

  /** The first rows of an MR x NR scratch tile into C (add: added to it). */
  static void storeRows(float[] tile, int rows, float[] c, int co, int ldc, boolean add) {
    for (int r = 0; r < rows; r++) {
      store(FloatVector.fromArray(S, tile, r * 2 * L), FloatVector.fromArray(S, tile, r * 2 * L + L), c, co + r * ldc,
          add);
    }
  }

  private static void store(FloatVector v0, FloatVector v1, float[] c, int co, boolean add) {
    // Stored in each branch, as the eight-row tiles do: no merge of vectors from two branches.
    if (add) {
      v0.add(FloatVector.fromArray(S, c, co)).intoArray(c, co);
      v1.add(FloatVector.fromArray(S, c, co + L)).intoArray(c, co + L);
    } else {
      v0.intoArray(c, co);
      v1.intoArray(c, co + L);
    }
  }
}
