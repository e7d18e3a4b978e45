package sparkcnn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM's register tile on the Vector API: C[6 x 2L] += A-panel * B-panel over kc, with twelve
 * accumulators held in vector registers. Each step loads two B vectors, broadcasts six A values and
 * issues twelve independent FMAs, enough to keep both FMA pipes busy. Only loaded when
 * {@link Simd#AVAILABLE}.
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
   * The same tile with B read in place: B(p, j) = b[bBase + rowOff[rOff + p] + j]. An implicit-GEMM convolution
   * passes the padded image and one offset per (channel, tap), so B is never copied.
   */
  static void tileRows(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, float[] c, int co,
      int ldc, boolean add) {
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
   * The tile with A read in place from six rows: A(r, p) = a[o_r + p]. A convolution's weight gradient reads the
   * im2col rows straight from the padded image this way, so A is never packed. B is packed as usual.
   */
  static void tileRowsA(int kc, float[] a, int o0, int o1, int o2, int o3, int o4, int o5, float[] b, int bo,
      float[] c, int co, int ldc, boolean add) {
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
      FloatVector b0 = FloatVector.fromArray(S, b, bo);
      FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
      FloatVector x = FloatVector.broadcast(S, a[o0 + p]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[o1 + p]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[o2 + p]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[o3 + p]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(S, a[o4 + p]);
      c40 = x.fma(b0, c40);
      c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(S, a[o5 + p]);
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

  /** dst[d + p * 2L, + 2L) = b[src + p * ldb, + 2L) for p in [0, kc): packing one B panel. */
  static void copyRows(int kc, float[] b, int src, int ldb, float[] dst, int d) {
    for (int p = 0; p < kc; p++, src += ldb, d += 2 * L) {
      FloatVector.fromArray(S, b, src).intoArray(dst, d);
      FloatVector.fromArray(S, b, src + L).intoArray(dst, d + L);
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
    if (add) {
      v0 = v0.add(FloatVector.fromArray(S, c, co));
      v1 = v1.add(FloatVector.fromArray(S, c, co + L));
    }
    v0.intoArray(c, co);
    v1.intoArray(c, co + L);
  }
}
