package sparkcnn.kernels;

/** The textbook triple loop, accumulated in double: the oracle for {@link Gemm} in tests and benchmarks. */
public final class GemmNaive {
  private GemmNaive() {}

  public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          float x = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float y = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          s += (double) x * y;
        }
        int idx = cOff + i * ldc + j;
        c[idx] = (float) (alpha * s + (beta == 0f ? 0 : beta * c[idx]));
      }
    }
  }
}
