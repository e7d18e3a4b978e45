package sparkcnn.kernels;

/**
 * GEMM's register tile without the Vector API (same tile shape as {@link GemmVectorKernel}, same
 * packed layout). The inner loop over a B row is a plain loop HotSpot may auto-vectorize.
 */
final class GemmScalarKernel {
  private GemmScalarKernel() {}

  /** C tile (+)= A panel * B panel; add = false overwrites C. */
  static void tile(int kc, float[] a, int ao, float[] b, int bo, float[] c, int co, int ldc, boolean add) {
    final int mr = Gemm.MR;
    final int nr = Gemm.NR;
    for (int r = 0; r < mr; r++) {
      int row = co + r * ldc;
      if (!add) {
        java.util.Arrays.fill(c, row, row + nr, 0f);
      }
      for (int p = 0; p < kc; p++) {
        float x = a[ao + p * mr + r];
        int src = bo + p * nr;
        for (int j = 0; j < nr; j++) {
          c[row + j] += x * b[src + j];
        }
      }
    }
  }

  /**
   * B(p, j) = b[bBase + rowOff[rOff + p] + j], the panel's second half gap floats further, as {@link
   * GemmVectorKernel#tileRows}.
   */
  static void tileRows(int kc, float[] a, int ao, float[] b, int bBase, int[] rowOff, int rOff, int gap, float[] c,
      int co, int ldc, boolean add) {
    final int mr = Gemm.MR;
    final int nr = Gemm.NR;
    for (int r = 0; r < mr; r++) {
      int row = co + r * ldc;
      if (!add) {
        java.util.Arrays.fill(c, row, row + nr, 0f);
      }
      for (int p = 0; p < kc; p++) {
        float x = a[ao + p * mr + r];
        int src = bBase + rowOff[rOff + p];
        for (int j = 0; j < nr; j++) {
          c[row + j] += x * b[src + j + (j < nr / 2 ? 0 : gap)];
        }
      }
    }
  }

  /** A(r, p) = a[rows[r] + map[mo + p]], as {@link GemmVectorKernel#tileRowsA}. */
  static void tileRowsA(int kc, float[] a, int[] rows, int[] map, int mo, float[] b, int bo, float[] c, int co,
      int ldc, boolean add) {
    final int nr = Gemm.NR;
    for (int r = 0; r < Gemm.MR; r++) {
      int row = co + r * ldc;
      if (!add) {
        java.util.Arrays.fill(c, row, row + nr, 0f);
      }
      for (int p = 0; p < kc; p++) {
        float x = a[rows[r] + map[mo + p]];
        int src = bo + p * nr;
        for (int j = 0; j < nr; j++) {
          c[row + j] += x * b[src + j];
        }
      }
    }
  }
}
